// Package slack is nhiscan's Slack provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strconv"
	"strings"
)

// Provider verifies Slack tokens with POST https://slack.com/api/auth.test
// (Slack method reference "auth.test", read 2026-12: HTTP 200 with ok:true,
// or ok:false with invalid_auth, token_revoked, account_inactive… for a
// token that does not work), and incoming-webhook URLs with an empty
// message that Slack refuses before posting anything: POST
// https://hooks.slack.com/services/… with {"text":""}.
//
// Webhook answers (Slack "Sending messages using incoming webhooks",
// Handling errors, read 2026-12; Slack changelog 2016-05-17 "incoming
// webhooks errors"):
//   - 400 no_text / missing_text_or_fallback_or_attachments /
//     invalid_payload: the webhook exists and validated the (empty) body:
//     Live. The empty-body check is what TruffleHog's slackwebhook
//     detector relies on too; Slack posts nothing for it.
//   - 403 invalid_token, 404 no_service, 404 no_team: the webhook or its
//     workspace is gone: Dead.
//   - 403 action_prohibited: a workspace restriction on a working webhook:
//     Live (restricted).
//   - 404 channel_not_found, 410 channel_is_archived, and any other body:
//     the webhook exists but its channel does not take posts now: Unknown.
//
// Workflow and trigger URLs are not called (a request would start the
// workflow): Unknown by design.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "slack" }
func (*Provider) Hosts() []string  { return []string{"slack.com", "hooks.slack.com"} }

var (
	slackDead    = map[string]bool{"invalid_auth": true, "token_revoked": true, "account_inactive": true, "not_authed": true, "token_expired": true}
	slackWebhook = verifiers.LazyRegexp(`^(?:https?://)?hooks\.slack\.com/services/(T[A-Z0-9]{6,14})/(B[A-Z0-9]{6,14})/([A-Za-z0-9]{20,32})/?$`)
)

const slackWebhookDisplay = "https://hooks.slack.com/services/[REDACTED]"

// Pair marks webhook URLs (and workflow/trigger URLs, which are never called).
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	switch {
	case slackWebhook.MatchString(s.Secret):
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "webhook")}
	case strings.Contains(s.Secret, "hooks.slack.com/"):
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "workflow")}
	}
	return verifiers.Credential{Secret: s.Secret}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	switch cred.Companions["kind"] {
	case "webhook":
		return v.webhook(ctx, c, cred.Secret)
	case "workflow":
		return verifiers.UnknownResult("slack: workflow and trigger URLs are not called (it would run the workflow)"), nil
	}
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "POST", "https://slack.com/api/auth.test", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	if resp.StatusCode != 200 {
		return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
	}
	var b struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		URL    string `json:"url"`
		Team   string `json:"team"`
		TeamID string `json:"team_id"`
		User   string `json:"user"`
		UserID string `json:"user_id"`
		BotID  string `json:"bot_id"`
	}
	if err := verifiers.Decode(resp, ep, &b); err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch {
	case b.OK:
		return verifiers.LiveResult(ep, map[string]string{"team": b.Team, "team_id": b.TeamID, "user": b.User, "user_id": b.UserID, "bot_id": b.BotID, "url": b.URL},
			verifiers.Privileges{Scopes: verifiers.SplitScopes(resp.Header.Get("X-OAuth-Scopes"))}), nil
	case slackDead[b.Error]:
		return verifiers.DeadResult(ep, "slack: "+b.Error), nil
	}
	return verifiers.Result{Status: verifiers.Unknown, Reason: "slack: ok=false, error " + verifiers.Quote(b.Error), Endpoint: ep}, nil
}

// webhook checks an incoming webhook without posting: Slack validates the
// webhook before the (empty) message and answers no_text when it is live.
func (v *Provider) webhook(ctx context.Context, c *verifiers.Client, url string) (verifiers.Result, error) {
	ep := "POST " + slackWebhookDisplay
	m := slackWebhook.FindStringSubmatch(url)
	if m == nil {
		return verifiers.UnknownResult("slack: not a webhook URL"), nil
	}
	req, err := c.NewRequestSecretInURL(ctx, v, "POST", "https://hooks.slack.com/services/"+m[1]+"/"+m[2]+"/"+m[3], slackWebhookDisplay, []byte(`{"text":""}`))
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	body := strings.TrimSpace(string(resp.Body[:min(len(resp.Body), 64)]))
	switch {
	case resp.StatusCode == 400 && (body == "no_text" || body == "missing_text_or_fallback_or_attachments" || body == "invalid_payload"):
		return verifiers.LiveResult(ep, map[string]string{"team_id": m[1], "webhook": m[2]}, verifiers.Privileges{Level: "write", Flags: []string{"can-post"}}), nil
	case (resp.StatusCode == 403 && body == "invalid_token") || (resp.StatusCode == 404 && (body == "no_service" || body == "no_team")):
		return verifiers.DeadResult(ep, "slack: webhook "+verifiers.Quote(body)+" (HTTP "+strconv.Itoa(resp.StatusCode)+")"), nil
	case resp.StatusCode == 403 && body == "action_prohibited":
		return verifiers.LiveResult(ep, map[string]string{"team_id": m[1], "webhook": m[2]}, verifiers.Privileges{Level: "unknown", Flags: []string{"restricted"}}), nil
	case resp.StatusCode == 403 || resp.StatusCode == 404 || resp.StatusCode == 410:
		return verifiers.Result{Status: verifiers.Unknown, Endpoint: ep, Reason: "slack: webhook answered " + verifiers.Quote(body) + " (HTTP " + strconv.Itoa(resp.StatusCode) + "): not a dead webhook's answer"}, nil
	case resp.StatusCode == 200:
		// It posted: the fake never does, Slack never does for "".
		return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// slackShapes are the forms of Slack credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var slackShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{8,400}|xapp-\d-[A-Za-z0-9-]{10,300}|(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,250})$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, slackShapes[0], slackShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Slack: auth.revoke with the token itself.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "slack", Manual: "api.slack.com/apps → the app → OAuth & Permissions → Revoke tokens (or remove the app)",
		Revoke: remediate.Simple{Provider: "slack", Hosts: remediate.Fixed("slack.com"),
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				if strings.HasPrefix(f.Secret, "https://") {
					return nil, nil, remediate.Blocked("slack: incoming webhooks have no revocation API: remove the webhook in the app's settings")
				}
				u := "https://slack.com/api/auth.revoke"
				return []remediate.Request{{Method: "POST", URL: u, Header: remediate.Header("Authorization", "Bearer "+f.Secret, "Content-Type", "application/x-www-form-urlencoded"), Body: []byte{}}},
					[]remediate.Call{{Method: "POST", URL: u, Auth: "the leaked token itself", Why: "self-revocation (auth.revoke)"}}, nil
			},
			Interpret: func(_ int, resp *remediate.Response, req remediate.Request, _ map[string]string) error {
				var b struct {
					OK      bool   `json:"ok"`
					Revoked bool   `json:"revoked"`
					Error   string `json:"error"`
				}
				_ = json.Unmarshal(resp.Body, &b)
				switch {
				case b.OK:
					return nil
				case b.Error == "invalid_auth" || b.Error == "token_revoked" || b.Error == "account_inactive" || b.Error == "not_authed":
					return remediate.AlreadyErr(req, resp.StatusCode, b.Error)
				}
				return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "slack error "+cmp.Or(b.Error, "-"))
			}}}
}

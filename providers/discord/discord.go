// Package discord is nhiscan's Discord provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package discord

import (
	"context"
	"fmt"
	"net/url"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strconv"
	"strings"
)

// Provider verifies Discord webhook URLs with a GET of the webhook (which
// sends nothing) and bot tokens with GET https://discord.com/api/v10/users/@me
// ("Authorization: Bot …"). A webhook URL comes from scanned content, so
// only its id and token are kept and the request always goes to
// https://discord.com. Other Discord values (client ids and secrets,
// 64-hex keys) are reported Unknown.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "discord" }
func (*Provider) Hosts() []string  { return []string{"discord.com"} }

var discordBotToken = verifiers.LazyRegexp(`^[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}$`)

var discordWebhook = verifiers.LazyRegexp(`^https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/(\d{15,22})/([A-Za-z0-9_-]{40,100})/?$`)

const discordDisplay = "https://discord.com/api/webhooks/[REDACTED]"

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	ep := "GET " + discordDisplay
	if discordBotToken.MatchString(secret) {
		return v.bot(ctx, c, secret)
	}
	m := discordWebhook.FindStringSubmatch(secret)
	if m == nil {
		return verifiers.Result{Status: verifiers.Unknown, Reason: "discord: only webhook URLs and bot tokens are verified"}, nil
	}
	req, err := c.NewRequestSecretInURL(ctx, v, "GET", "https://discord.com/api/webhooks/"+m[1]+"/"+m[2], discordDisplay, nil)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			ChannelID string `json:"channel_id"`
			GuildID   string `json:"guild_id"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a webhook", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"webhook_id": b.ID, "name": b.Name, "channel_id": b.ChannelID, "guild_id": b.GuildID},
			verifiers.Privileges{Level: "write", Flags: []string{"can-post", "can-delete-webhook"}}), nil
	case 401, 403, 404:
		return verifiers.DeadResult(ep, "unknown webhook (HTTP "+strconv.Itoa(resp.StatusCode)+")"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// bot checks a bot token: it reads only the bot's own user.
func (v *Provider) bot(ctx context.Context, c *verifiers.Client, secret string) (verifiers.Result, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://discord.com/api/v10/users/@me", map[string]string{"Authorization": "Bot " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID       string `json:"id"`
			Username string `json:"username"`
			Bot      bool   `json:"bot"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"bot_id": b.ID, "username": b.Username}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "discord: invalid bot token (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// Owns: Discord bot tokens and webhook URLs (see Shaper).
func (*Provider) Owns(secret string) verifiers.Shape {
	if discordBotToken.MatchString(secret) || discordWebhook.MatchString(secret) {
		return verifiers.ShapeStrong
	}
	return verifiers.ShapeNone
}

// Discord webhooks: DELETE the URL itself.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "discord", Manual: "Server Settings → Integrations → Webhooks → Delete Webhook",
		Revoke: remediate.Simple{Provider: "discord", Hosts: remediate.Fixed("discord.com", "discordapp.com"),
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				u, err := url.Parse(strings.TrimSpace(f.Secret))
				if err != nil || !strings.HasPrefix(u.Path, "/api/webhooks/") {
					return nil, nil, remediate.Blocked("discord: only webhook URLs can be revoked by API; reset bot tokens in the Developer Portal")
				}
				parts := strings.Split(strings.TrimPrefix(u.Path, "/api/webhooks/"), "/")
				display := "https://" + u.Host + "/api/webhooks/" + parts[0] + "/[REDACTED]"
				return []remediate.Request{{Method: "DELETE", URL: "https://" + u.Host + u.Path, Display: display}},
					[]remediate.Call{{Method: "DELETE", URL: display, Auth: "the webhook URL itself", Why: "deleting the webhook kills its token"}}, nil
			},
			Interpret: func(_ int, resp *remediate.Response, req remediate.Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 404, 401:
					return remediate.AlreadyErr(req, resp.StatusCode, "unknown webhook")
				case 403:
					return remediate.DeniedErr(req, resp.StatusCode)
				}
				return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}}}
}

package verifiers

import "context"

// Slack verifies Slack tokens with POST https://slack.com/api/auth.test.
type Slack struct{}

var _ Verifier = (*Slack)(nil)

func (*Slack) Provider() string { return "slack" }
func (*Slack) Hosts() []string  { return []string{"slack.com"} }

var slackDead = map[string]bool{"invalid_auth": true, "token_revoked": true, "account_inactive": true, "not_authed": true, "token_expired": true}

func (v *Slack) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "POST", "https://slack.com/api/auth.test", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	if resp.StatusCode != 200 {
		return Result{Endpoint: ep}, unexpected(resp, ep)
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
	if err := decode(resp, ep, &b); err != nil {
		return Result{Endpoint: ep}, err
	}
	switch {
	case b.OK:
		return live(ep, map[string]string{"team": b.Team, "team_id": b.TeamID, "user": b.User, "user_id": b.UserID, "bot_id": b.BotID, "url": b.URL},
			Privileges{Scopes: splitScopes(resp.Header.Get("X-OAuth-Scopes"))}), nil
	case slackDead[b.Error]:
		return dead(ep, "slack: "+b.Error), nil
	}
	return Result{Status: Unknown, Reason: "slack: ok=false, error " + quote(b.Error), Endpoint: ep}, nil
}

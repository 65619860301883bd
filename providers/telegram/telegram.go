// Package telegram is nhiscan's Telegram provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package telegram

import (
	"context"
	"fmt"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strconv"
)

// Provider verifies bot tokens with GET https://api.telegram.org/bot<token>/getMe.
// The token travels in the URL path, so the request is built with
// NewRequestSecretInURL and every Endpoint, error and log line shows
// bot[REDACTED] instead.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "telegram" }
func (*Provider) Hosts() []string  { return []string{"api.telegram.org"} }

var telegramToken = verifiers.LazyRegexp(`^\d{5,12}:[A-Za-z0-9_-]{30,40}$`)

const telegramDisplay = "https://api.telegram.org/bot[REDACTED]/getMe"

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	ep := "GET " + telegramDisplay
	if !telegramToken.MatchString(secret) {
		// Never splice anything but a well-formed token into the path.
		return verifiers.Result{Endpoint: ep}, fmt.Errorf("telegram: not a bot token")
	}
	req, err := c.NewRequestSecretInURL(ctx, v, "GET", "https://api.telegram.org/bot"+secret+"/getMe", telegramDisplay, nil)
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
			OK     bool `json:"ok"`
			Result struct {
				ID        int64  `json:"id"`
				IsBot     bool   `json:"is_bot"`
				Username  string `json:"username"`
				FirstName string `json:"first_name"`
			} `json:"result"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if !b.OK || b.Result.ID == 0 {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a bot", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"username": b.Result.Username, "id": strconv.FormatInt(b.Result.ID, 10), "name": b.Result.FirstName}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// telegramShapes are the forms of Telegram credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var telegramShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^\d{5,12}:AA[A-Za-z0-9_-]{30,40}$`), verifiers.LazyRegexp(`^\d{5,12}:[A-Za-z0-9_-]{30,40}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, telegramShapes[0], telegramShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "telegram", Manual: "@BotFather → /revoke"}
}

package verifiers

import (
	"context"
	"fmt"
	"strconv"
)

// Telegram verifies bot tokens with GET https://api.telegram.org/bot<token>/getMe.
// The token travels in the URL path, so the request is built with
// NewRequestSecretInURL and every Endpoint, error and log line shows
// bot[REDACTED] instead.
type Telegram struct{}

var _ Verifier = (*Telegram)(nil)

func (*Telegram) Provider() string { return "telegram" }
func (*Telegram) Hosts() []string  { return []string{"api.telegram.org"} }

var telegramToken = lazyRegexp(`^\d{5,12}:[A-Za-z0-9_-]{30,40}$`)

const telegramDisplay = "https://api.telegram.org/bot[REDACTED]/getMe"

func (v *Telegram) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	ep := "GET " + telegramDisplay
	if !telegramToken.MatchString(secret) {
		// Never splice anything but a well-formed token into the path.
		return Result{Endpoint: ep}, fmt.Errorf("telegram: not a bot token")
	}
	req, err := c.NewRequestSecretInURL(ctx, v, "GET", "https://api.telegram.org/bot"+secret+"/getMe", telegramDisplay, nil)
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	resp, err := c.Do(v, req)
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if !b.OK || b.Result.ID == 0 {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a bot", ep)
		}
		return live(ep, map[string]string{"username": b.Result.Username, "id": strconv.FormatInt(b.Result.ID, 10), "name": b.Result.FirstName}, Privileges{}), nil
	case 401:
		return dead(ep, "unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// telegramShapes are the forms of Telegram credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var telegramShapes = [2]*lazyRE{lazyRegexp(`^\d{5,12}:AA[A-Za-z0-9_-]{30,40}$`), lazyRegexp(`^\d{5,12}:[A-Za-z0-9_-]{30,40}$`)}

// Owns implements Shaper.
func (*Telegram) Owns(secret string) Shape {
	return shapeOf(secret, telegramShapes[0], telegramShapes[1])
}

var _ Shaper = (*Telegram)(nil)

package verifiers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// DigitalOcean verifies DigitalOcean tokens with GET https://api.digitalocean.com/v2/account.
type DigitalOcean struct{}

var _ Verifier = (*DigitalOcean)(nil)

func (*DigitalOcean) Provider() string { return "digitalocean" }
func (*DigitalOcean) Hosts() []string  { return []string{"api.digitalocean.com"} }

func (v *DigitalOcean) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://api.digitalocean.com/v2/account", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Account struct {
				Email  string `json:"email"`
				UUID   string `json:"uuid"`
				Status string `json:"status"`
				Team   struct {
					Name string `json:"name"`
				} `json:"team"`
			} `json:"account"`
		}
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.Account.UUID == "" && b.Account.Email == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		return live(ep, map[string]string{"email": b.Account.Email, "uuid": b.Account.UUID, "status": b.Account.Status, "team": b.Account.Team.Name},
			Privileges{Scopes: splitScopes(resp.Header.Get("X-OAuth-Scopes"))}), nil
	case 401:
		return dead(ep, "unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

func itoa(n int) string { return strconv.Itoa(n) }

func splitScopes(h string) []string {
	var out []string
	for s := range strings.SplitSeq(h, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// digitaloceanShapes are the forms of DigitalOcean credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var digitaloceanShapes = [2]*lazyRE{lazyRegexp(`^do[opr]_v1_[a-f0-9]{64}$`), nil}

// Owns implements Shaper.
func (*DigitalOcean) Owns(secret string) Shape {
	return shapeOf(secret, digitaloceanShapes[0], digitaloceanShapes[1])
}

var _ Shaper = (*DigitalOcean)(nil)

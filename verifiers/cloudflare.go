package verifiers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Cloudflare verifies API tokens with GET
// https://api.cloudflare.com/client/v4/user/tokens/verify (Bearer). Global
// API keys and Origin CA keys are not verified.
type Cloudflare struct{}

var _ Verifier = (*Cloudflare)(nil)
var _ Pairer = (*Cloudflare)(nil)

func (*Cloudflare) Provider() string { return "cloudflare" }
func (*Cloudflare) Hosts() []string  { return []string{"api.cloudflare.com"} }

// Pair marks the kinds that are not API tokens.
func (*Cloudflare) Pair(s Sighting) Credential {
	kind := ""
	switch {
	case s.RuleID == "cloudflare-global-api-key" || strings.HasPrefix(s.Secret, "cfk_"):
		kind = "global-key"
	case s.RuleID == "cloudflare-origin-ca-key" || strings.HasPrefix(s.Secret, "v1.0-"):
		kind = "origin-ca-key"
	}
	return Credential{Secret: s.Secret, Companions: companions("kind", kind)}
}

func (v *Cloudflare) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	if k := cred.Companions["kind"]; k != "" {
		return unknown("cloudflare: " + k + "s are not verified"), nil
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://api.cloudflare.com/client/v4/user/tokens/verify", map[string]string{"Authorization": "Bearer " + cred.Secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	var b struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code int `json:"code"`
		} `json:"errors"`
		Result struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			ExpiresOn string `json:"expires_on"`
		} `json:"result"`
	}
	switch resp.StatusCode {
	case 200:
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		switch b.Result.Status {
		case "active":
			return live(ep, map[string]string{"token_id": b.Result.ID, "expires_on": b.Result.ExpiresOn}, Privileges{}), nil
		case "disabled", "expired":
			return dead(ep, "cloudflare: token "+b.Result.Status), nil
		}
		return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 with token status %q", ep, b.Result.Status)
	case 400, 401, 403:
		if json.Unmarshal(resp.Body, &b) == nil && !b.Success {
			for _, e := range b.Errors {
				if e.Code == 1000 || e.Code == 6003 || e.Code == 9109 || e.Code == 10000 {
					return dead(ep, fmt.Sprintf("cloudflare: invalid token (error %d)", e.Code)), nil
				}
			}
		}
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// cloudflareShapes are the forms of Cloudflare credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var cloudflareShapes = [2]*lazyRE{lazyRegexp(`^(?:cf(?:ut|at|k)_[A-Za-z0-9]{40,60}|v1\.0-[A-Za-z0-9-]{100,250})$`), lazyRegexp(`^(?:[A-Za-z0-9_-]{40}|[a-f0-9]{37,45})$`)}

// Owns implements Shaper.
func (*Cloudflare) Owns(secret string) Shape {
	return shapeOf(secret, cloudflareShapes[0], cloudflareShapes[1])
}

var _ Shaper = (*Cloudflare)(nil)

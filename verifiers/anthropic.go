package verifiers

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// Anthropic verifies Anthropic API keys with GET
// https://api.anthropic.com/v1/models (free; Claude API reference "List
// Models", read 2026-12: 200, or 401 authentication_error for a bad key).
// It never calls POST /v1/messages, which bills tokens.
//
// Admin API keys (sk-ant-admin01-…) work only on the Admin API, not on the
// model endpoints, so they are checked with GET /v1/organizations/me
// (Admin API "Get Current Organization", read 2026-12): 200 with the
// organization, 401 for a bad key.
//
// Unknown by design: OAuth access and refresh tokens (sk-ant-oat01-,
// sk-ant-ort01-), which only Anthropic's own clients use.
type Anthropic struct{}

var _ Verifier = (*Anthropic)(nil)

func (*Anthropic) Provider() string { return "anthropic" }
func (*Anthropic) Hosts() []string  { return []string{"api.anthropic.com"} }

func (v *Anthropic) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	if strings.HasPrefix(secret, "sk-ant-oat") || strings.HasPrefix(secret, "sk-ant-ort") {
		return unknown("anthropic: OAuth tokens are not verified"), nil
	}
	admin := strings.HasPrefix(secret, "sk-ant-admin")
	u := "https://api.anthropic.com/v1/models"
	if admin {
		u = "https://api.anthropic.com/v1/organizations/me"
	}
	resp, ep, err := call(ctx, c, v, "GET", u, map[string]string{"x-api-key": secret, "anthropic-version": "2023-06-01"})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	var b struct {
		Data  []struct{ ID string } `json:"data"`
		ID    string                `json:"id"`
		Name  string                `json:"name"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	switch resp.StatusCode {
	case 200:
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if admin {
			return live(ep, map[string]string{"organization_id": b.ID, "organization": b.Name, "key_type": "admin"},
				Privileges{Level: "admin", Flags: []string{"can-manage-keys"}}), nil
		}
		// No whoami endpoint: the identity is what the key can see.
		return live(ep, map[string]string{"models": strconv.Itoa(len(b.Data))}, Privileges{}), nil
	case 401:
		return dead(ep, "authentication error (HTTP 401)"), nil
	case 404:
		if json.Unmarshal(resp.Body, &b) == nil && b.Error.Type == "authentication_error" {
			return dead(ep, "authentication error (HTTP 404)"), nil
		}
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// anthropicShapes are the forms of Anthropic credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var anthropicShapes = [2]*lazyRE{lazyRegexp(`^sk-ant-(?:api|admin|oat|ort)\d{2}-[A-Za-z0-9_-]{40,200}$`), nil}

// Owns implements Shaper.
func (*Anthropic) Owns(secret string) Shape {
	return shapeOf(secret, anthropicShapes[0], anthropicShapes[1])
}

var _ Shaper = (*Anthropic)(nil)

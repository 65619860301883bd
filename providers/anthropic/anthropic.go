// Package anthropic is nhiscan's Anthropic provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package anthropic

import (
	"context"
	"encoding/json"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strconv"
	"strings"
)

// Provider verifies Anthropic API keys with GET
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
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "anthropic" }
func (*Provider) Hosts() []string  { return []string{"api.anthropic.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	if strings.HasPrefix(secret, "sk-ant-oat") || strings.HasPrefix(secret, "sk-ant-ort") {
		return verifiers.UnknownResult("anthropic: OAuth tokens are not verified"), nil
	}
	admin := strings.HasPrefix(secret, "sk-ant-admin")
	u := "https://api.anthropic.com/v1/models"
	if admin {
		u = "https://api.anthropic.com/v1/organizations/me"
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", u, map[string]string{"x-api-key": secret, "anthropic-version": "2023-06-01"})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
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
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if admin {
			return verifiers.LiveResult(ep, map[string]string{"organization_id": b.ID, "organization": b.Name, "key_type": "admin"},
				verifiers.Privileges{Level: "admin", Flags: []string{"can-manage-keys"}}), nil
		}
		// No whoami endpoint: the identity is what the key can see.
		return verifiers.LiveResult(ep, map[string]string{"models": strconv.Itoa(len(b.Data))}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "authentication error (HTTP 401)"), nil
	case 404:
		if json.Unmarshal(resp.Body, &b) == nil && b.Error.Type == "authentication_error" {
			return verifiers.DeadResult(ep, "authentication error (HTTP 404)"), nil
		}
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// anthropicShapes are the forms of Anthropic credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var anthropicShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^sk-ant-(?:api|admin|oat|ort)\d{2}-[A-Za-z0-9_-]{40,200}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, anthropicShapes[0], anthropicShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "anthropic", Manual: "console.anthropic.com → API keys → Disable"}
}

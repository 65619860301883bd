// Package openai is nhiscan's OpenAI provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies OpenAI keys with GET https://api.openai.com/v1/me (never a
// completion call: those cost money).
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "openai" }
func (*Provider) Hosts() []string  { return []string{"api.openai.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.openai.com/v1/me", map[string]string{"Authorization": "Bearer " + secret})
	var rl *verifiers.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		var b struct {
			Error struct {
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"error"`
		}
		if json.Unmarshal(rl.Response.Body, &b) == nil && (b.Error.Code == "insufficient_quota" || b.Error.Type == "insufficient_quota") {
			// The key authenticated; the account has no quota left.
			return verifiers.LiveResult(ep, map[string]string{}, verifiers.Privileges{Flags: []string{"quota-exhausted"}}), nil
		}
	}
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
			Orgs  struct {
				Data []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
					Role  string `json:"role"`
				} `json:"data"`
			} `json:"orgs"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		id := map[string]string{"id": b.ID, "email": b.Email, "name": b.Name}
		var orgs []string
		p := verifiers.Privileges{}
		for _, o := range b.Orgs.Data {
			orgs = append(orgs, o.ID)
			if o.Role == "owner" {
				p.Flags = append(p.Flags, "org-admin")
			}
		}
		id["orgs"] = strings.Join(orgs, ",")
		return verifiers.LiveResult(ep, id, p), nil
	case 401:
		return verifiers.DeadResult(ep, "invalid API key (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// openaiShapes are the forms of OpenAI credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var openaiShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{8,150}T3BlbkFJ[A-Za-z0-9_-]{8,150}$`), verifiers.LazyRegexp(`^sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,300}|[A-Za-z0-9]{48})$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, openaiShapes[0], openaiShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "openai", Manual: "platform.openai.com → API keys → Revoke (admin keys: the Admin API)"}
}

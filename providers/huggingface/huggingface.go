// Package huggingface is nhiscan's Hugging Face provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package huggingface

import (
	"context"
	"fmt"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies Hugging Face tokens with GET https://huggingface.co/api/whoami-v2.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "huggingface" }
func (*Provider) Hosts() []string  { return []string{"huggingface.co"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://huggingface.co/api/whoami-v2", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Orgs  []struct {
				Name string `json:"name"`
			} `json:"orgs"`
			Auth struct {
				AccessToken struct {
					DisplayName string `json:"displayName"`
					Role        string `json:"role"`
				} `json:"accessToken"`
			} `json:"auth"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.Name == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a name", ep)
		}
		var orgs []string
		for _, o := range b.Orgs {
			orgs = append(orgs, o.Name)
		}
		role := b.Auth.AccessToken.Role
		level := "unknown"
		switch role {
		case "read":
			level = "read"
		case "write":
			level = "write"
		}
		var scopes []string
		if role != "" {
			scopes = []string{role}
		}
		return verifiers.LiveResult(ep, map[string]string{"name": b.Name, "email": b.Email, "orgs": strings.Join(orgs, ","), "token_name": b.Auth.AccessToken.DisplayName},
			verifiers.Privileges{Level: level, Scopes: scopes}), nil
	case 401:
		return verifiers.DeadResult(ep, "invalid token (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// huggingfaceShapes are the forms of HuggingFace credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var huggingfaceShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:hf_|api_org_)[A-Za-z0-9]{30,40}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, huggingfaceShapes[0], huggingfaceShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "huggingface", Manual: "huggingface.co → Settings → Access Tokens → Invalidate"}
}

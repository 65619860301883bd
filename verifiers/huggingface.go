package verifiers

import (
	"context"
	"fmt"
	"strings"
)

// HuggingFace verifies Hugging Face tokens with GET https://huggingface.co/api/whoami-v2.
type HuggingFace struct{}

var _ Verifier = (*HuggingFace)(nil)

func (*HuggingFace) Provider() string { return "huggingface" }
func (*HuggingFace) Hosts() []string  { return []string{"huggingface.co"} }

func (v *HuggingFace) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://huggingface.co/api/whoami-v2", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.Name == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a name", ep)
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
		return live(ep, map[string]string{"name": b.Name, "email": b.Email, "orgs": strings.Join(orgs, ","), "token_name": b.Auth.AccessToken.DisplayName},
			Privileges{Level: level, Scopes: scopes}), nil
	case 401:
		return dead(ep, "invalid token (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// huggingfaceShapes are the forms of HuggingFace credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var huggingfaceShapes = [2]*lazyRE{lazyRegexp(`^(?:hf_|api_org_)[A-Za-z0-9]{30,40}$`), nil}

// Owns implements Shaper.
func (*HuggingFace) Owns(secret string) Shape {
	return shapeOf(secret, huggingfaceShapes[0], huggingfaceShapes[1])
}

var _ Shaper = (*HuggingFace)(nil)

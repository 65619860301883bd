// Package postman is nhiscan's Postman provider: the shape of its credentials,
// their parts, their verification (see package providers).
package postman

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/verifiers"
)

// Provider verifies API keys with GET https://api.getpostman.com/me (X-Api-Key).
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)

func (*Provider) Provider() string { return "postman" }
func (*Provider) Hosts() []string  { return []string{"api.getpostman.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.getpostman.com/me", map[string]string{"X-Api-Key": cred.Secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			User struct {
				ID       json.Number `json:"id"`
				Username string      `json:"username"`
				Email    string      `json:"email"`
				FullName string      `json:"fullName"`
			} `json:"user"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.User.ID == "" && b.User.Username == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"id": b.User.ID.String(), "username": b.User.Username, "email": b.User.Email, "name": b.User.FullName}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "postman: invalid API key (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// postmanShapes are the forms of Postman credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var postmanShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^PMAK-[a-f0-9]{24}-[a-f0-9]{34}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, postmanShapes[0], postmanShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

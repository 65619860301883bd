// Package linear is nhiscan's Linear provider: the shape of its credentials,
// their parts, their verification (see package providers).
package linear

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies API keys with the GraphQL query { viewer { … } } sent to
// POST https://api.linear.app/graphql (a read: no mutation).
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "linear" }
func (*Provider) Hosts() []string  { return []string{"api.linear.app"} }

// Pair marks OAuth client secrets, which need an OAuth flow to check.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	if s.RuleID == "linear-client-secret" || !strings.HasPrefix(s.Secret, "lin_api_") {
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "client-secret")}
	}
	return verifiers.Credential{Secret: s.Secret}
}

const linearQuery = `{"query":"{ viewer { id name email admin } }"}`

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	if cred.Companions["kind"] != "" {
		return verifiers.UnknownResult("linear: OAuth client secrets are not verified"), nil
	}
	req, err := c.NewRequest(ctx, v, "POST", "https://api.linear.app/graphql", []byte(linearQuery))
	if err != nil {
		return verifiers.Result{}, err
	}
	ep := verifiers.Endpoint(req)
	req.Header.Set("Authorization", cred.Secret) // Linear API keys take no "Bearer"
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	var b struct {
		Data *struct {
			Viewer *struct {
				ID    string `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
				Admin bool   `json:"admin"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	switch resp.StatusCode {
	case 200:
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.Data == nil || b.Data.Viewer == nil || b.Data.Viewer.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a viewer", ep)
		}
		p := verifiers.Privileges{Level: "write"} // API keys act as their user
		if b.Data.Viewer.Admin {
			p.Level, p.Flags = "admin", []string{"org-admin"}
		}
		return verifiers.LiveResult(ep, map[string]string{"id": b.Data.Viewer.ID, "name": b.Data.Viewer.Name, "email": b.Data.Viewer.Email}, p), nil
	case 400, 401:
		if json.Unmarshal(resp.Body, &b) == nil {
			for _, e := range b.Errors {
				if e.Extensions.Code == "AUTHENTICATION_ERROR" {
					return verifiers.DeadResult(ep, "linear: authentication error"), nil
				}
			}
		}
		if resp.StatusCode == 401 {
			return verifiers.DeadResult(ep, "linear: unauthorized (HTTP 401)"), nil
		}
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// linearShapes are the forms of Linear credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var linearShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^lin_(?:api|oauth)_[A-Za-z0-9]{32,64}$`), verifiers.LazyRegexp(`^[a-f0-9]{32}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, linearShapes[0], linearShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

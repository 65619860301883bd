package verifiers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Linear verifies API keys with the GraphQL query { viewer { … } } sent to
// POST https://api.linear.app/graphql (a read: no mutation).
type Linear struct{}

var _ Verifier = (*Linear)(nil)
var _ Pairer = (*Linear)(nil)

func (*Linear) Provider() string { return "linear" }
func (*Linear) Hosts() []string  { return []string{"api.linear.app"} }

// Pair marks OAuth client secrets, which need an OAuth flow to check.
func (*Linear) Pair(s Sighting) Credential {
	if s.RuleID == "linear-client-secret" || !strings.HasPrefix(s.Secret, "lin_api_") {
		return Credential{Secret: s.Secret, Companions: companions("kind", "client-secret")}
	}
	return Credential{Secret: s.Secret}
}

const linearQuery = `{"query":"{ viewer { id name email admin } }"}`

func (v *Linear) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	if cred.Companions["kind"] != "" {
		return unknown("linear: OAuth client secrets are not verified"), nil
	}
	req, err := c.NewRequest(ctx, v, "POST", "https://api.linear.app/graphql", []byte(linearQuery))
	if err != nil {
		return Result{}, err
	}
	ep := Endpoint(req)
	req.Header.Set("Authorization", cred.Secret) // Linear API keys take no "Bearer"
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(v, req)
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.Data == nil || b.Data.Viewer == nil || b.Data.Viewer.ID == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a viewer", ep)
		}
		p := Privileges{Level: "write"} // API keys act as their user
		if b.Data.Viewer.Admin {
			p.Level, p.Flags = "admin", []string{"org-admin"}
		}
		return live(ep, map[string]string{"id": b.Data.Viewer.ID, "name": b.Data.Viewer.Name, "email": b.Data.Viewer.Email}, p), nil
	case 400, 401:
		if json.Unmarshal(resp.Body, &b) == nil {
			for _, e := range b.Errors {
				if e.Extensions.Code == "AUTHENTICATION_ERROR" {
					return dead(ep, "linear: authentication error"), nil
				}
			}
		}
		if resp.StatusCode == 401 {
			return dead(ep, "linear: unauthorized (HTTP 401)"), nil
		}
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// linearShapes are the forms of Linear credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var linearShapes = [2]*lazyRE{lazyRegexp(`^lin_(?:api|oauth)_[A-Za-z0-9]{32,64}$`), lazyRegexp(`^[a-f0-9]{32}$`)}

// Owns implements Shaper.
func (*Linear) Owns(secret string) Shape { return shapeOf(secret, linearShapes[0], linearShapes[1]) }

var _ Shaper = (*Linear)(nil)

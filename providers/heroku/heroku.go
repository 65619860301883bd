package heroku

import (
	"context"
	"fmt"
	"nhiscan/verifiers"
)

// Provider verifies API keys and OAuth tokens with GET https://api.heroku.com/account.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)

func (*Provider) Provider() string { return "heroku" }
func (*Provider) Hosts() []string  { return []string{"api.heroku.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.heroku.com/account", map[string]string{
		"Authorization": "Bearer " + cred.Secret, "Accept": "application/vnd.heroku+json; version=3",
	})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"id": b.ID, "email": b.Email, "name": b.Name}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "heroku: unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// herokuShapes are the forms of Heroku credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var herokuShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^HRKU-[A-Za-z0-9_-]{58,64}$`), verifiers.LazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, herokuShapes[0], herokuShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

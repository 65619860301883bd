package verifiers

import (
	"context"
	"fmt"
)

// Heroku verifies API keys and OAuth tokens with GET https://api.heroku.com/account.
type Heroku struct{}

var _ Verifier = (*Heroku)(nil)

func (*Heroku) Provider() string { return "heroku" }
func (*Heroku) Hosts() []string  { return []string{"api.heroku.com"} }

func (v *Heroku) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	resp, ep, err := call(ctx, c, v, "GET", "https://api.heroku.com/account", map[string]string{
		"Authorization": "Bearer " + cred.Secret, "Accept": "application/vnd.heroku+json; version=3",
	})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
		}
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.ID == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		return live(ep, map[string]string{"id": b.ID, "email": b.Email, "name": b.Name}, Privileges{}), nil
	case 401:
		return dead(ep, "heroku: unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// herokuShapes are the forms of Heroku credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var herokuShapes = [2]*lazyRE{lazyRegexp(`^HRKU-[A-Za-z0-9_-]{58,64}$`), lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)}

// Owns implements Shaper.
func (*Heroku) Owns(secret string) Shape { return shapeOf(secret, herokuShapes[0], herokuShapes[1]) }

var _ Shaper = (*Heroku)(nil)

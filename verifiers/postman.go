package verifiers

import (
	"context"
	"encoding/json"
	"fmt"
)

// Postman verifies API keys with GET https://api.getpostman.com/me (X-Api-Key).
type Postman struct{}

var _ Verifier = (*Postman)(nil)

func (*Postman) Provider() string { return "postman" }
func (*Postman) Hosts() []string  { return []string{"api.getpostman.com"} }

func (v *Postman) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	resp, ep, err := call(ctx, c, v, "GET", "https://api.getpostman.com/me", map[string]string{"X-Api-Key": cred.Secret})
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.User.ID == "" && b.User.Username == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		return live(ep, map[string]string{"id": b.User.ID.String(), "username": b.User.Username, "email": b.User.Email, "name": b.User.FullName}, Privileges{}), nil
	case 401:
		return dead(ep, "postman: invalid API key (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// postmanShapes are the forms of Postman credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var postmanShapes = [2]*lazyRE{lazyRegexp(`^PMAK-[a-f0-9]{24}-[a-f0-9]{34}$`), nil}

// Owns implements Shaper.
func (*Postman) Owns(secret string) Shape { return shapeOf(secret, postmanShapes[0], postmanShapes[1]) }

var _ Shaper = (*Postman)(nil)

package verifiers

import (
	"context"
	"fmt"
)

// NPM verifies npm tokens with GET https://registry.npmjs.org/-/whoami.
type NPM struct{}

var _ Verifier = (*NPM)(nil)

func (*NPM) Provider() string { return "npm" }
func (*NPM) Hosts() []string  { return []string{"registry.npmjs.org"} }

func (v *NPM) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://registry.npmjs.org/-/whoami", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Username string `json:"username"`
		}
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.Username == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a username", ep)
		}
		return live(ep, map[string]string{"username": b.Username}, Privileges{}), nil
	case 401:
		return dead(ep, "unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// npmShapes are the forms of NPM credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var npmShapes = [2]*lazyRE{lazyRegexp(`^npm_[A-Za-z0-9]{36}$`), lazyRegexp(`^[A-Za-z0-9+/_.:=-]{8,512}$`)}

// Owns implements Shaper.
func (*NPM) Owns(secret string) Shape { return shapeOf(secret, npmShapes[0], npmShapes[1]) }

var _ Shaper = (*NPM)(nil)

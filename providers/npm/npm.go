// Package npm is nhiscan's npm provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package npm

import (
	"context"
	"fmt"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// Provider verifies npm tokens with GET https://registry.npmjs.org/-/whoami.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "npm" }
func (*Provider) Hosts() []string  { return []string{"registry.npmjs.org"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://registry.npmjs.org/-/whoami", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Username string `json:"username"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.Username == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a username", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"username": b.Username}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// npmShapes are the forms of NPM credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var npmShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^npm_[A-Za-z0-9]{36}$`), verifiers.LazyRegexp(`^[A-Za-z0-9+/_.:=-]{8,512}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, npmShapes[0], npmShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "npm", Manual: "npm token revoke <id> (npm token list shows it), or npmjs.com → Access Tokens → Delete"}
}

// Package digitalocean is nhiscan's DigitalOcean provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package digitalocean

import (
	"context"
	"fmt"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// Provider verifies DigitalOcean tokens with GET https://api.digitalocean.com/v2/account.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "digitalocean" }
func (*Provider) Hosts() []string  { return []string{"api.digitalocean.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.digitalocean.com/v2/account", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Account struct {
				Email  string `json:"email"`
				UUID   string `json:"uuid"`
				Status string `json:"status"`
				Team   struct {
					Name string `json:"name"`
				} `json:"team"`
			} `json:"account"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.Account.UUID == "" && b.Account.Email == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"email": b.Account.Email, "uuid": b.Account.UUID, "status": b.Account.Status, "team": b.Account.Team.Name},
			verifiers.Privileges{Scopes: verifiers.SplitScopes(resp.Header.Get("X-OAuth-Scopes"))}), nil
	case 401:
		return verifiers.DeadResult(ep, "unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// digitaloceanShapes are the forms of DigitalOcean credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var digitaloceanShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^do[opr]_v1_[a-f0-9]{64}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, digitaloceanShapes[0], digitaloceanShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "digitalocean", Manual: "cloud.digitalocean.com → API → Tokens → Delete"}
}

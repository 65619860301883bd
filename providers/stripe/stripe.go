// Package stripe is nhiscan's Stripe provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package stripe

import (
	"context"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// Provider verifies Stripe secret and restricted keys with
// GET https://api.stripe.com/v1/charges?limit=1 (reads; creates nothing).
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "stripe" }
func (*Provider) Hosts() []string  { return []string{"api.stripe.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	secret := cred.Secret
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.stripe.com/v1/charges?limit=1", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	var b struct {
		Object string `json:"object"`
		Error  *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if resp.StatusCode == 200 || resp.StatusCode == 403 {
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
	}
	switch {
	case resp.StatusCode == 200 && b.Object == "list":
		kind := stripeKeyType(secret)
		p := verifiers.Privileges{Level: "read", Scopes: []string{"charges:read"}}
		if kind == "secret-live" {
			// A secret key can do everything the account can (refunds, payouts, keys).
			p = verifiers.Privileges{Level: "admin", Flags: []string{"full-api-access"}}
		}
		return verifiers.LiveResult(ep, map[string]string{"key_type": kind}, p), nil
	case resp.StatusCode == 403 && b.Error != nil:
		// A restricted key without charge permission: authenticated, so
		// live; what it may do is not visible here.
		return verifiers.LiveResult(ep, map[string]string{"key_type": stripeKeyType(secret)}, verifiers.Privileges{Level: "unknown", Flags: []string{"restricted"}}), nil
	case resp.StatusCode == 401:
		return verifiers.DeadResult(ep, "invalid API key (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// stripeKeyType reads only the public prefix of the key.
func stripeKeyType(secret string) string {
	switch {
	case len(secret) > 8 && secret[:8] == "rk_live_":
		return "restricted-live"
	case len(secret) > 8 && secret[:8] == "sk_live_":
		return "secret-live"
	case len(secret) > 8 && (secret[:8] == "sk_test_" || secret[:8] == "rk_test_"):
		return "test"
	}
	return "unknown"
}

// stripeShapes are the forms of Stripe credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var stripeShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,250}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, stripeShapes[0], stripeShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Remediation implements remediate.Remediator: the provider has no
// revocation API, so tickets say how a person revokes the credential.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "stripe", Manual: "Stripe Dashboard → Developers → API keys → Roll key"}
}

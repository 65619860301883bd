package verifiers

import "context"

// Stripe verifies Stripe secret and restricted keys with
// GET https://api.stripe.com/v1/charges?limit=1 (reads; creates nothing).
type Stripe struct{}

var _ Verifier = (*Stripe)(nil)

func (*Stripe) Provider() string { return "stripe" }
func (*Stripe) Hosts() []string  { return []string{"api.stripe.com"} }

func (v *Stripe) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://api.stripe.com/v1/charges?limit=1", map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	var b struct {
		Object string `json:"object"`
		Error  *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if resp.StatusCode == 200 || resp.StatusCode == 403 {
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
	}
	switch {
	case resp.StatusCode == 200 && b.Object == "list":
		kind := stripeKeyType(secret)
		p := Privileges{Level: "read", Scopes: []string{"charges:read"}}
		if kind == "secret-live" {
			// A secret key can do everything the account can (refunds, payouts, keys).
			p = Privileges{Level: "admin", Flags: []string{"full-api-access"}}
		}
		return live(ep, map[string]string{"key_type": kind}, p), nil
	case resp.StatusCode == 403 && b.Error != nil:
		// A restricted key without charge permission: authenticated, so
		// live; what it may do is not visible here.
		return live(ep, map[string]string{"key_type": stripeKeyType(secret)}, Privileges{Level: "unknown", Flags: []string{"restricted"}}), nil
	case resp.StatusCode == 401:
		return dead(ep, "invalid API key (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
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
var stripeShapes = [2]*lazyRE{lazyRegexp(`^(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,250}$`), nil}

// Owns implements Shaper.
func (*Stripe) Owns(secret string) Shape { return shapeOf(secret, stripeShapes[0], stripeShapes[1]) }

var _ Shaper = (*Stripe)(nil)

package cloudflare

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies API tokens with the verify endpoint of the token's
// owner kind (Cloudflare API reference "Verify Token", user and account
// variants, read 2026-12):
//
//   - user tokens (cfut_…): GET /client/v4/user/tokens/verify;
//   - account-owned tokens (cfat_…): GET /client/v4/accounts/{account_id}/tokens/verify,
//     with the account id found beside the token; the user endpoint
//     answers 401 / code 1000 for them even when they work, so that answer
//     never makes an account token dead;
//   - legacy 40-character tokens, whose kind the format does not tell:
//     the user endpoint first, then, when an account id is beside it, the
//     account endpoint; dead only when every endpoint tried says invalid.
//
// Unknown by design: an account token without its account id, a legacy
// token the user endpoint refuses when no account id is beside it (it may
// be account-owned), global API keys (cfk_, legacy hex keys: they need the
// account email) and Origin CA keys.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "cloudflare" }
func (*Provider) Hosts() []string  { return []string{"api.cloudflare.com"} }

var (
	cfAccountLabelled = verifiers.Labelled(`account_?id|accountid|account`, `[a-f0-9]{32}`)
	cfAccountURL      = verifiers.LazyRegexp(`/accounts/([a-f0-9]{32})\b`)
	cfAccountExact    = verifiers.LazyRegexp(`^[a-f0-9]{32}$`)
)

// Pair marks the kinds that are not API tokens, the token's owner kind
// (user, account or unknown for legacy tokens) and the account id beside it.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	kind := ""
	switch {
	case s.RuleID == "cloudflare-global-api-key" || strings.HasPrefix(s.Secret, "cfk_"):
		kind = "global-key"
	case s.RuleID == "cloudflare-origin-ca-key" || strings.HasPrefix(s.Secret, "v1.0-"):
		kind = "origin-ca-key"
	case strings.HasPrefix(s.Secret, "cfat_"):
		kind = "account-token"
	case strings.HasPrefix(s.Secret, "cfut_"):
		kind = "user-token"
	}
	account := verifiers.Nearest(s.Context, s.Secret, cfAccountLabelled)
	if account == "" {
		account = verifiers.Nearest(s.Context, s.Secret, cfAccountURL)
	}
	return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", kind, "account_id", account)}
}

// cloudflareVerdict is one endpoint's answer.
type cloudflareVerdict struct {
	res     verifiers.Result
	invalid bool // the documented invalid-token answer
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	kind, account := cred.Companions["kind"], cred.Companions["account_id"]
	if account != "" && !cfAccountExact.MatchString(account) {
		account = "" // only a 32-hex id ever goes into the path
	}
	switch kind {
	case "global-key", "origin-ca-key":
		return verifiers.UnknownResult("cloudflare: " + kind + "s are not verified"), nil
	case "account-token":
		if account == "" {
			return verifiers.UnknownResult("cloudflare: account token (cfat_) without its account id beside it"), nil
		}
	}
	var urls []string
	if kind != "account-token" {
		urls = append(urls, "https://api.cloudflare.com/client/v4/user/tokens/verify")
	}
	if account != "" && kind != "user-token" {
		urls = append(urls, "https://api.cloudflare.com/client/v4/accounts/"+account+"/tokens/verify")
	}
	var last verifiers.Result
	for _, u := range urls {
		vd, err := v.verifyAt(ctx, c, u, cred.Secret)
		if err != nil {
			return vd.res, err
		}
		if !vd.invalid {
			if vd.res.Status == verifiers.Live && strings.Contains(u, "/accounts/") {
				vd.res.Identity["account_id"] = account
				vd.res.Identity["owner"] = "account"
			} else if vd.res.Status == verifiers.Live {
				vd.res.Identity["owner"] = "user"
			}
			return vd.res, nil
		}
		last = vd.res
	}
	if kind == "" && account == "" {
		// A legacy token the user endpoint refuses may be account-owned.
		return verifiers.Result{Status: verifiers.Unknown, Endpoint: last.Endpoint,
			Reason: "cloudflare: not a valid user token; it may be an account-owned token, whose account id is not beside it"}, nil
	}
	if len(urls) > 1 {
		last.Reason = "cloudflare: invalid at the user and the account verify endpoints"
	}
	return last, nil
}

// verifyAt asks one verify endpoint.
func (v *Provider) verifyAt(ctx context.Context, c *verifiers.Client, u, secret string) (cloudflareVerdict, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", u, map[string]string{"Authorization": "Bearer " + secret})
	if err != nil {
		return cloudflareVerdict{res: verifiers.Result{Endpoint: ep}}, err
	}
	var b struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code int `json:"code"`
		} `json:"errors"`
		Result struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			ExpiresOn string `json:"expires_on"`
		} `json:"result"`
	}
	switch resp.StatusCode {
	case 200:
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return cloudflareVerdict{res: verifiers.Result{Endpoint: ep}}, err
		}
		switch b.Result.Status {
		case "active":
			return cloudflareVerdict{res: verifiers.LiveResult(ep, map[string]string{"token_id": b.Result.ID, "expires_on": b.Result.ExpiresOn}, verifiers.Privileges{})}, nil
		case "disabled", "expired":
			// The token exists and is switched off or past its date.
			return cloudflareVerdict{res: verifiers.DeadResult(ep, "cloudflare: token "+b.Result.Status)}, nil
		}
		return cloudflareVerdict{res: verifiers.Result{Endpoint: ep}}, fmt.Errorf("%s: HTTP 200 with token status %q", ep, b.Result.Status)
	case 400, 401, 403:
		if json.Unmarshal(resp.Body, &b) == nil && !b.Success {
			for _, e := range b.Errors {
				if e.Code == 1000 || e.Code == 6003 || e.Code == 9109 || e.Code == 10000 {
					return cloudflareVerdict{res: verifiers.DeadResult(ep, fmt.Sprintf("cloudflare: invalid token (error %d)", e.Code)), invalid: true}, nil
				}
			}
		}
	}
	return cloudflareVerdict{res: verifiers.Result{Endpoint: ep}}, verifiers.Unexpected(resp, ep)
}

// cloudflareShapes are the forms of Cloudflare credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var cloudflareShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:cf(?:ut|at|k)_[A-Za-z0-9]{40,60}|v1\.0-[A-Za-z0-9-]{100,250})$`), verifiers.LazyRegexp(`^(?:[A-Za-z0-9_-]{40}|[a-f0-9]{37,45})$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, cloudflareShapes[0], cloudflareShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

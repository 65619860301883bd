// Package cloudflare is nhiscan's Cloudflare provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package cloudflare

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/finding"
	"nhiscan/remediate"
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
var _ remediate.Remediator = (*Provider)(nil)
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

// Cloudflare: learn the token's id from its own verify endpoint, then
// delete that id (Cloudflare API reference "Verify Token" and "Delete
// Token", user and account variants, read 2026-12). User tokens live
// under /user/tokens, account-owned tokens (cfat_, or a legacy token
// verified at an account) under /accounts/{account_id}/tokens; the id
// deleted is the one the leaked token's own verify call returned.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "cloudflare", Manual: "Cloudflare dashboard → My Profile → API Tokens (account tokens: Manage Account → Account API Tokens) → Roll or Delete",
		Revoke: remediate.Simple{Provider: "cloudflare", Hosts: remediate.Fixed("api.cloudflare.com"),
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				base, owner, err := cloudflareBase(f)
				if err != nil {
					return nil, nil, err
				}
				a := remediate.Header("Authorization", "Bearer "+f.Secret)
				v, d := base+"/tokens/verify", base+"/tokens/{id}"
				need := "API Tokens Write"
				if owner == "account" {
					need = "Account API Tokens Write"
				}
				return []remediate.Request{{Method: "GET", URL: v, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]remediate.Call{{Method: "GET", URL: v, Auth: "the leaked token itself", Why: "learn the " + owner + " token's own id"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete that id only (needs " + need + ")"}}, nil
			},
			Interpret: func(i int, resp *remediate.Response, req remediate.Request, carry map[string]string) error {
				if i == 0 {
					var b struct {
						Result struct{ ID, Status string } `json:"result"`
					}
					_ = json.Unmarshal(resp.Body, &b)
					tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
					explicit := strings.HasPrefix(tok, "cfut_") || strings.HasPrefix(tok, "cfat_") || strings.Contains(req.URL, "/accounts/")
					switch {
					case resp.StatusCode == 401 && explicit, resp.StatusCode == 200 && b.Result.Status != "" && b.Result.Status != "active":
						return remediate.AlreadyErr(req, resp.StatusCode, "token not active")
					case resp.StatusCode == 401:
						return remediate.StatusErr(req.Endpoint(), 401, "not a user token; it may be account-owned (no account id known): revoke it in the dashboard")
					case resp.StatusCode != 200 || b.Result.ID == "":
						return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "no token id")
					}
					carry["id"] = b.Result.ID
					return nil
				}
				return remediate.StatusMap(map[int]error{200: nil, 204: nil, 403: remediate.ErrDenied, 404: remediate.ErrAlreadyDone})(i, resp, req, carry)
			}}}
}

// cloudflareBase is the API base of f's token: /user, or
// /accounts/{account_id} for account-owned tokens (the cfat_ prefix, or a
// verification that answered at an account endpoint), with the account id
// read from the verification or beside the token.
func cloudflareBase(f *finding.Finding) (string, string, error) {
	cred := (&Provider{}).Pair(verifiers.Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context})
	kind, account := cred.Companions["kind"], cred.Companions["account_id"]
	if v := f.Verification; v != nil && v.Identity["owner"] == "account" {
		kind = "account-token"
		if id := v.Identity["account_id"]; id != "" {
			account = id
		}
	}
	switch kind {
	case "global-key", "origin-ca-key":
		return "", "", remediate.Blocked("cloudflare: %ss are not revoked by API: roll them in the dashboard", kind)
	case "account-token":
		if !cfAccountExact.MatchString(account) {
			return "", "", remediate.Blocked("cloudflare: account-owned token without its account id: revoke it in the dashboard (Manage Account → Account API Tokens)")
		}
		return "https://api.cloudflare.com/client/v4/accounts/" + account, "account", nil
	}
	return "https://api.cloudflare.com/client/v4/user", "user", nil
}

// Package twilio is nhiscan's Twilio provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package twilio

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies an account SID with its auth token, or an API key SID
// with its secret (Basic SID:secret). The rule reports the SID or the
// secret; the other half must be found beside it.
//
// Twilio's key types (twilio.com/docs/iam/api-keys/keys-in-console, "Types
// of keys", dated 2026-09-21) decide what a key may read: Main keys and the
// account's auth token may read /Accounts; Standard keys may read anything
// except /Accounts and /Keys; Restricted keys only what they were granted.
// Twilio answers a refused read with the same 401 / error 20003 as a wrong
// secret (twilio.com/docs/api/errors/20003, read 2026-12; Twilio support
// "Error 20003 … When Using Restricted API Keys"). So:
//
//   - GET /2010-04-01/Accounts.json: 200 = live (auth token or Main key:
//     admin); 401 = dead for an account SID + auth token pair;
//   - for an SK key refused there, GET /2010-04-01/Accounts/{AC}/Balance.json
//     with the account SID found beside it: 200 = live Standard key
//     (write, not admin);
//   - an SK key refused everywhere is Unknown ("invalid or restricted"):
//     Twilio does not tell a dead key from a key without that permission.
//
// Unknown by design: SK keys that no probe accepts (Restricted keys, keys
// of another Twilio Region), SK keys without the account SID beside them
// once Accounts.json refused them.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "twilio" }
func (*Provider) Hosts() []string  { return []string{"api.twilio.com"} }

var (
	twilioSIDExact = verifiers.LazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`)
	twilioACExact  = verifiers.LazyRegexp(`^AC[0-9a-fA-F]{32}$`)
	twilioAccount  = verifiers.LazyRegexp(`\b(AC[0-9a-fA-F]{32})\b`)
	twilioKeySID   = verifiers.LazyRegexp(`\b(SK[0-9a-fA-F]{32})\b`)
	twilioSecret   = verifiers.Labelled(`secret|auth_?token|authtoken|token`, `[0-9A-Za-z]{32}`)
)

// Pair finds the SID and the secret: for an SK key SID its secret, for a
// bare token the account SID (or key SID) nearest to it. The account SID
// beside an SK key is kept as "account_sid" (for the Balance probe).
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	var sid, secret string
	if twilioSIDExact.MatchString(s.Secret) {
		sid = s.Secret
		secret = verifiers.Nearest(s.Context, s.Secret, twilioSecret, s.Secret)
	} else {
		secret = s.Secret
		sid = verifiers.Nearest(s.Context, s.Secret, twilioKeySID)
		if sid == "" {
			sid = verifiers.Nearest(s.Context, s.Secret, twilioAccount)
		}
	}
	account := ""
	if strings.HasPrefix(sid, "SK") {
		account = verifiers.Nearest(s.Context, s.Secret, twilioAccount)
	}
	return verifiers.Credential{Secret: secret, Companions: verifiers.Companions("sid", sid, "account_sid", account)}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	sid := cred.Companions["sid"]
	switch {
	case !twilioSIDExact.MatchString(sid):
		return verifiers.UnknownResult("twilio: no account or key SID beside the secret"), nil
	case cred.Secret == "":
		return verifiers.UnknownResult("twilio: no secret beside the SID"), nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(sid+":"+cred.Secret))
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.twilio.com/2010-04-01/Accounts.json", map[string]string{"Authorization": auth})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	isKey := strings.HasPrefix(sid, "SK")
	switch resp.StatusCode {
	case 200:
		var b struct {
			Accounts []struct {
				SID          string `json:"sid"`
				FriendlyName string `json:"friendly_name"`
				Status       string `json:"status"`
				Type         string `json:"type"`
			} `json:"accounts"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if len(b.Accounts) == 0 {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		a := b.Accounts[0]
		kind := "auth-token"
		if isKey {
			kind = "main-key" // only Main keys may read /Accounts
		}
		return verifiers.LiveResult(ep, map[string]string{"account_sid": a.SID, "name": a.FriendlyName, "status": a.Status, "type": a.Type, "credential": kind},
			verifiers.Privileges{Level: "admin", Flags: []string{"can-manage-keys"}}), nil
	case 401:
		if twilioCode(resp.Body) != 20003 && !isKey {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 401 without error 20003", ep)
		}
		if !isKey {
			return verifiers.DeadResult(ep, "twilio: authentication failed (HTTP 401, error 20003)"), nil
		}
		return v.standardKey(ctx, c, cred, auth, ep)
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// twilioShapes are the forms of Twilio credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var twilioShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`), verifiers.LazyRegexp(`^[0-9a-f]{32}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, twilioShapes[0], twilioShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// standardKey probes an SK key that /Accounts refused with a resource a
// Standard key may read.
func (v *Provider) standardKey(ctx context.Context, c *verifiers.Client, cred verifiers.Credential, auth, firstEP string) (verifiers.Result, error) {
	ac := cred.Companions["account_sid"]
	const why = "twilio: API key refused with error 20003, which Twilio also answers for Standard and Restricted keys that may not read the resource"
	if !twilioACExact.MatchString(ac) {
		return verifiers.Result{Status: verifiers.Unknown, Endpoint: firstEP, Reason: why + " (no account SID beside the key for a second probe)"}, nil
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.twilio.com/2010-04-01/Accounts/"+ac+"/Balance.json", map[string]string{"Authorization": auth})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		return verifiers.LiveResult(ep, map[string]string{"account_sid": ac, "credential": "standard-key"}, verifiers.Privileges{Level: "write"}), nil
	case 401, 403:
		return verifiers.Result{Status: verifiers.Unknown, Endpoint: ep, Reason: why + ": invalid or restricted (Accounts.json and Balance.json both refused it)"}, nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

func twilioCode(body []byte) int {
	var b struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Code
}

// Twilio API keys: DELETE with the operator's Main credentials, only for
// a key whose secret was found with its SID (and verified live).
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "twilio", Manual: "Twilio Console → Account → API keys & tokens → Delete",
		Revoke: remediate.Simple{Provider: "twilio", Hosts: remediate.Fixed("iam.twilio.com"), Operator: "Twilio account Main auth token",
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				sid, secret := twilioKey(f)
				switch {
				case !strings.HasPrefix(sid, "SK") || len(sid) != 34:
					return nil, nil, remediate.Blocked("twilio: only API keys (SK…) can be deleted by API; rotate the auth token in the console")
				case secret == "":
					return nil, nil, remediate.Blocked("twilio: only the API key SID %s… is known, not its secret: nothing proves this key leaked, so the operator's account will not delete it; check it and delete it by hand", sid[:8])
				}
				ac := env.Config.Twilio.AccountSID
				if ac == "" {
					return nil, nil, remediate.Blocked("twilio: [providers.twilio] account_sid and auth_token_env are required")
				}
				// Key resource v1 manages Standard and Restricted keys alike
				// (twilio.com/docs/iam/api-keys/key-resource-v1, read
				// 2026-12); the 2010 Keys resource does not know Restricted
				// keys. Deleting needs a Main key or the auth token.
				u := "https://iam.twilio.com/v1/Keys/" + sid
				calls := []remediate.Call{{Method: "DELETE", URL: u, Auth: "operator Main auth token", Why: "delete this API key, named by its SID (Standard or Restricted)"}}
				tok := env.Var(env.Config.Twilio.AuthTokenEnv)
				if tok == "" {
					return nil, calls, remediate.Blocked("twilio: environment variable %s is empty", cmp.Or(env.Config.Twilio.AuthTokenEnv, "(auth_token_env)"))
				}
				r := remediate.Request{Method: "DELETE", URL: u, Header: http.Header{}}
				r.Header.Set("Authorization", basicAuth(ac, tok))
				return []remediate.Request{r}, calls, nil
			},
			Interpret: remediate.StatusMap(map[int]error{204: nil, 200: nil, 404: remediate.ErrAlreadyDone, 401: remediate.ErrDenied, 403: remediate.ErrDenied})}}
}

// twilioKey returns the API key (or account) SID and its secret: from the
// credential's parts when the scanner assembled them, else found beside
// the finding as verification pairs them.
func twilioKey(f *finding.Finding) (sid, secret string) {
	if p := f.Parts["sid"]; p != "" && !twilioSID(f.Secret) {
		return p, f.Secret
	}
	c := (&Provider{}).Pair(verifiers.Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context})
	return c.Companions["sid"], c.Secret
}

func twilioSID(s string) bool {
	return len(s) == 34 && (strings.HasPrefix(s, "SK") || strings.HasPrefix(s, "AC"))
}

func basicAuth(u, p string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))
}

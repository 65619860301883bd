package verifiers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Twilio verifies an account SID with its auth token, or an API key SID
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
type Twilio struct{}

var _ Verifier = (*Twilio)(nil)
var _ Pairer = (*Twilio)(nil)

func (*Twilio) Provider() string { return "twilio" }
func (*Twilio) Hosts() []string  { return []string{"api.twilio.com"} }

var (
	twilioSIDExact = lazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`)
	twilioACExact  = lazyRegexp(`^AC[0-9a-fA-F]{32}$`)
	twilioAccount  = lazyRegexp(`\b(AC[0-9a-fA-F]{32})\b`)
	twilioKeySID   = lazyRegexp(`\b(SK[0-9a-fA-F]{32})\b`)
	twilioSecret   = labelled(`secret|auth_?token|authtoken|token`, `[0-9A-Za-z]{32}`)
)

// Pair finds the SID and the secret: for an SK key SID its secret, for a
// bare token the account SID (or key SID) nearest to it. The account SID
// beside an SK key is kept as "account_sid" (for the Balance probe).
func (*Twilio) Pair(s Sighting) Credential {
	var sid, secret string
	if twilioSIDExact.MatchString(s.Secret) {
		sid = s.Secret
		secret = nearest(s.Context, s.Secret, twilioSecret, s.Secret)
	} else {
		secret = s.Secret
		sid = nearest(s.Context, s.Secret, twilioKeySID)
		if sid == "" {
			sid = nearest(s.Context, s.Secret, twilioAccount)
		}
	}
	account := ""
	if strings.HasPrefix(sid, "SK") {
		account = nearest(s.Context, s.Secret, twilioAccount)
	}
	return Credential{Secret: secret, Companions: companions("sid", sid, "account_sid", account)}
}

func (v *Twilio) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	sid := cred.Companions["sid"]
	switch {
	case !twilioSIDExact.MatchString(sid):
		return unknown("twilio: no account or key SID beside the secret"), nil
	case cred.Secret == "":
		return unknown("twilio: no secret beside the SID"), nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(sid+":"+cred.Secret))
	resp, ep, err := call(ctx, c, v, "GET", "https://api.twilio.com/2010-04-01/Accounts.json", map[string]string{"Authorization": auth})
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if len(b.Accounts) == 0 {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		a := b.Accounts[0]
		kind := "auth-token"
		if isKey {
			kind = "main-key" // only Main keys may read /Accounts
		}
		return live(ep, map[string]string{"account_sid": a.SID, "name": a.FriendlyName, "status": a.Status, "type": a.Type, "credential": kind},
			Privileges{Level: "admin", Flags: []string{"can-manage-keys"}}), nil
	case 401:
		if twilioCode(resp.Body) != 20003 && !isKey {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 401 without error 20003", ep)
		}
		if !isKey {
			return dead(ep, "twilio: authentication failed (HTTP 401, error 20003)"), nil
		}
		return v.standardKey(ctx, c, cred, auth, ep)
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// twilioShapes are the forms of Twilio credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var twilioShapes = [2]*lazyRE{lazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`), lazyRegexp(`^[0-9a-f]{32}$`)}

// Owns implements Shaper.
func (*Twilio) Owns(secret string) Shape { return shapeOf(secret, twilioShapes[0], twilioShapes[1]) }

var _ Shaper = (*Twilio)(nil)

// standardKey probes an SK key that /Accounts refused with a resource a
// Standard key may read.
func (v *Twilio) standardKey(ctx context.Context, c *Client, cred Credential, auth, firstEP string) (Result, error) {
	ac := cred.Companions["account_sid"]
	const why = "twilio: API key refused with error 20003, which Twilio also answers for Standard and Restricted keys that may not read the resource"
	if !twilioACExact.MatchString(ac) {
		return Result{Status: Unknown, Endpoint: firstEP, Reason: why + " (no account SID beside the key for a second probe)"}, nil
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://api.twilio.com/2010-04-01/Accounts/"+ac+"/Balance.json", map[string]string{"Authorization": auth})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		return live(ep, map[string]string{"account_sid": ac, "credential": "standard-key"}, Privileges{Level: "write"}), nil
	case 401, 403:
		return Result{Status: Unknown, Endpoint: ep, Reason: why + ": invalid or restricted (Accounts.json and Balance.json both refused it)"}, nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

func twilioCode(body []byte) int {
	var b struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Code
}

package verifiers

import (
	"context"
	"encoding/base64"
	"fmt"
)

// Twilio verifies an account SID with its auth token, or an API key SID
// with its secret, with GET https://api.twilio.com/2010-04-01/Accounts.json
// (Basic SID:secret). The rule reports the SID or the secret; the other
// half must be found beside it.
type Twilio struct{}

var _ Verifier = (*Twilio)(nil)
var _ Pairer = (*Twilio)(nil)

func (*Twilio) Provider() string { return "twilio" }
func (*Twilio) Hosts() []string  { return []string{"api.twilio.com"} }

var (
	twilioSIDExact = lazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`)
	twilioAccount  = lazyRegexp(`\b(AC[0-9a-fA-F]{32})\b`)
	twilioKeySID   = lazyRegexp(`\b(SK[0-9a-fA-F]{32})\b`)
	twilioSecret   = labelled(`secret|auth_?token|authtoken|token`, `[0-9A-Za-z]{32}`)
)

// Pair finds the SID and the secret: for an SK key SID its secret, for a
// bare token the account SID (or key SID) nearest to it.
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
	return Credential{Secret: secret, Companions: companions("sid", sid)}
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
		// Account credentials (auth token, Main keys) can manage keys.
		return live(ep, map[string]string{"account_sid": a.SID, "name": a.FriendlyName, "status": a.Status, "type": a.Type},
			Privileges{Level: "admin", Flags: []string{"can-manage-keys"}}), nil
	case 401:
		return dead(ep, "twilio: authentication failed (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// twilioShapes are the forms of Twilio credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var twilioShapes = [2]*lazyRE{lazyRegexp(`^(?:AC|SK)[0-9a-fA-F]{32}$`), lazyRegexp(`^[0-9a-f]{32}$`)}

// Owns implements Shaper.
func (*Twilio) Owns(secret string) Shape { return shapeOf(secret, twilioShapes[0], twilioShapes[1]) }

var _ Shaper = (*Twilio)(nil)

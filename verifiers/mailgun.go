package verifiers

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Mailgun verifies private API keys with GET /v3/domains (Basic api:KEY),
// first on api.mailgun.net (US), then, if the US region rejects the key,
// on api.eu.mailgun.net: a key is dead only when both regions reject it.
// Public validation keys (pubkey-) and webhook signing keys are not
// verified.
type Mailgun struct{}

var _ Verifier = (*Mailgun)(nil)
var _ Pairer = (*Mailgun)(nil)

func (*Mailgun) Provider() string { return "mailgun" }
func (*Mailgun) Hosts() []string  { return []string{"api.mailgun.net", "api.eu.mailgun.net"} }

// Pair marks the key kinds that are not private API keys.
func (*Mailgun) Pair(s Sighting) Credential {
	if strings.HasPrefix(s.Secret, "pubkey-") || s.RuleID == "mailgun-pub-key" || s.RuleID == "mailgun-signing-key" {
		return Credential{Secret: s.Secret, Companions: companions("kind", "not-api-key")}
	}
	return Credential{Secret: s.Secret}
}

func (v *Mailgun) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	if cred.Companions["kind"] != "" {
		return unknown("mailgun: only private API keys are verified"), nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("api:"+cred.Secret))
	var last Result
	for _, host := range v.Hosts() {
		resp, ep, err := call(ctx, c, v, "GET", "https://"+host+"/v3/domains?limit=1", map[string]string{"Authorization": auth})
		if err != nil {
			return Result{Endpoint: ep}, err
		}
		switch resp.StatusCode {
		case 200:
			var b struct {
				TotalCount int `json:"total_count"`
				Items      []struct {
					Name string `json:"name"`
				} `json:"items"`
			}
			if err := decode(resp, ep, &b); err != nil {
				return Result{Endpoint: ep}, err
			}
			id := map[string]string{"region": map[bool]string{true: "eu", false: "us"}[host == "api.eu.mailgun.net"], "domains": strconv.Itoa(b.TotalCount)}
			if len(b.Items) > 0 {
				id["domain"] = b.Items[0].Name
			}
			return live(ep, id, Privileges{Level: "write", Flags: []string{"can-send"}}), nil
		case 401, 403:
			last = dead(ep, "mailgun: rejected by the US and EU regions (HTTP "+itoa(resp.StatusCode)+")")
			continue
		}
		return Result{Endpoint: ep}, unexpected(resp, ep)
	}
	if last.Status != Dead {
		return Result{}, fmt.Errorf("mailgun: no answer")
	}
	return last, nil
}

// mailgunShapes are the forms of Mailgun credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var mailgunShapes = [2]*lazyRE{lazyRegexp(`^(?:(?:pub)?key-[a-f0-9]{32}|[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})$`), lazyRegexp(`^[a-z0-9-]{32,80}$`)}

// Owns implements Shaper.
func (*Mailgun) Owns(secret string) Shape { return shapeOf(secret, mailgunShapes[0], mailgunShapes[1]) }

var _ Shaper = (*Mailgun)(nil)

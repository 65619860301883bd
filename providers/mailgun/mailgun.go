// Package mailgun is nhiscan's Mailgun provider: the shape of its credentials,
// their parts, their verification (see package providers).
package mailgun

import (
	"context"
	"encoding/base64"
	"nhiscan/verifiers"
	"strconv"
	"strings"
)

// Provider verifies private API keys with GET /v4/domains?limit=1 (Basic
// api:KEY; Mailgun API reference "Domains › Get domains", read 2026-12: the
// domains list moved from /v3 to /v4), first on api.mailgun.net (US), then
// on api.eu.mailgun.net (EU): keys are region-scoped.
//
// Mailgun also issues keys that may not list domains: domain sending keys
// (only POST /v3/{domain}/messages) and API keys with a sending-only role.
// They get the same 401 on /domains as a wrong key, and there is no free
// read-only call that tells them apart. So a 401 in both regions is Dead
// only for the legacy account key format ("key-" + 32 hex), which was
// always a full account key; any other key refused in both regions is
// Unknown ("invalid, or a sending-only key").
//
// Unknown by design: sending-only keys, public validation keys (pubkey-)
// and webhook signing keys.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "mailgun" }
func (*Provider) Hosts() []string  { return []string{"api.mailgun.net", "api.eu.mailgun.net"} }

var mailgunLegacyKey = verifiers.LazyRegexp(`^key-[0-9a-f]{32}$`)

// Pair marks the key kinds that are not private API keys.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	if strings.HasPrefix(s.Secret, "pubkey-") || s.RuleID == "mailgun-pub-key" || s.RuleID == "mailgun-signing-key" {
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "not-api-key")}
	}
	return verifiers.Credential{Secret: s.Secret}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	if cred.Companions["kind"] != "" {
		return verifiers.UnknownResult("mailgun: only private API keys are verified"), nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("api:"+cred.Secret))
	var lastEP string
	for _, host := range v.Hosts() {
		resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/v4/domains?limit=1", map[string]string{"Authorization": auth})
		if err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		switch resp.StatusCode {
		case 200:
			var b struct {
				TotalCount int `json:"total_count"`
				Items      []struct {
					Name string `json:"name"`
				} `json:"items"`
			}
			if err := verifiers.Decode(resp, ep, &b); err != nil {
				return verifiers.Result{Endpoint: ep}, err
			}
			id := map[string]string{"region": map[bool]string{true: "eu", false: "us"}[host == "api.eu.mailgun.net"], "domains": strconv.Itoa(b.TotalCount)}
			if len(b.Items) > 0 {
				id["domain"] = b.Items[0].Name
			}
			return verifiers.LiveResult(ep, id, verifiers.Privileges{Level: "admin", Flags: []string{"can-send", "can-manage-domains"}}), nil
		case 401, 403:
			lastEP = ep
			continue
		}
		return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
	}
	if mailgunLegacyKey.MatchString(cred.Secret) {
		return verifiers.DeadResult(lastEP, "mailgun: account key refused by the US and EU regions (HTTP 401)"), nil
	}
	return verifiers.Result{Status: verifiers.Unknown, Endpoint: lastEP,
		Reason: "mailgun: refused on /v4/domains by the US and EU regions: an invalid key, or a sending-only key (domain sending key or sending role) that may not list domains"}, nil
}

// mailgunShapes are the forms of Mailgun credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var mailgunShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:(?:pub)?key-[a-f0-9]{32}|[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})$`), verifiers.LazyRegexp(`^[a-z0-9-]{32,80}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, mailgunShapes[0], mailgunShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

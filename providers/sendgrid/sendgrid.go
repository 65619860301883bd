package sendgrid

import (
	"context"
	"nhiscan/verifiers"
	"slices"
	"strings"
)

// Provider verifies SendGrid API keys with GET /v3/scopes, first on
// api.sendgrid.com (global users and subusers), then on api.eu.sendgrid.com
// (EU regional subusers, whose keys work only there: Twilio SendGrid API
// reference, "Base url" of every v3 operation, read 2026-12). A key is dead
// only when both hosts answer 401; 403 (a key without access to that
// resource) is never a dead verdict.
//
// Identity "region" is "global" or "eu": the revoker deletes the key on
// that host. Unknown by design: a 403 from both hosts.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)

// sendgridHosts are tried in this order.
var sendgridHosts = []string{"api.sendgrid.com", "api.eu.sendgrid.com"}

func (*Provider) Provider() string { return "sendgrid" }
func (*Provider) Hosts() []string  { return slices.Clone(sendgridHosts) }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	var last verifiers.Result
	for _, host := range sendgridHosts {
		resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/v3/scopes", map[string]string{"Authorization": "Bearer " + cred.Secret})
		if err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		switch resp.StatusCode {
		case 200:
			var b struct {
				Scopes []string `json:"scopes"`
			}
			if err := verifiers.Decode(resp, ep, &b); err != nil {
				return verifiers.Result{Endpoint: ep}, err
			}
			p := verifiers.Privileges{Scopes: b.Scopes, Level: "read"}
			for _, s := range b.Scopes {
				if strings.HasSuffix(s, ".create") || strings.HasSuffix(s, ".update") || strings.HasSuffix(s, ".delete") || s == "mail.send" {
					p.Level = "write"
				}
			}
			if slices.Contains(b.Scopes, "api_keys.create") || slices.Contains(b.Scopes, "api_keys.delete") {
				p.Level = "admin"
				p.Flags = append(p.Flags, "can-manage-keys")
			}
			region := "global"
			if host == "api.eu.sendgrid.com" {
				region = "eu"
			}
			return verifiers.LiveResult(ep, map[string]string{"scopes": strings.Join(b.Scopes, ","), "region": region}, p), nil
		case 401:
			last = verifiers.DeadResult(ep, "sendgrid: unauthorized on api.sendgrid.com and api.eu.sendgrid.com (HTTP 401)")
			continue
		case 403:
			return verifiers.Result{Status: verifiers.Unknown, Endpoint: ep, Reason: "sendgrid: HTTP 403 (the key may not read /v3/scopes)"}, nil
		}
		return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
	}
	return last, nil
}

// sendgridShapes are the forms of SendGrid credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var sendgridShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, sendgridShapes[0], sendgridShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

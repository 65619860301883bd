package verifiers

import (
	"context"
	"slices"
	"strings"
)

// SendGrid verifies SendGrid API keys with GET /v3/scopes, first on
// api.sendgrid.com (global users and subusers), then on api.eu.sendgrid.com
// (EU regional subusers, whose keys work only there: Twilio SendGrid API
// reference, "Base url" of every v3 operation, read 2026-12). A key is dead
// only when both hosts answer 401; 403 (a key without access to that
// resource) is never a dead verdict.
//
// Identity "region" is "global" or "eu": the revoker deletes the key on
// that host. Unknown by design: a 403 from both hosts.
type SendGrid struct{}

var _ Verifier = (*SendGrid)(nil)

// sendgridHosts are tried in this order.
var sendgridHosts = []string{"api.sendgrid.com", "api.eu.sendgrid.com"}

func (*SendGrid) Provider() string { return "sendgrid" }
func (*SendGrid) Hosts() []string  { return slices.Clone(sendgridHosts) }

func (v *SendGrid) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	var last Result
	for _, host := range sendgridHosts {
		resp, ep, err := call(ctx, c, v, "GET", "https://"+host+"/v3/scopes", map[string]string{"Authorization": "Bearer " + cred.Secret})
		if err != nil {
			return Result{Endpoint: ep}, err
		}
		switch resp.StatusCode {
		case 200:
			var b struct {
				Scopes []string `json:"scopes"`
			}
			if err := decode(resp, ep, &b); err != nil {
				return Result{Endpoint: ep}, err
			}
			p := Privileges{Scopes: b.Scopes, Level: "read"}
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
			return live(ep, map[string]string{"scopes": strings.Join(b.Scopes, ","), "region": region}, p), nil
		case 401:
			last = dead(ep, "sendgrid: unauthorized on api.sendgrid.com and api.eu.sendgrid.com (HTTP 401)")
			continue
		case 403:
			return Result{Status: Unknown, Endpoint: ep, Reason: "sendgrid: HTTP 403 (the key may not read /v3/scopes)"}, nil
		}
		return Result{Endpoint: ep}, unexpected(resp, ep)
	}
	return last, nil
}

// sendgridShapes are the forms of SendGrid credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var sendgridShapes = [2]*lazyRE{lazyRegexp(`^SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}$`), nil}

// Owns implements Shaper.
func (*SendGrid) Owns(secret string) Shape {
	return shapeOf(secret, sendgridShapes[0], sendgridShapes[1])
}

var _ Shaper = (*SendGrid)(nil)

package verifiers

import (
	"context"
	"slices"
	"strings"
)

// SendGrid verifies SendGrid API keys with GET https://api.sendgrid.com/v3/scopes.
type SendGrid struct{}

var _ Verifier = (*SendGrid)(nil)

func (*SendGrid) Provider() string { return "sendgrid" }
func (*SendGrid) Hosts() []string  { return []string{"api.sendgrid.com"} }

func (v *SendGrid) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://api.sendgrid.com/v3/scopes", map[string]string{"Authorization": "Bearer " + secret})
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
		return live(ep, map[string]string{"scopes": strings.Join(b.Scopes, ",")}, p), nil
	case 401, 403:
		return dead(ep, "unauthorized (HTTP "+itoa(resp.StatusCode)+")"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// sendgridShapes are the forms of SendGrid credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var sendgridShapes = [2]*lazyRE{lazyRegexp(`^SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}$`), nil}

// Owns implements Shaper.
func (*SendGrid) Owns(secret string) Shape {
	return shapeOf(secret, sendgridShapes[0], sendgridShapes[1])
}

var _ Shaper = (*SendGrid)(nil)

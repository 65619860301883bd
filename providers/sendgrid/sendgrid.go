// Package sendgrid is nhiscan's SendGrid provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package sendgrid

import (
	"context"
	"net/url"
	"nhiscan/finding"
	"nhiscan/remediate"
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
var _ remediate.Remediator = (*Provider)(nil)

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

// SendGrid: the key id is the middle part of SG.<id>.<secret>; deleting
// needs the api_keys scope (Twilio SendGrid "Delete API keys", read
// 2026-12). The key is deleted on the host it lives on: EU regional
// subusers' keys on api.eu.sendgrid.com (identity "region" of its
// verification), others on api.sendgrid.com; a 401 there is "already".
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "sendgrid", Manual: "SendGrid → Settings → API Keys → Delete", Revoke: sendgridRevoke{}}
}

// sendgridRevoke deletes a SendGrid key on the host it lives on.
type sendgridRevoke struct{}

// OperatorCredential implements remediate.Action: the key deletes itself.
func (sendgridRevoke) OperatorCredential() string { return "" }

// sendgridTarget is the DELETE URL of f's key and whether its host is
// known from a live verification.
func sendgridTarget(f *finding.Finding) (string, bool, error) {
	parts := strings.Split(f.Secret, ".")
	if len(parts) != 3 || parts[1] == "" {
		return "", false, remediate.Blocked("sendgrid: not an SG.<id>.<secret> key")
	}
	host, known := "api.sendgrid.com", false
	if v := f.Verification; v != nil && v.Status == finding.StatusLive {
		switch v.Identity["region"] {
		case "eu":
			host, known = "api.eu.sendgrid.com", true
		case "global":
			known = true
		}
	}
	return "https://" + host + "/v3/api_keys/" + url.PathEscape(parts[1]), known, nil
}

func (sendgridRevoke) Plan(env *remediate.Env, f *finding.Finding) ([]remediate.Call, error) {
	u, _, err := sendgridTarget(f)
	if err != nil {
		return nil, err
	}
	return []remediate.Call{{Method: "DELETE", URL: u, Auth: "the leaked key itself",
		Why: "delete this key (its id is the middle part of the key; needs the api_keys scope) on the host it verified on: api.eu.sendgrid.com for EU regional subusers"}}, nil
}

func (sendgridRevoke) Apply(ctx context.Context, env *remediate.Env, f *finding.Finding) ([]string, error) {
	u, known, err := sendgridTarget(f)
	if err != nil {
		return nil, err
	}
	req := remediate.Request{Provider: "sendgrid", Hosts: []string{"api.sendgrid.com", "api.eu.sendgrid.com"}, Method: "DELETE", URL: u, Header: remediate.Header("Authorization", "Bearer "+f.Secret)}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.Evidence(req)}
	switch resp.StatusCode {
	case 200, 204:
		return ev, nil
	case 401:
		if !known {
			// An EU key answers 401 on the global host while it works.
			return ev, remediate.StatusErr(req.Endpoint(), 401, "unauthorized here; the key's region is not known from a live verification")
		}
		return ev, remediate.AlreadyErr(req, 401, "key not valid")
	case 404:
		return ev, remediate.AlreadyErr(req, 404, "no such key")
	case 403:
		return ev, remediate.DeniedErr(req, 403)
	}
	return ev, remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

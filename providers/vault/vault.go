// Package vault is nhiscan's HashiCorp Vault provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package vault

import (
	"context"
	"fmt"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"slices"
	"strings"
)

// Provider verifies HashiCorp Vault tokens with
// GET https://{host}/v1/auth/token/lookup-self (X-Vault-Token). Vault has
// no official public host: only servers named in the operator's config
// (verify.hosts.vault) are used.
type Provider struct {
	// Servers are the Vault hosts ("vault.example.com:8200") of the operator's config.
	Servers []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string  { return "vault" }
func (v *Provider) Hosts() []string { return slices.Clone(v.Servers) }
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	return verifiers.SelfHostedPair(s, v.Servers)
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	host, r := verifiers.SelfHostedHost("vault", cred, v.Servers)
	if r != nil {
		return *r, nil
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/v1/auth/token/lookup-self", map[string]string{"X-Vault-Token": cred.Secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			Data struct {
				DisplayName string   `json:"display_name"`
				EntityID    string   `json:"entity_id"`
				Policies    []string `json:"policies"`
				ExpireTime  *string  `json:"expire_time"`
				Orphan      bool     `json:"orphan"`
			} `json:"data"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.Data.Policies == nil && b.Data.DisplayName == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without token data", ep)
		}
		p := verifiers.Privileges{Level: "unknown", Scopes: b.Data.Policies}
		if slices.Contains(b.Data.Policies, "root") {
			p.Level, p.Flags = "admin", []string{"root-token"}
		}
		id := map[string]string{"host": host, "display_name": b.Data.DisplayName, "entity_id": b.Data.EntityID, "policies": strings.Join(b.Data.Policies, ",")}
		if b.Data.ExpireTime != nil {
			id["expire_time"] = *b.Data.ExpireTime
		}
		return verifiers.LiveResult(ep, id, p), nil
	case 403:
		return verifiers.DeadResult(ep, "vault: permission denied (HTTP 403)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// vaultShapes are the forms of Vault credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var vaultShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:hv[sbr]\.[A-Za-z0-9_-]{24,400}|[sb]\.[A-Za-z0-9]{24,})$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, vaultShapes[0], vaultShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Vault: revoke-self at the configured address only.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	vaultHosts := func(env *remediate.Env) ([]string, error) {
		_, h, err := remediate.ConfiguredBase("vault ([providers.vault] addr)", env.Config.Vault.Addr)
		return []string{h}, err
	}
	vaultReq := func(env *remediate.Env, f *finding.Finding, method, p string) remediate.Request {
		b, _, _ := remediate.ConfiguredBase("vault", env.Config.Vault.Addr)
		h := remediate.Header("X-Vault-Token", f.Secret)
		if env.Config.Vault.Namespace != "" {
			h.Set("X-Vault-Namespace", env.Config.Vault.Namespace)
		}
		return remediate.Request{Method: method, URL: b + p, Header: h}
	}
	return &remediate.Registration{Provider: "vault", Manual: "vault token revoke -self (with the token), or vault token revoke -accessor <accessor>",
		Check: remediate.HTTPCheck{Provider: "vault", Hosts: vaultHosts, Build: func(env *remediate.Env, f *finding.Finding) remediate.Request {
			return vaultReq(env, f, "GET", "/v1/auth/token/lookup-self")
		}, Dead: []int{403, 401}},
		Revoke: remediate.Simple{Provider: "vault", Hosts: vaultHosts,
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				r := vaultReq(env, f, "POST", "/v1/auth/token/revoke-self")
				r.Body = []byte{}
				return []remediate.Request{r}, []remediate.Call{{Method: "POST", URL: r.URL, Auth: "the leaked token itself", Why: "self-revocation (revoke-self)"}}, nil
			},
			Interpret: func(_ int, resp *remediate.Response, req remediate.Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 403:
					return remediate.AlreadyErr(req, resp.StatusCode, "permission denied (token already invalid)")
				}
				return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}}}
}

// Package gitlab is nhiscan's GitLab provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package gitlab

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Provider verifies personal, project and group access tokens with
// GET /api/v4/personal_access_tokens/self (header PRIVATE-TOKEN) on
// gitlab.com, or on a self-managed instance named in the operator's
// config (verify.hosts.gitlab) when the token's context names it.
type Provider struct {
	// SelfManaged are the self-managed GitLab hosts of the operator's config.
	SelfManaged []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string  { return "gitlab" }
func (v *Provider) Hosts() []string { return append([]string{"gitlab.com"}, v.SelfManaged...) }

// Pair keeps the token and the configured self-managed host its context
// names, if any (gitlab.com otherwise).
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	// A single configured server is not assumed: its tokens look like the
	// public service's.
	host := verifiers.ConfiguredHost(s.Context, s.Secret, v.SelfManaged, false)
	return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("host", host)}
}

// gitlabVerifiable are the token prefixes /personal_access_tokens/self
// accepts (personal, project and group access tokens share glpat-).
func gitlabVerifiable(tok string) bool {
	return strings.HasPrefix(tok, "glpat-") || !strings.HasPrefix(tok, "gl")
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	host := "gitlab.com"
	if h := cred.Companions["host"]; h != "" {
		if !slices.Contains(v.SelfManaged, h) {
			return verifiers.UnknownResult("gitlab: host " + verifiers.Quote(h) + " is not configured"), nil
		}
		host = h
	}
	if !gitlabVerifiable(cred.Secret) {
		return verifiers.UnknownResult("gitlab: only access tokens (glpat-) are verified"), nil
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/api/v4/personal_access_tokens/self", map[string]string{"PRIVATE-TOKEN": cred.Secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID        int64    `json:"id"`
			Name      string   `json:"name"`
			Scopes    []string `json:"scopes"`
			Active    bool     `json:"active"`
			Revoked   bool     `json:"revoked"`
			ExpiresAt string   `json:"expires_at"`
			UserID    int64    `json:"user_id"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.ID == 0 {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a token", ep)
		}
		if b.Revoked || !b.Active {
			return verifiers.DeadResult(ep, "gitlab: token revoked or inactive"), nil
		}
		id := map[string]string{"token_name": b.Name, "token_id": strconv.FormatInt(b.ID, 10), "user_id": strconv.FormatInt(b.UserID, 10), "expires_at": b.ExpiresAt}
		if host != "gitlab.com" {
			id["host"] = host
		}
		return verifiers.LiveResult(ep, id, gitlabPrivileges(b.Scopes)), nil
	case 401:
		return verifiers.DeadResult(ep, "gitlab: unauthorized (HTTP 401)"), nil
	case 403:
		var b struct {
			Error string `json:"error"`
		}
		if verifiers.Decode(resp, ep, &b) == nil && b.Error == "insufficient_scope" {
			// Authenticated, but the token may not read itself.
			return verifiers.LiveResult(ep, map[string]string{"host": host}, verifiers.Privileges{Level: "unknown", Flags: []string{"insufficient-scope"}}), nil
		}
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

func gitlabPrivileges(scopes []string) verifiers.Privileges {
	p := verifiers.Privileges{Scopes: scopes, Level: "unknown"}
	if len(scopes) > 0 {
		p.Level = "read"
	}
	for _, s := range scopes {
		switch s {
		case "sudo", "admin_mode":
			p.Level = "admin"
		case "api", "write_repository", "write_registry", "write_package_registry":
			if p.Level != "admin" {
				p.Level = "write"
			}
		}
		if s == "api" || s == "self_rotate" || s == "sudo" {
			if !slices.Contains(p.Flags, "can-manage-keys") {
				p.Flags = append(p.Flags, "can-manage-keys")
			}
		}
	}
	return p
}

// gitlabShapes are the forms of GitLab credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var gitlabShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:[A-Za-z0-9_-]{0,20}gl[a-z]{1,8}-[A-Za-z0-9_.-]{20,320}|GR1348941[A-Za-z0-9_-]{20,60})$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, gitlabShapes[0], gitlabShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// GitLab: DELETE personal_access_tokens/self; rotate with self/rotate.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	gitlabHosts := func(env *remediate.Env) ([]string, error) {
		_, h, err := remediate.ConfiguredBase("gitlab", cmp.Or(env.Config.GitLab.URL, "https://gitlab.com"))
		return []string{h}, err
	}
	gitlabBase := func(env *remediate.Env) string {
		b, _, _ := remediate.ConfiguredBase("gitlab", cmp.Or(env.Config.GitLab.URL, "https://gitlab.com"))
		return b
	}
	return &remediate.Registration{Provider: "gitlab", Manual: "GitLab → User settings → Access tokens → Revoke",
		Check: remediate.HTTPCheck{Provider: "gitlab", Hosts: gitlabHosts, Build: func(env *remediate.Env, f *finding.Finding) remediate.Request {
			return remediate.Request{Method: "GET", URL: gitlabBase(env) + "/api/v4/personal_access_tokens/self", Header: remediate.Header("PRIVATE-TOKEN", f.Secret)}
		}, Dead: []int{401}},
		Revoke: remediate.Simple{Provider: "gitlab", Hosts: gitlabHosts,
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				u := gitlabBase(env) + "/api/v4/personal_access_tokens/self"
				return []remediate.Request{{Method: "DELETE", URL: u, Header: remediate.Header("PRIVATE-TOKEN", f.Secret)}},
					[]remediate.Call{{Method: "DELETE", URL: u, Auth: "the leaked token itself", Why: "self-revocation"}}, nil
			},
			Interpret: func(_ int, resp *remediate.Response, req remediate.Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 401:
					return remediate.AlreadyErr(req, resp.StatusCode, "token not valid")
				case 403:
					return remediate.DeniedErr(req, resp.StatusCode)
				}
				return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}},
		Rotate: gitlabRotate{hosts: gitlabHosts, base: gitlabBase},
	}
}

// gitlabRotate: POST personal_access_tokens/self/rotate returns a new token
// and revokes the old one in one call; the new token goes to the destination.
type gitlabRotate struct {
	hosts func(env *remediate.Env) ([]string, error)
	base  func(env *remediate.Env) string
}

// OperatorCredential implements remediate.Action: the new token is written
// to the destination with the operator's token.
func (gitlabRotate) OperatorCredential() string { return "rotation destination's operator token" }

// ValueNames names what the rotation writes to its destination.
func (gitlabRotate) ValueNames() []string { return []string{"GITLAB_TOKEN"} }

func (g gitlabRotate) Plan(env *remediate.Env, f *finding.Finding) ([]remediate.Call, error) {
	if _, err := g.hosts(env); err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.NoDestination("gitlab")
	}
	calls := []remediate.Call{{Method: "GET", URL: g.base(env) + "/api/v4/personal_access_tokens/self", Auth: "the leaked token itself", Why: "read the token's lifetime (created_at, expires_at)"},
		{Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate", Auth: "the leaked token itself", Why: "GitLab issues a new token with the same lifetime (expires_at) and revokes this one (needs api or self_rotate scope)"}}
	return append(calls, env.Destination.Calls()...), nil
}

func (g gitlabRotate) Apply(ctx context.Context, env *remediate.Env, f *finding.Finding) ([]string, error) {
	hosts, err := g.hosts(env)
	if err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.NoDestination("gitlab")
	}
	// Without expires_at GitLab gives the new token one week where expiry
	// is required (GitLab REST "Rotate a personal access token", read
	// 2026-12): keep the old token's lifetime instead.
	self := remediate.Request{Provider: "gitlab", Hosts: hosts, Method: "GET", URL: g.base(env) + "/api/v4/personal_access_tokens/self", Header: remediate.Header("PRIVATE-TOKEN", f.Secret)}
	sresp, err := env.Client.Do(ctx, self)
	if err != nil {
		return nil, err
	}
	ev := []string{sresp.Evidence(self)}
	switch sresp.StatusCode {
	case 200:
	case 401:
		return ev, remediate.AlreadyErr(self, 401, "token not valid")
	default:
		return ev, remediate.StatusErr(self.Endpoint(), sresp.StatusCode, "cannot read the token's lifetime")
	}
	body := []byte("{}")
	if exp, ok := gitlabKeepLifetime(sresp.Body, env.Clock()); ok {
		body, _ = json.Marshal(map[string]string{"expires_at": exp})
	}
	req := remediate.Request{Provider: "gitlab", Hosts: hosts, Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate",
		Header: remediate.Header("PRIVATE-TOKEN", f.Secret, "Content-Type", "application/json"), Body: body}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return ev, err
	}
	ev = append(ev, resp.Evidence(req))
	switch resp.StatusCode {
	case 200, 201:
	case 401:
		return ev, remediate.AlreadyErr(req, 401, "token not valid")
	case 403:
		return ev, remediate.DeniedErr(req, 403)
	default:
		return ev, remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
	}
	var nt struct {
		ID        int    `json:"id"`
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if json.Unmarshal(resp.Body, &nt) != nil || nt.Token == "" {
		return ev, fmt.Errorf("%s: no token in the answer; the old token may already be revoked", req.Endpoint())
	}
	env.Checkpoint(ctx, fmt.Sprintf("GitLab issued token id %d and revoked the leaked one; storing it in %s", nt.ID, env.Destination.Describe()))
	dev, err := env.Destination.Put(ctx, map[string]string{"GITLAB_TOKEN": nt.Token})
	ev = append(ev, dev...)
	if err != nil {
		// GitLab already revoked the old token: the new one must not be lost.
		return ev, fmt.Errorf("GitLab rotated the token (new token id %d, old one revoked) but storing it in %s failed (%v): rotate again by hand", nt.ID, env.Destination.Describe(), err)
	}
	return append(ev, fmt.Sprintf("stored the new token (id %d, expires %s) in %s", nt.ID, cmp.Or(nt.ExpiresAt, "-"), env.Destination.Describe())), nil
}

// gitlabKeepLifetime returns the expires_at giving a rotated token the
// lifetime of the token described by body (GET …/self): today plus
// expires_at − created_at, at most 365 days (GitLab's default maximum).
// ok is false when the old token does not expire.
func gitlabKeepLifetime(body []byte, now time.Time) (string, bool) {
	var b struct {
		CreatedAt string `json:"created_at"`
		ExpiresAt string `json:"expires_at"`
	}
	if json.Unmarshal(body, &b) != nil || b.ExpiresAt == "" {
		return "", false
	}
	exp, err := time.Parse("2006-01-02", b.ExpiresAt)
	if err != nil {
		return "", false
	}
	created, err := time.Parse(time.RFC3339, b.CreatedAt)
	if err != nil {
		return "", false
	}
	days := int(exp.Sub(created.UTC().Truncate(24*time.Hour)).Hours() / 24)
	days = min(max(days, 1), 365)
	return now.UTC().AddDate(0, 0, days).Format("2006-01-02"), true
}

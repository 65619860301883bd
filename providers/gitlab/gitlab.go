package gitlab

import (
	"context"
	"fmt"
	"nhiscan/verifiers"
	"slices"
	"strconv"
	"strings"
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

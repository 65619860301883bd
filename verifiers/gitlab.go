package verifiers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// GitLab verifies personal, project and group access tokens with
// GET /api/v4/personal_access_tokens/self (header PRIVATE-TOKEN) on
// gitlab.com, or on a self-managed instance named in the operator's
// config (verify.hosts.gitlab) when the token's context names it.
type GitLab struct {
	// SelfManaged are the self-managed GitLab hosts of the operator's config.
	SelfManaged []string
}

var _ Verifier = (*GitLab)(nil)
var _ Pairer = (*GitLab)(nil)

func (*GitLab) Provider() string  { return "gitlab" }
func (v *GitLab) Hosts() []string { return append([]string{"gitlab.com"}, v.SelfManaged...) }

// Pair keeps the token and the configured self-managed host its context
// names, if any (gitlab.com otherwise).
func (v *GitLab) Pair(s Sighting) Credential {
	// A single configured server is not assumed: its tokens look like the
	// public service's.
	host := configuredHost(s.Context, s.Secret, v.SelfManaged, false)
	return Credential{Secret: s.Secret, Companions: companions("host", host)}
}

// gitlabVerifiable are the token prefixes /personal_access_tokens/self
// accepts (personal, project and group access tokens share glpat-).
func gitlabVerifiable(tok string) bool {
	return strings.HasPrefix(tok, "glpat-") || !strings.HasPrefix(tok, "gl")
}

func (v *GitLab) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	host := "gitlab.com"
	if h := cred.Companions["host"]; h != "" {
		if !slices.Contains(v.SelfManaged, h) {
			return unknown("gitlab: host " + quote(h) + " is not configured"), nil
		}
		host = h
	}
	if !gitlabVerifiable(cred.Secret) {
		return unknown("gitlab: only access tokens (glpat-) are verified"), nil
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://"+host+"/api/v4/personal_access_tokens/self", map[string]string{"PRIVATE-TOKEN": cred.Secret})
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.ID == 0 {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a token", ep)
		}
		if b.Revoked || !b.Active {
			return dead(ep, "gitlab: token revoked or inactive"), nil
		}
		id := map[string]string{"token_name": b.Name, "token_id": strconv.FormatInt(b.ID, 10), "user_id": strconv.FormatInt(b.UserID, 10), "expires_at": b.ExpiresAt}
		if host != "gitlab.com" {
			id["host"] = host
		}
		return live(ep, id, gitlabPrivileges(b.Scopes)), nil
	case 401:
		return dead(ep, "gitlab: unauthorized (HTTP 401)"), nil
	case 403:
		var b struct {
			Error string `json:"error"`
		}
		if decode(resp, ep, &b) == nil && b.Error == "insufficient_scope" {
			// Authenticated, but the token may not read itself.
			return live(ep, map[string]string{"host": host}, Privileges{Level: "unknown", Flags: []string{"insufficient-scope"}}), nil
		}
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

func gitlabPrivileges(scopes []string) Privileges {
	p := Privileges{Scopes: scopes, Level: "unknown"}
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
var gitlabShapes = [2]*lazyRE{lazyRegexp(`^(?:[A-Za-z0-9_-]{0,20}gl[a-z]{1,8}-[A-Za-z0-9_.-]{20,320}|GR1348941[A-Za-z0-9_-]{20,60})$`), nil}

// Owns implements Shaper.
func (*GitLab) Owns(secret string) Shape { return shapeOf(secret, gitlabShapes[0], gitlabShapes[1]) }

var _ Shaper = (*GitLab)(nil)

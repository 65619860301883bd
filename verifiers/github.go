package verifiers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// GitHub verifies GitHub tokens with GET https://api.github.com/user.
type GitHub struct{}

var _ Verifier = (*GitHub)(nil)

func (*GitHub) Provider() string { return "github" }
func (*GitHub) Hosts() []string  { return []string{"api.github.com"} }

func (v *GitHub) Verify(ctx context.Context, c *Client, secret string) (Result, error) {
	resp, ep, err := call(ctx, c, v, "GET", "https://api.github.com/user", map[string]string{
		"Authorization": "token " + secret, "Accept": "application/vnd.github+json",
	})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var u struct {
			Login     string `json:"login"`
			ID        int64  `json:"id"`
			Type      string `json:"type"`
			SiteAdmin bool   `json:"site_admin"`
			Email     string `json:"email"`
		}
		if err := decode(resp, ep, &u); err != nil {
			return Result{Endpoint: ep}, err
		}
		if u.Login == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a login", ep)
		}
		var scopes []string
		for s := range strings.SplitSeq(resp.Header.Get("X-OAuth-Scopes"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
		p := Privileges{Scopes: scopes, Level: githubLevel(scopes, u.SiteAdmin)}
		for _, s := range scopes {
			if s == "admin:org" {
				p.Flags = append(p.Flags, "org-admin")
			}
		}
		if u.SiteAdmin {
			p.Flags = append(p.Flags, "site-admin")
		}
		return live(ep, map[string]string{"login": u.Login, "id": strconv.FormatInt(u.ID, 10), "type": u.Type, "email": u.Email}, p), nil
	case 401:
		return dead(ep, "bad credentials (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// githubLevel maps classic OAuth scopes to a privilege level. Fine-grained
// tokens report no scopes: their level is unknown.
func githubLevel(scopes []string, siteAdmin bool) string {
	if siteAdmin {
		return "admin"
	}
	level := "unknown"
	if len(scopes) > 0 {
		level = "read"
	}
	for _, s := range scopes {
		switch {
		case s == "admin:org" || s == "delete_repo" || s == "site_admin" || s == "admin:enterprise":
			return "admin"
		case s == "repo" || s == "public_repo" || strings.HasPrefix(s, "write:"):
			level = "write"
		}
	}
	return level
}

package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/verifiers"
	"slices"
	"strconv"
	"strings"

	gogithub "github.com/google/go-github/v60/github"
)

// Provider verifies GitHub tokens through go-github: installation tokens
// (ghs_) with GET /installation/repositories, every other kind with
// GET /user (GitHub REST "Get the authenticated user", read 2026-12: 200,
// or 401 "Bad credentials"); classic scopes come from the X-OAuth-Scopes
// header. The host is api.github.com, or a GitHub Enterprise Server named
// in the operator's config (verify.hosts.github) when the token's context
// names that server (Identity "host" then names it, for the revoker).
//
// A token whose context names no configured server is tried at
// github.com, then at each configured server (their tokens look the same):
// dead only when every one answers 401.
//
// Unknown by design: refresh tokens (ghr_), installation tokens'
// permissions (level "unknown").
type Provider struct {
	// Enterprise are the GitHub Enterprise Server hosts of the operator's
	// config; their API is https://HOST/api/v3/.
	Enterprise []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "github" }
func (v *Provider) Hosts() []string {
	return append([]string{"api.github.com"}, v.Enterprise...)
}

// Pair keeps the token and, when its context names a configured Enterprise
// server, that server (only then: a single configured server is not
// assumed, since github.com tokens look the same).
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	// A single configured server is not assumed: its tokens look like the
	// public service's.
	host := verifiers.ConfiguredHost(s.Context, s.Secret, v.Enterprise, false)
	return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("host", host)}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	if strings.HasPrefix(cred.Secret, "ghr_") {
		// A refresh token is only usable with its app's client secret.
		return verifiers.UnknownResult("github: refresh tokens (ghr_) are not verified"), nil
	}
	hosts := []string{""} // "" is github.com
	if h := cred.Companions["host"]; h != "" {
		if !slices.Contains(v.Enterprise, h) {
			return verifiers.UnknownResult("github: host " + verifiers.Quote(h) + " is not configured"), nil
		}
		hosts = []string{h}
	} else {
		// The context names no server: github.com first, then each
		// configured Enterprise Server, whose tokens look the same. Dead
		// only when every one says 401.
		hosts = append(hosts, v.Enterprise...)
	}
	var last verifiers.Result
	for _, h := range hosts {
		r, err := v.verifyAt(ctx, c, cred.Secret, h)
		if err != nil || r.Status != verifiers.Dead {
			return r, err
		}
		last = r
	}
	if len(hosts) > 1 {
		last.Reason = "bad credentials (HTTP 401) at github.com and every configured Enterprise Server"
	}
	return last, nil
}

// verifyAt checks secret at github.com (host "") or a configured GitHub
// Enterprise Server.
func (v *Provider) verifyAt(ctx context.Context, c *verifiers.Client, secret, host string) (verifiers.Result, error) {
	base := "https://api.github.com/"
	if host != "" {
		base = "https://" + host + "/api/v3/"
	}
	gh := gogithub.NewClient(c.HTTPClient(v)).WithAuthToken(secret)
	if host != "" {
		var err error
		if gh, err = gh.WithEnterpriseURLs(base, base); err != nil {
			return verifiers.Result{}, fmt.Errorf("github: enterprise URL: %w", err)
		}
	}
	if strings.HasPrefix(secret, "ghs_") {
		r, err := v.installation(ctx, gh, base)
		if err == nil && r.Status == verifiers.Live && host != "" {
			r.Identity["host"] = host
		}
		return r, err
	}
	ep := "GET " + base + "user"
	u, resp, err := gh.Users.Get(ctx, "")
	if r, done, err := githubOutcome(ep, resp, err); done {
		return r, err
	}
	login := u.GetLogin()
	if login == "" {
		return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a login", ep)
	}
	scopes := verifiers.SplitScopes(resp.Header.Get("X-OAuth-Scopes"))
	p := verifiers.Privileges{Scopes: scopes, Level: githubLevel(scopes, u.GetSiteAdmin())}
	for _, s := range scopes {
		switch s {
		case "admin:org":
			p.Flags = append(p.Flags, "org-admin")
		case "admin:public_key", "admin:gpg_key", "admin:ssh_signing_key":
			p.Flags = append(p.Flags, "can-manage-keys")
		}
	}
	if u.GetSiteAdmin() {
		p.Flags = append(p.Flags, "site-admin")
	}
	id := map[string]string{"login": login, "id": strconv.FormatInt(u.GetID(), 10), "type": u.GetType(), "email": u.GetEmail()}
	if exp := resp.Header.Get("GitHub-Authentication-Token-Expiration"); exp != "" {
		id["expires"] = exp
	}
	if host != "" {
		id["host"] = host
	}
	return verifiers.LiveResult(ep, id, p), nil
}

// installation checks an installation token (ghs_): it cannot call /user.
func (v *Provider) installation(ctx context.Context, gh *gogithub.Client, base string) (verifiers.Result, error) {
	ep := "GET " + base + "installation/repositories"
	repos, resp, err := gh.Apps.ListRepos(ctx, &gogithub.ListOptions{PerPage: 1})
	if r, done, err := githubOutcome(ep, resp, err); done {
		return r, err
	}
	id := map[string]string{"type": "installation", "repositories": strconv.Itoa(repos.GetTotalCount())}
	if len(repos.Repositories) > 0 {
		id["owner"] = repos.Repositories[0].GetOwner().GetLogin()
	}
	// X-Accepted-GitHub-Permissions lists what this endpoint requires, not
	// what the token holds (GitHub REST docs "Troubleshooting the REST API",
	// read 2026-12); an installation token cannot read its own permissions.
	return verifiers.LiveResult(ep, id, verifiers.Privileges{Level: "unknown"}), nil
}

// githubOutcome maps go-github's answer: done is true when the result is
// final (dead, or an error meaning unknown).
func githubOutcome(ep string, resp *gogithub.Response, err error) (verifiers.Result, bool, error) {
	if err == nil {
		if resp == nil || resp.StatusCode != http.StatusOK {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			return verifiers.Result{Endpoint: ep}, true, fmt.Errorf("%s: unexpected HTTP %d", ep, code)
		}
		return verifiers.Result{}, false, nil
	}
	var er *gogithub.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if er.Response.StatusCode == http.StatusUnauthorized {
			return verifiers.DeadResult(ep, "bad credentials (HTTP 401)"), true, nil
		}
		return verifiers.Result{Endpoint: ep}, true, fmt.Errorf("%s: unexpected HTTP %d", ep, er.Response.StatusCode)
	}
	var rl *gogithub.RateLimitError
	var arl *gogithub.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &arl) {
		return verifiers.Result{Endpoint: ep}, true, fmt.Errorf("%s: rate limited", ep)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // our Client's error already names the endpoint
		return verifiers.Result{Endpoint: ep}, true, err
	}
	if errors.Is(err, context.Canceled) {
		return verifiers.Result{Endpoint: ep}, true, fmt.Errorf("%s: cancelled", ep)
	}
	return verifiers.Result{Endpoint: ep}, true, err
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

// githubShapes are the forms of GitHub credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var githubShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, githubShapes[0], githubShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

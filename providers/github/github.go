// Package github is nhiscan's GitHub provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"nhiscan/finding"
	"nhiscan/remediate"
	"slices"
	"strings"
	"time"

	"errors"
	"net/http"
	"nhiscan/verifiers"
	"strconv"

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
var _ remediate.Remediator = (*Provider)(nil)
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

// Revocation of GitHub tokens: the credential revocation API (GitHub REST "Revoke a list
// of credentials", read 2026-12).
//
//   - github.com: POST https://api.github.com/credentials/revoke,
//     unauthenticated (an authenticated call is refused with 403), up to
//     1,000 tokens per call, 60 calls an hour; the budget is kept in the
//     audit trail across runs.
//   - GitHub Enterprise Server (enterprise-server@3.19 page): the server's
//     own POST https://HOST/api/v3/credentials/revoke, authenticated, 60
//     authenticated calls an hour. A GHES token is never sent to
//     github.com: its host comes from its verification (the server that
//     answered) or its context, and must be one of the operator's
//     [providers.github] enterprise_hosts.
//   - Installation tokens (ghs_) revoke themselves with DELETE
//     /installation/token on their own host.
//
// Both answer 202 Accepted: the revocation is queued, not done, so the
// Applier re-verifies after a short wait (SettleDelay) before calling the
// token still live.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{
		Provider: "github",
		Revoke:   githubRevoke{},
		Manual:   "GitHub → Settings → Developer settings → Personal access tokens → Delete (or the owner's app settings for OAuth/app tokens)",
	}
}

const (
	githubRevokeURL   = "https://api.github.com/credentials/revoke"
	githubRevokeBatch = 1000
	githubRevokeRate  = 60
	githubRateKey     = "github:credentials/revoke"
)

type githubRevoke struct{}

// OperatorCredential implements remediate.Action: the public revocation
// API takes the token itself and no credential (GitHub Enterprise Server's
// takes the operator's token but revokes only the tokens it is given).
func (githubRevoke) OperatorCredential() string { return "" }

// SettleDelay is how long GitHub may take to act on a 202 Accepted.
func (githubRevoke) SettleDelay() time.Duration { return 3 * time.Second }

func githubRevocable(tok string) bool {
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghr_", "github_pat_"} {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	return false
}

// githubHost is where f's token lives: "" for github.com, else a
// configured Enterprise Server host. It is read from the verification
// (Identity "host", or the endpoint's host) and, failing that, from the
// token's context; a host that is not configured blocks, and so does a
// token that may be either when Enterprise Servers are configured.
func githubHost(env *remediate.Env, f *finding.Finding) (string, error) {
	configured := make([]string, 0, len(env.Config.GitHub.Enterprise))
	for _, h := range env.Config.GitHub.Enterprise {
		configured = append(configured, strings.ToLower(strings.TrimSuffix(h, ":443")))
	}
	host := ""
	if v := f.Verification; v != nil {
		host = strings.ToLower(v.Identity["host"])
		if host == "" {
			if _, rest, ok := strings.Cut(v.Endpoint, "://"); ok {
				host, _, _ = strings.Cut(rest, "/")
				host = strings.ToLower(host)
			}
		}
	}
	switch {
	case host == "api.github.com":
		return "", nil
	case host != "":
		if !slices.Contains(configured, host) {
			return "", remediate.Blocked("github: the token answered at %s, which is not in [providers.github] enterprise_hosts: revoke it on that server", host)
		}
		return host, nil
	case len(configured) == 0:
		return "", nil
	}
	for _, h := range configured {
		if strings.Contains(strings.ToLower(f.Context), h) {
			return h, nil
		}
	}
	return "", remediate.Blocked("github: cannot tell whether the token belongs to github.com or one of the configured Enterprise Servers (it was not verified at either): verify it first")
}

func (githubRevoke) Plan(env *remediate.Env, f *finding.Finding) ([]remediate.Call, error) {
	host, err := githubHost(env, f)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(f.Secret, "ghs_"):
		return []remediate.Call{{Method: "DELETE", URL: githubAPI(host) + "installation/token", Auth: "the leaked token itself", Why: "an installation token revokes itself"}}, nil
	case !githubRevocable(f.Secret):
		return nil, remediate.Blocked("github: this token type has no revocation API")
	case host != "":
		if _, err := env.OperatorToken("github ([providers.github] enterprise_token_env)", env.Config.GitHub.EnterpriseTokenEnv); err != nil {
			return nil, err
		}
		return []remediate.Call{{Method: "POST", URL: githubAPI(host) + "credentials/revoke", Auth: "operator token of " + host,
			Why: "the Enterprise Server's own credential revocation API revokes exactly the tokens listed (this one) and notifies their owners; never github.com"}}, nil
	}
	return []remediate.Call{{Method: "POST", URL: githubRevokeURL, Auth: "none (the API refuses authenticated calls)",
		Why: "public credential revocation API: GitHub revokes exactly the tokens listed (this one) and notifies its owner; batched, up to 1,000 tokens per call, 60 calls an hour"}}, nil
}

// githubAPI is the REST base of host ("" for github.com).
func githubAPI(host string) string {
	if host == "" {
		return "https://api.github.com/"
	}
	return "https://" + host + "/api/v3/"
}

func (g githubRevoke) Apply(ctx context.Context, env *remediate.Env, f *finding.Finding) ([]string, error) {
	r := g.ApplyBatch(ctx, env, []*finding.Finding{f})
	return r[0].Evidence, r[0].Err
}

// ApplyBatch sends the revocable tokens in calls of up to 1,000 per host,
// within each host's hourly budget; tokens over budget get a
// *RateLimitError (deferred, queued in the audit trail for a later run).
func (githubRevoke) ApplyBatch(ctx context.Context, env *remediate.Env, fs []*finding.Finding) []remediate.BatchResult {
	out := make([]remediate.BatchResult, len(fs))
	byHost := map[string][]int{}
	var hosts []string
	for i, f := range fs {
		host, err := githubHost(env, f)
		switch {
		case err != nil:
			out[i].Err = err
		case strings.HasPrefix(f.Secret, "ghs_"):
			out[i].Evidence, out[i].Err = revokeInstallation(ctx, env, f, host)
		case githubRevocable(f.Secret):
			if _, seen := byHost[host]; !seen {
				hosts = append(hosts, host)
			}
			byHost[host] = append(byHost[host], i)
		default:
			out[i].Err = remediate.Blocked("github: this token type has no revocation API")
		}
	}
	slices.Sort(hosts)
	for _, host := range hosts {
		idx := byHost[host]
		for start := 0; start < len(idx); start += githubRevokeBatch {
			chunk := idx[start:min(start+githubRevokeBatch, len(idx))]
			ev, err := revokeChunk(ctx, env, fs, chunk, host)
			for _, i := range chunk {
				out[i] = remediate.BatchResult{Evidence: ev, Err: err}
			}
		}
	}
	return out
}

func revokeChunk(ctx context.Context, env *remediate.Env, fs []*finding.Finding, chunk []int, host string) ([]string, error) {
	u, rateKey, hosts := githubRevokeURL, githubRateKey, []string{"api.github.com"}
	h := remediate.Header("Accept", "application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28")
	if host != "" {
		tok, err := env.OperatorToken("github ([providers.github] enterprise_token_env)", env.Config.GitHub.EnterpriseTokenEnv)
		if err != nil {
			return nil, err
		}
		u, rateKey, hosts = githubAPI(host)+"credentials/revoke", "github:"+host+":credentials/revoke", []string{host}
		h.Set("Authorization", "Bearer "+tok)
	}
	if env.Budget != nil {
		if ok, at := env.Budget.Take(rateKey, githubRevokeRate, time.Hour); !ok {
			return nil, &remediate.RateLimitError{Endpoint: "POST " + u + " (60 calls/hour budget spent)", RetryAfter: max(at.Sub(env.Clock()), time.Minute)}
		}
	}
	toks := make([]string, len(chunk))
	for j, i := range chunk {
		toks[j] = fs[i].Secret
	}
	body, _ := json.Marshal(map[string]any{"credentials": toks})
	req := remediate.Request{Provider: "github", Hosts: hosts, Method: "POST", URL: u, Body: body, Header: h}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{fmt.Sprintf("%s (%d token(s) in this call)", resp.Evidence(req), len(chunk))}
	switch resp.StatusCode {
	case 202, 200, 204:
		return ev, nil
	case 422:
		return ev, remediate.StatusErr(req.Endpoint(), 422, "GitHub refused the batch (invalid or already revoked tokens, or flagged as spam)")
	case 401, 403:
		return ev, remediate.DeniedErr(req, resp.StatusCode)
	}
	return ev, remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

func revokeInstallation(ctx context.Context, env *remediate.Env, f *finding.Finding, host string) ([]string, error) {
	u := githubAPI(host) + "installation/token"
	pu, _ := url.Parse(u)
	req := remediate.Request{Provider: "github", Hosts: []string{pu.Host}, Method: "DELETE", URL: u,
		Header: remediate.Header("Authorization", "token "+f.Secret, "Accept", "application/vnd.github+json")}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.Evidence(req)}
	switch resp.StatusCode {
	case 204:
		return ev, nil
	case 401:
		return ev, remediate.AlreadyErr(req, 401, "token not valid")
	}
	return ev, remediate.StatusErr(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"nhiscan/finding"
	"slices"
	"strings"
	"time"
)

// GitHub tokens: the credential revocation API (GitHub REST "Revoke a list
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
func init() {
	Register(&Registration{
		Provider: "github",
		Revoke:   githubRevoke{},
		Manual:   "GitHub → Settings → Developer settings → Personal access tokens → Delete (or the owner's app settings for OAuth/app tokens)",
	})
}

const (
	githubRevokeURL   = "https://api.github.com/credentials/revoke"
	githubRevokeBatch = 1000
	githubRevokeRate  = 60
	githubRateKey     = "github:credentials/revoke"
)

type githubRevoke struct{}

// OperatorCredential implements Action: the public revocation API takes
// the token itself and no credential; ghs_ tokens revoke themselves.
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
func githubHost(env *Env, f *finding.Finding) (string, error) {
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
			return "", blocked("github: the token answered at %s, which is not in [providers.github] enterprise_hosts: revoke it on that server", host)
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
	return "", blocked("github: cannot tell whether the token belongs to github.com or one of the configured Enterprise Servers (it was not verified at either): verify it first")
}

func (githubRevoke) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	host, err := githubHost(env, f)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(f.Secret, "ghs_"):
		return []Call{{Method: "DELETE", URL: githubAPI(host) + "installation/token", Auth: "the leaked token itself", Why: "an installation token revokes itself"}}, nil
	case !githubRevocable(f.Secret):
		return nil, blocked("github: this token type has no revocation API")
	case host != "":
		if _, err := env.operatorToken("github ([providers.github] enterprise_token_env)", env.Config.GitHub.EnterpriseTokenEnv); err != nil {
			return nil, err
		}
		return []Call{{Method: "POST", URL: githubAPI(host) + "credentials/revoke", Auth: "operator token of " + host,
			Why: "the Enterprise Server's own credential revocation API revokes exactly the tokens listed (this one) and notifies their owners; never github.com"}}, nil
	}
	return []Call{{Method: "POST", URL: githubRevokeURL, Auth: "none (the API refuses authenticated calls)",
		Why: "public credential revocation API: GitHub revokes exactly the tokens listed (this one) and notifies its owner; batched, up to 1,000 tokens per call, 60 calls an hour"}}, nil
}

// githubAPI is the REST base of host ("" for github.com).
func githubAPI(host string) string {
	if host == "" {
		return "https://api.github.com/"
	}
	return "https://" + host + "/api/v3/"
}

func (g githubRevoke) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	r := g.ApplyBatch(ctx, env, []*finding.Finding{f})
	return r[0].Evidence, r[0].Err
}

// ApplyBatch sends the revocable tokens in calls of up to 1,000 per host,
// within each host's hourly budget; tokens over budget get a
// *RateLimitError (deferred, queued in the audit trail for a later run).
func (githubRevoke) ApplyBatch(ctx context.Context, env *Env, fs []*finding.Finding) []BatchResult {
	out := make([]BatchResult, len(fs))
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
			out[i].Err = blocked("github: this token type has no revocation API")
		}
	}
	slices.Sort(hosts)
	for _, host := range hosts {
		idx := byHost[host]
		for start := 0; start < len(idx); start += githubRevokeBatch {
			chunk := idx[start:min(start+githubRevokeBatch, len(idx))]
			ev, err := revokeChunk(ctx, env, fs, chunk, host)
			for _, i := range chunk {
				out[i] = BatchResult{Evidence: ev, Err: err}
			}
		}
	}
	return out
}

func revokeChunk(ctx context.Context, env *Env, fs []*finding.Finding, chunk []int, host string) ([]string, error) {
	u, rateKey, hosts := githubRevokeURL, githubRateKey, []string{"api.github.com"}
	h := hdr("Accept", "application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28")
	if host != "" {
		tok, err := env.operatorToken("github ([providers.github] enterprise_token_env)", env.Config.GitHub.EnterpriseTokenEnv)
		if err != nil {
			return nil, err
		}
		u, rateKey, hosts = githubAPI(host)+"credentials/revoke", "github:"+host+":credentials/revoke", []string{host}
		h.Set("Authorization", "Bearer "+tok)
	}
	if env.Budget != nil {
		if ok, at := env.Budget.Take(rateKey, githubRevokeRate, time.Hour); !ok {
			return nil, &RateLimitError{Endpoint: "POST " + u + " (60 calls/hour budget spent)", RetryAfter: max(at.Sub(env.now()), time.Minute)}
		}
	}
	toks := make([]string, len(chunk))
	for j, i := range chunk {
		toks[j] = fs[i].Secret
	}
	body, _ := json.Marshal(map[string]any{"credentials": toks})
	req := Request{Provider: "github", Hosts: hosts, Method: "POST", URL: u, Body: body, Header: h}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{fmt.Sprintf("%s (%d token(s) in this call)", resp.evidence(req), len(chunk))}
	switch resp.StatusCode {
	case 202, 200, 204:
		return ev, nil
	case 422:
		return ev, errf(req.Endpoint(), 422, "GitHub refused the batch (invalid or already revoked tokens, or flagged as spam)")
	case 401, 403:
		return ev, denied(req, resp.StatusCode)
	}
	return ev, errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

func revokeInstallation(ctx context.Context, env *Env, f *finding.Finding, host string) ([]string, error) {
	u := githubAPI(host) + "installation/token"
	pu, _ := url.Parse(u)
	req := Request{Provider: "github", Hosts: []string{pu.Host}, Method: "DELETE", URL: u,
		Header: hdr("Authorization", "token "+f.Secret, "Accept", "application/vnd.github+json")}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.evidence(req)}
	switch resp.StatusCode {
	case 204:
		return ev, nil
	case 401:
		return ev, already(req, 401, "token not valid")
	}
	return ev, errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/finding"
	"strings"
	"time"
)

// GitHub tokens: the public credential revocation API. It is
// unauthenticated (an authenticated call is refused), takes up to 1,000
// tokens per call and allows 60 calls an hour; the budget is kept in the
// audit trail across runs. Installation tokens (ghs_) revoke themselves.
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

func githubRevocable(tok string) bool {
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghr_", "github_pat_"} {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	return false
}

func (githubRevoke) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	switch {
	case strings.HasPrefix(f.Secret, "ghs_"):
		return []Call{{Method: "DELETE", URL: "https://api.github.com/installation/token", Auth: "the leaked token itself", Why: "an installation token revokes itself"}}, nil
	case githubRevocable(f.Secret):
		return []Call{{Method: "POST", URL: githubRevokeURL, Auth: "none (the API refuses authenticated calls)",
			Why: "public credential revocation API: GitHub revokes the token and notifies its owner; batched, up to 1,000 tokens per call, 60 calls an hour"}}, nil
	}
	return nil, blocked("github: this token type has no revocation API")
}

func (g githubRevoke) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	r := g.ApplyBatch(ctx, env, []*finding.Finding{f})
	return r[0].Evidence, r[0].Err
}

// ApplyBatch sends the revocable tokens in calls of up to 1,000, within the
// hourly budget; tokens over budget get a *RateLimitError (deferred, queued
// in the audit trail for a later run).
func (githubRevoke) ApplyBatch(ctx context.Context, env *Env, fs []*finding.Finding) []BatchResult {
	out := make([]BatchResult, len(fs))
	var idx []int
	for i, f := range fs {
		switch {
		case strings.HasPrefix(f.Secret, "ghs_"):
			out[i].Evidence, out[i].Err = revokeInstallation(ctx, env, f)
		case githubRevocable(f.Secret):
			idx = append(idx, i)
		default:
			out[i].Err = blocked("github: this token type has no revocation API")
		}
	}
	for start := 0; start < len(idx); start += githubRevokeBatch {
		chunk := idx[start:min(start+githubRevokeBatch, len(idx))]
		ev, err := revokeChunk(ctx, env, fs, chunk)
		for _, i := range chunk {
			out[i] = BatchResult{Evidence: ev, Err: err}
		}
	}
	return out
}

func revokeChunk(ctx context.Context, env *Env, fs []*finding.Finding, chunk []int) ([]string, error) {
	if env.Budget != nil {
		if ok, at := env.Budget.Take(githubRateKey, githubRevokeRate, time.Hour); !ok {
			return nil, &RateLimitError{Endpoint: "POST " + githubRevokeURL + " (60 calls/hour budget spent)", RetryAfter: max(at.Sub(env.now()), time.Minute)}
		}
	}
	toks := make([]string, len(chunk))
	for j, i := range chunk {
		toks[j] = fs[i].Secret
	}
	body, _ := json.Marshal(map[string]any{"credentials": toks})
	req := Request{Provider: "github", Hosts: []string{"api.github.com"}, Method: "POST", URL: githubRevokeURL, Body: body,
		Header: hdr("Accept", "application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28")}
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
	case 403:
		return ev, denied(req, 403)
	}
	return ev, errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

func revokeInstallation(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	req := Request{Provider: "github", Hosts: []string{"api.github.com"}, Method: "DELETE", URL: "https://api.github.com/installation/token",
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

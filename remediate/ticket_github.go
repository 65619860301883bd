package remediate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"strings"

	"github.com/google/go-github/v60/github"
)

// GitHubTracker keeps one GitHub issue per secret in one repository, found
// again by the fingerprint marker in its body (and the "nhiscan" label).
type GitHubTracker struct {
	gh          *github.Client
	env         *Env
	owner, repo string
	labels      []string
	apiURL      string
}

// NewGitHubTracker builds the tracker from cfg. Its HTTP traffic goes
// through c, to the configured API host only.
func NewGitHubTracker(env *Env, cfg *TicketConfig) (*GitHubTracker, error) {
	owner, repo, ok := strings.Cut(cfg.GitHub.Repo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("ticket.github.repo %q: want owner/name", cfg.GitHub.Repo)
	}
	api := cfg.GitHub.APIURL
	if api == "" {
		api = "https://api.github.com/"
	}
	if !strings.HasSuffix(api, "/") {
		api += "/"
	}
	u, err := url.Parse(api)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ticket.github.api_url %q: want an https URL", api)
	}
	tokEnv := cfg.GitHub.TokenEnv
	if tokEnv == "" {
		tokEnv = "GITHUB_TOKEN"
	}
	tok, err := env.operatorToken("GitHub tickets", tokEnv)
	if err != nil {
		return nil, err
	}
	gh := github.NewClient(env.Client.HTTP("github-tickets", []string{strings.ToLower(u.Host)})).WithAuthToken(tok)
	gh.BaseURL = u
	labels := append([]string{"nhiscan"}, cfg.GitHub.Labels...)
	return &GitHubTracker{gh: gh, env: env, owner: owner, repo: repo, labels: labels, apiURL: strings.TrimSuffix(api, "/")}, nil
}

// System implements Tracker.
func (t *GitHubTracker) System() string { return "github" }

// Plan implements Tracker.
func (t *GitHubTracker) Plan(f *finding.Finding) []Call {
	base := fmt.Sprintf("%s/repos/%s/%s/issues", t.apiURL, t.owner, t.repo)
	auth := "operator token"
	return []Call{
		{Method: "GET", URL: base + "?labels=nhiscan&state=all", Auth: auth, Why: "find the issue carrying fingerprint " + f.Fingerprint},
		{Method: "POST", URL: base, Auth: auth, Why: "open an issue when none exists"},
		{Method: "PATCH", URL: base + "/{number}", Auth: auth, Why: "update it when the status changed; close it once verified dead"},
		{Method: "POST", URL: base + "/{number}/comments", Auth: auth, Why: "say what changed"},
	}
}

func (t *GitHubTracker) find(ctx context.Context, fp string) (*github.Issue, []string, error) {
	var ev []string
	opt := &github.IssueListByRepoOptions{State: "all", Labels: []string{"nhiscan"}, ListOptions: github.ListOptions{PerPage: 100}}
	marker := Marker(fp)
	for {
		issues, resp, err := t.gh.Issues.ListByRepo(ctx, t.owner, t.repo, opt)
		if err != nil {
			return nil, ev, ghErr("list issues", err)
		}
		ev = append(ev, fmt.Sprintf("GET %s/repos/%s/%s/issues -> %d", t.apiURL, t.owner, t.repo, resp.StatusCode))
		for _, is := range issues {
			if strings.Contains(is.GetBody(), marker) {
				return is, ev, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, ev, nil
		}
		opt.Page = resp.NextPage
	}
}

// Sync implements Tracker.
func (t *GitHubTracker) Sync(ctx context.Context, in TicketInput) (TicketResult, error) {
	fp := in.Finding.Fingerprint
	is, ev, err := t.find(ctx, fp)
	res := TicketResult{Evidence: ev}
	if err != nil {
		return res, err
	}
	body := Body(in)
	dead := in.Status == string(finding.StatusDead)
	issuesURL := fmt.Sprintf("%s/repos/%s/%s/issues", t.apiURL, t.owner, t.repo)
	if is == nil {
		req := &github.IssueRequest{Title: github.String(Title(in)), Body: github.String(body), Labels: &t.labels}
		if in.Assignee != "" {
			req.Assignees = &[]string{in.Assignee}
		}
		is, resp, err := t.gh.Issues.Create(ctx, t.owner, t.repo, req)
		if err != nil && in.Assignee != "" && resp != nil && resp.StatusCode == http.StatusUnprocessableEntity {
			req.Assignees = nil // the login may not be assignable; open it unassigned
			is, resp, err = t.gh.Issues.Create(ctx, t.owner, t.repo, req)
		}
		if err != nil {
			return res, ghErr("create issue", err)
		}
		res.Evidence = append(res.Evidence, fmt.Sprintf("POST %s -> %d", issuesURL, resp.StatusCode))
		res.Key, res.URL, res.Action, res.State = fmt.Sprintf("#%d", is.GetNumber()), is.GetHTMLURL(), "created", "open"
		if dead && in.Remediated {
			if err := t.close(ctx, is.GetNumber(), in, &res); err != nil {
				return res, err
			}
			res.Action, res.State = "created+closed", "closed"
		}
		return res, nil
	}
	res.Key, res.URL, res.State = fmt.Sprintf("#%d", is.GetNumber()), is.GetHTMLURL(), is.GetState()
	old := recordedStatus(is.GetBody())
	open := is.GetState() == "open"
	switch {
	case open && dead:
		if _, resp, err := t.gh.Issues.Edit(ctx, t.owner, t.repo, is.GetNumber(), &github.IssueRequest{Body: github.String(body)}); err != nil {
			return res, ghErr("update issue", err)
		} else {
			res.Evidence = append(res.Evidence, fmt.Sprintf("PATCH %s/%d -> %d", issuesURL, is.GetNumber(), resp.StatusCode))
		}
		if err := t.close(ctx, is.GetNumber(), in, &res); err != nil {
			return res, err
		}
		res.Action, res.State = "closed", "closed"
		return res, nil
	case old != in.Status && (open || !dead):
		req := &github.IssueRequest{Body: github.String(body)}
		if !open {
			req.State = github.String("open") // live again after it was closed
		}
		_, resp, err := t.gh.Issues.Edit(ctx, t.owner, t.repo, is.GetNumber(), req)
		if err != nil {
			return res, ghErr("update issue", err)
		}
		res.Evidence = append(res.Evidence, fmt.Sprintf("PATCH %s/%d -> %d", issuesURL, is.GetNumber(), resp.StatusCode))
		c := fmt.Sprintf("Status changed from %s to %s.", orDash(old), in.Status)
		_, resp, err = t.gh.Issues.CreateComment(ctx, t.owner, t.repo, is.GetNumber(), &github.IssueComment{Body: github.String(c)})
		if err != nil {
			return res, ghErr("comment", err)
		}
		res.Evidence = append(res.Evidence, fmt.Sprintf("POST %s/%d/comments -> %d", issuesURL, is.GetNumber(), resp.StatusCode))
		res.Action, res.State = "updated", "open"
		return res, nil
	}
	return res, fmt.Errorf("issue %s: %w", res.Key, ErrAlreadyDone)
}

func (t *GitHubTracker) close(ctx context.Context, n int, in TicketInput, res *TicketResult) error {
	issuesURL := fmt.Sprintf("%s/repos/%s/%s/issues", t.apiURL, t.owner, t.repo)
	_, resp, err := t.gh.Issues.CreateComment(ctx, t.owner, t.repo, n, &github.IssueComment{Body: github.String(CloseComment(in, t.env.now()))})
	if err != nil {
		return ghErr("comment", err)
	}
	res.Evidence = append(res.Evidence, fmt.Sprintf("POST %s/%d/comments -> %d", issuesURL, n, resp.StatusCode))
	_, resp, err = t.gh.Issues.Edit(ctx, t.owner, t.repo, n, &github.IssueRequest{State: github.String("closed"), StateReason: github.String("completed")})
	if err != nil {
		return ghErr("close issue", err)
	}
	res.Evidence = append(res.Evidence, fmt.Sprintf("PATCH %s/%d -> %d (closed)", issuesURL, n, resp.StatusCode))
	return nil
}

// ghErr maps go-github errors to remediate's kinds; the text holds no token.
func ghErr(what string, err error) error {
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return &RateLimitError{Endpoint: "GitHub " + what, RetryAfter: timeUntil(rl.Rate.Reset.Time)}
	case errors.As(err, &ab):
		return &RateLimitError{Endpoint: "GitHub " + what, RetryAfter: ab.GetRetryAfter()}
	case errors.As(err, &er) && er.Response != nil:
		if er.Response.StatusCode == http.StatusForbidden || er.Response.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("GitHub %s: HTTP %d: %w", what, er.Response.StatusCode, ErrDenied)
		}
		return fmt.Errorf("GitHub %s: HTTP %d: %s", what, er.Response.StatusCode, er.Message)
	}
	return fmt.Errorf("GitHub %s: %w", what, err)
}

package remediate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"slices"
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
		{Method: "GET", URL: base + "?labels=nhiscan&state=all", Auth: auth, Why: "find the issue whose marker carries the credential's fingerprint (or an older per-rule one)"},
		{Method: "POST", URL: base, Auth: auth, Why: "open an issue when none exists"},
		{Method: "PATCH", URL: base + "/{number}", Auth: auth, Why: "update it when the status changed; close it once verified dead"},
		{Method: "POST", URL: base + "/{number}/comments", Auth: auth, Why: "say what changed"},
	}
}

// ghTicket is an issue carrying the tool's marker.
type ghTicket struct {
	is         *github.Issue
	fp, status string
}

// find lists the nhiscan issues and returns those whose marker (read only
// from the tool's own position in the body) carries one of fps: the one to
// keep first (the credential's own fingerprint, then an open one, then the
// oldest), then the others.
func (t *GitHubTracker) find(ctx context.Context, fps []string) ([]ghTicket, []string, error) {
	var ev []string
	var out []ghTicket
	opt := &github.IssueListByRepoOptions{State: "all", Labels: []string{"nhiscan"}, ListOptions: github.ListOptions{PerPage: 100}}
	for page := 0; page < 1000; page++ {
		issues, resp, err := t.gh.Issues.ListByRepo(ctx, t.owner, t.repo, opt)
		if err != nil {
			return nil, ev, ghErr("list issues", err)
		}
		ev = append(ev, fmt.Sprintf("GET %s/repos/%s/%s/issues -> %d", t.apiURL, t.owner, t.repo, resp.StatusCode))
		for _, is := range issues {
			if is.IsPullRequest() {
				continue
			}
			if fp, st, ok := parseMarker(is.GetBody()); ok && slices.Contains(fps, fp) {
				out = append(out, ghTicket{is: is, fp: fp, status: st})
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	slices.SortStableFunc(out, func(a, b ghTicket) int {
		if (a.fp == fps[0]) != (b.fp == fps[0]) {
			if a.fp == fps[0] {
				return -1
			}
			return 1
		}
		if ao, bo := a.is.GetState() == "open", b.is.GetState() == "open"; ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		return a.is.GetNumber() - b.is.GetNumber()
	})
	return out, ev, nil
}

// Sync implements Tracker.
func (t *GitHubTracker) Sync(ctx context.Context, in TicketInput) (TicketResult, error) {
	fps, err := in.fingerprints()
	if err != nil {
		return TicketResult{}, err
	}
	fp := fps[0]
	found, ev, err := t.find(ctx, fps)
	res := TicketResult{Evidence: ev}
	if err != nil {
		return res, err
	}
	body := Body(in)
	issuesURL := fmt.Sprintf("%s/repos/%s/%s/issues", t.apiURL, t.owner, t.repo)
	if len(found) == 0 {
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
		if in.verifiedDead() && in.Remediated {
			if err := t.close(ctx, is.GetNumber(), CloseComment(in, t.env.now()), "completed", &res); err != nil {
				return res, err
			}
			res.Action, res.State = "created+closed", "closed"
		}
		return res, nil
	}
	keep := found[0]
	is := keep.is
	n := is.GetNumber()
	res.Key, res.URL, res.State = fmt.Sprintf("#%d", n), is.GetHTMLURL(), is.GetState()
	open := is.GetState() == "open"
	adoptedFrom := ""
	if keep.fp != fp {
		adoptedFrom = keep.fp
	}
	switch {
	case open && in.verifiedDead():
		if err := t.edit(ctx, n, &github.IssueRequest{Body: github.String(body)}, &res); err != nil {
			return res, err
		}
		if err := t.close(ctx, n, CloseComment(in, t.env.now()), "completed", &res); err != nil {
			return res, err
		}
		res.Action, res.State = "closed", "closed"
	case adoptedFrom != "" || (keep.status != in.Status && (open || in.Status != string(finding.StatusDead))):
		req := &github.IssueRequest{Body: github.String(body)}
		if !open && keep.status != in.Status && in.Status != string(finding.StatusDead) {
			req.State = github.String("open") // live again after it was closed
			res.State = "open"
		}
		if err := t.edit(ctx, n, req, &res); err != nil {
			return res, err
		}
		c := statusComment(keep.status, in.Status, adoptedFrom, fp)
		if err := t.comment(ctx, n, c, &res); err != nil {
			return res, err
		}
		res.Action = "updated"
		if adoptedFrom != "" {
			res.Action = "adopted"
		}
	}
	// further tickets of this credential, opened per rule by earlier versions
	for _, d := range found[1:] {
		if d.is.GetState() != "open" {
			continue
		}
		if err := t.close(ctx, d.is.GetNumber(), duplicateComment(res.Key), "not_planned", &res); err != nil {
			return res, err
		}
		if res.Action == "" {
			res.Action = "duplicates closed"
		}
	}
	if res.Action == "" {
		return res, fmt.Errorf("issue %s: %w", res.Key, ErrAlreadyDone)
	}
	return res, nil
}

func (t *GitHubTracker) edit(ctx context.Context, n int, req *github.IssueRequest, res *TicketResult) error {
	_, resp, err := t.gh.Issues.Edit(ctx, t.owner, t.repo, n, req)
	if err != nil {
		return ghErr("update issue", err)
	}
	res.Evidence = append(res.Evidence, fmt.Sprintf("PATCH %s/repos/%s/%s/issues/%d -> %d", t.apiURL, t.owner, t.repo, n, resp.StatusCode))
	return nil
}

func (t *GitHubTracker) comment(ctx context.Context, n int, body string, res *TicketResult) error {
	_, resp, err := t.gh.Issues.CreateComment(ctx, t.owner, t.repo, n, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return ghErr("comment", err)
	}
	res.Evidence = append(res.Evidence, fmt.Sprintf("POST %s/repos/%s/%s/issues/%d/comments -> %d", t.apiURL, t.owner, t.repo, n, resp.StatusCode))
	return nil
}

func (t *GitHubTracker) close(ctx context.Context, n int, comment, reason string, res *TicketResult) error {
	if err := t.comment(ctx, n, comment, res); err != nil {
		return err
	}
	_, resp, err := t.gh.Issues.Edit(ctx, t.owner, t.repo, n, &github.IssueRequest{State: github.String("closed"), StateReason: github.String(reason)})
	if err != nil {
		return ghErr("close issue", err)
	}
	res.Evidence = append(res.Evidence, fmt.Sprintf("PATCH %s/repos/%s/%s/issues/%d -> %d (closed)", t.apiURL, t.owner, t.repo, n, resp.StatusCode))
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

// Package github is the GitHub source of the nightly org-wide crawl: it
// lists an organisation's (or user's, or named) repositories with go-github,
// keeps a clone cache of bare mirrors fetched incrementally with go-git,
// scans only the commits no earlier run scanned (the ref tips already
// scanned are kept in the store), waits out primary and secondary rate
// limits, and commits each repository's result atomically so a killed crawl
// resumes where it stopped.
//
// Credentials come from the GITHUB_TOKEN environment variable or a GitHub
// App (id + private key file → installation token), never from a flag value.
// Nothing here calls a provider's API with a found secret.
package github

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Repo is one repository to crawl.
type Repo struct {
	FullName      string // owner/name
	CloneURL      string
	DefaultBranch string
	Private       bool
	Visibility    string // public, private, internal
	Fork          bool
	Archived      bool
	Topics        []string
	PushedAt      time.Time // the last push to any branch or tag (zero if unknown)
}

// Filter selects repositories; zero values keep everything except what
// the field says.
type Filter struct {
	SkipForks    bool
	SkipArchived bool
	Visibility   []string // keep only these visibilities ("public", "private", "internal"); empty keeps all
	Topics       []string // keep repositories with at least one of these topics; empty keeps all
	Include      []string // path.Match globs on the name or owner/name; empty keeps all
	Exclude      []string // path.Match globs on the name or owner/name
}

// Keep reports whether the filter keeps r.
func (f Filter) Keep(r Repo) bool {
	if f.SkipForks && r.Fork || f.SkipArchived && r.Archived {
		return false
	}
	if len(f.Visibility) > 0 && !slices.Contains(f.Visibility, r.Visibility) {
		return false
	}
	if len(f.Topics) > 0 && !slices.ContainsFunc(r.Topics, func(t string) bool { return slices.Contains(f.Topics, t) }) {
		return false
	}
	name := r.FullName[strings.IndexByte(r.FullName, '/')+1:]
	match := func(globs []string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, name); ok {
				return true
			}
			if ok, _ := path.Match(g, r.FullName); ok {
				return true
			}
		}
		return false
	}
	if len(f.Include) > 0 && !match(f.Include) {
		return false
	}
	return !match(f.Exclude)
}

// ValidateGlobs checks the filter's globs once.
func (f Filter) ValidateGlobs() error {
	for _, g := range append(slices.Clone(f.Include), f.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("name glob %q: %w", g, err)
		}
	}
	return nil
}

// Shard is a stable partition of repositories by a hash of their lower-case
// full name: shard K of N (0 <= K < N) keeps the names whose FNV-1a hash is
// K modulo N. N shards together cover every repository exactly once.
type Shard struct{ K, N int }

// ParseShard reads "K/N" (0-based K, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX). "" is the whole set.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{0, 1}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return Shard{}, fmt.Errorf("--shard %q: want K/N with 0 <= K < N, e.g. 0/4", s)
	}
	return Shard{k, n}, nil
}

// Has reports whether the shard holds the repository.
func (s Shard) Has(fullName string) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(fullName)))
	return int(h.Sum32()%uint32(s.N)) == s.K
}

func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Target names what to list: an organisation, a user, or single
// repositories.
type Target struct {
	Org   string
	User  string
	Repos []string // OWNER/NAME
}

func (t Target) String() string {
	var parts []string
	if t.Org != "" {
		parts = append(parts, "org:"+t.Org)
	}
	if t.User != "" {
		parts = append(parts, "user:"+t.User)
	}
	if len(t.Repos) > 0 {
		rs := slices.Clone(t.Repos)
		sort.Strings(rs)
		parts = append(parts, "repos:"+strings.Join(rs, ","))
	}
	return strings.Join(parts, " ")
}

// Owners returns the owners whose repositories the target covers (to notice
// repositories deleted upstream).
func (t Target) Owners() []string {
	var out []string
	if t.Org != "" {
		out = append(out, strings.ToLower(t.Org))
	}
	if t.User != "" {
		out = append(out, strings.ToLower(t.User))
	}
	return out
}

// NewClient returns a go-github client over hc (which carries the
// credentials and the conditional-request cache) for the REST API at apiURL
// ("" for api.github.com; for GitHub Enterprise Server,
// https://HOST/api/v3/).
func NewClient(hc *http.Client, apiURL string) (*gh.Client, error) {
	c := gh.NewClient(hc)
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("--api-url %q: want https://HOST/api/v3/", apiURL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.BaseURL = u
		c.UploadURL = u
	}
	c.UserAgent = "nhiscan"
	return c, nil
}

// Lister lists repositories through the REST API, waiting out rate limits.
type Lister struct {
	Client *gh.Client
	Wait   *Waiter
	// Log receives a warning when a user's listing is limited to public
	// repositories. Nil: discard.
	Log *slog.Logger
}

// List returns the target's repositories that f keeps, sorted by full name,
// without duplicates. Explicit Repos are fetched one by one; a 404 on one of
// them is an error naming it.
func (l *Lister) List(ctx context.Context, t Target, f Filter) ([]Repo, error) {
	seen := map[string]bool{}
	var out []Repo
	add := func(rs []*gh.Repository) {
		for _, r := range rs {
			rp := fromAPI(r)
			if rp.FullName == "" || seen[strings.ToLower(rp.FullName)] || !f.Keep(rp) {
				continue
			}
			seen[strings.ToLower(rp.FullName)] = true
			out = append(out, rp)
		}
	}
	if t.Org != "" {
		opt := &gh.RepositoryListByOrgOptions{Type: "all", Sort: "full_name", ListOptions: gh.ListOptions{PerPage: 100}}
		for {
			var page []*gh.Repository
			var resp *gh.Response
			err := l.Wait.Do(ctx, func() (*gh.Response, error) {
				var err error
				page, resp, err = l.Client.Repositories.ListByOrg(ctx, t.Org, opt)
				return resp, err
			})
			if err != nil {
				return nil, fmt.Errorf("list repositories of org %s: %w", t.Org, err)
			}
			add(page)
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	if t.User != "" {
		rs, err := l.listUser(ctx, t.User)
		if err != nil {
			return nil, err
		}
		add(rs)
	}
	for _, full := range t.Repos {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("--repo %q: want OWNER/NAME", full)
		}
		var r *gh.Repository
		err := l.Wait.Do(ctx, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			r, resp, err = l.Client.Repositories.Get(ctx, owner, name)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", full, err)
		}
		add([]*gh.Repository{r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName < out[j].FullName })
	return out, nil
}

// listUser lists user's repositories. GET /users/{user}/repos lists public
// repositories only (GitHub REST "List repositories for a user", read
// 2026-12), so when the token is user's own, the authenticated listing
// GET /user/repos?affiliation=owner is used instead: it includes the
// private ones ("List repositories for the authenticated user"). With any
// other token only public repositories can be listed, and a warning says
// so.
func (l *Lister) listUser(ctx context.Context, user string) ([]*gh.Repository, error) {
	var me *gh.User
	err := l.Wait.Do(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		me, resp, err = l.Client.Users.Get(ctx, "")
		return resp, err
	})
	own := err == nil && strings.EqualFold(me.GetLogin(), user)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var all []*gh.Repository
	if own {
		opt := &gh.RepositoryListByAuthenticatedUserOptions{Affiliation: "owner", Visibility: "all", Sort: "full_name", ListOptions: gh.ListOptions{PerPage: 100}}
		for {
			var page []*gh.Repository
			var resp *gh.Response
			err := l.Wait.Do(ctx, func() (*gh.Response, error) {
				var err error
				page, resp, err = l.Client.Repositories.ListByAuthenticatedUser(ctx, opt)
				return resp, err
			})
			if err != nil {
				return nil, fmt.Errorf("list repositories of user %s (the token's own): %w", user, err)
			}
			all = append(all, page...)
			if resp.NextPage == 0 {
				return all, nil
			}
			opt.Page = resp.NextPage
		}
	}
	l.log().Warn("only public repositories of the user are listed: the token is not the user's own (GitHub lists a user's private repositories to that user's token only)", "user", user)
	opt := &gh.RepositoryListByUserOptions{Type: "owner", Sort: "full_name", ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		var page []*gh.Repository
		var resp *gh.Response
		err := l.Wait.Do(ctx, func() (*gh.Response, error) {
			var err error
			page, resp, err = l.Client.Repositories.ListByUser(ctx, user, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list repositories of user %s: %w", user, err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
}

func (l *Lister) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}

func fromAPI(r *gh.Repository) Repo {
	rp := Repo{
		FullName:      r.GetFullName(),
		CloneURL:      r.GetCloneURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Private:       r.GetPrivate(),
		Visibility:    r.GetVisibility(),
		Fork:          r.GetFork(),
		Archived:      r.GetArchived(),
		Topics:        r.Topics,
		PushedAt:      r.GetPushedAt().Time,
	}
	if rp.Visibility == "" {
		rp.Visibility = "public"
		if rp.Private {
			rp.Visibility = "private"
		}
	}
	return rp
}

// Waiter retries go-github calls that hit a rate limit, waiting as GitHub
// asks: until X-RateLimit-Reset for the primary limit, Retry-After (or a
// minute) for the secondary limit (403 or 429). Server errors are retried a
// few times with a short backoff. Other errors are returned at once.
type Waiter struct {
	// Sleep waits d or until ctx ends (default: a timer); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait is told each wait (may be nil), for logs and tests.
	OnWait func(reason string, d time.Duration)
	// MaxWait caps one wait (default 1 hour).
	MaxWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

const maxAttempts = 8

// Do calls fn until it succeeds, fails with an error that is not a rate
// limit, or ctx ends.
func (w *Waiter) Do(ctx context.Context, fn func() (*gh.Response, error)) error {
	for attempt := 1; ; attempt++ {
		_, err := fn()
		if err == nil {
			return nil
		}
		reason, d, retry := w.classify(err, attempt)
		if !retry || attempt >= maxAttempts {
			return err
		}
		if w.OnWait != nil {
			w.OnWait(reason, d)
		}
		if err := w.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (w *Waiter) now() time.Time {
	if w != nil && w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Waiter) sleep(ctx context.Context, d time.Duration) error {
	if w != nil && w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (w *Waiter) classify(err error, attempt int) (string, time.Duration, bool) {
	maxWait := time.Hour
	if w != nil && w.MaxWait > 0 {
		maxWait = w.MaxWait
	}
	clamp := func(d time.Duration) time.Duration {
		return min(max(d, time.Second), maxWait)
	}
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return "primary rate limit", clamp(rl.Rate.Reset.Time.Sub(w.now()) + time.Second), true
	case errors.As(err, &ab):
		if ab.RetryAfter != nil {
			return "secondary rate limit", clamp(*ab.RetryAfter), true
		}
		return "secondary rate limit", clamp(time.Minute), true
	case errors.As(err, &er) && er.Response != nil:
		code := er.Response.StatusCode
		ra := er.Response.Header.Get("Retry-After")
		if (code == http.StatusTooManyRequests || code == http.StatusForbidden) && ra == "" &&
			er.Response.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(er.Response.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return "primary rate limit", clamp(time.Unix(reset, 0).Sub(w.now()) + time.Second), true
			}
		}
		if code == http.StatusTooManyRequests || code == http.StatusForbidden && ra != "" {
			if s, err := strconv.Atoi(ra); err == nil {
				return "secondary rate limit", clamp(time.Duration(s) * time.Second), true
			}
			return "secondary rate limit", clamp(time.Minute), true
		}
		if code >= 500 && attempt < 3 {
			return "server error", clamp(time.Duration(attempt) * time.Second), true
		}
	}
	return "", 0, false
}

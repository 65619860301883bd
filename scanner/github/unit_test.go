package github_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"nhiscan/scanner/github"
)

func TestWaiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := func(code int, hdr map[string]string) *http.Response {
		r := &http.Response{StatusCode: code, Header: http.Header{}, Request: &http.Request{Method: "GET", URL: mustURL("https://api.github.com/x")}}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return r
	}
	d := func(v time.Duration) *time.Duration { return &v }
	for _, c := range []struct {
		name      string
		err       error
		reason    string
		wait      time.Duration
		giveUp    bool // the error is returned without a wait
		maxWait   time.Duration
		errorsFor int // times fn fails before succeeding
	}{
		{name: "primary", err: &gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(30 * time.Second)}}}, reason: "primary rate limit", wait: 31 * time.Second},
		{name: "primary capped", err: &gh.RateLimitError{Rate: gh.Rate{Reset: gh.Timestamp{Time: now.Add(3 * time.Hour)}}}, reason: "primary rate limit", wait: 10 * time.Minute, maxWait: 10 * time.Minute},
		{name: "secondary retry-after", err: &gh.AbuseRateLimitError{RetryAfter: d(5 * time.Second)}, reason: "secondary rate limit", wait: 5 * time.Second},
		{name: "secondary no header", err: &gh.AbuseRateLimitError{}, reason: "secondary rate limit", wait: time.Minute},
		{name: "429 retry-after", err: &gh.ErrorResponse{Response: resp(429, map[string]string{"Retry-After": "7"})}, reason: "secondary rate limit", wait: 7 * time.Second},
		{name: "429 bare", err: &gh.ErrorResponse{Response: resp(429, nil)}, reason: "secondary rate limit", wait: time.Minute},
		{name: "429 primary", err: &gh.ErrorResponse{Response: resp(429, map[string]string{"X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": strconv.FormatInt(now.Add(9*time.Second).Unix(), 10)})}, reason: "primary rate limit", wait: 10 * time.Second},
		{name: "server error", err: &gh.ErrorResponse{Response: resp(502, nil)}, reason: "server error", wait: time.Second},
		{name: "not found", err: &gh.ErrorResponse{Response: resp(404, nil)}, giveUp: true},
		{name: "plain 403", err: &gh.ErrorResponse{Response: resp(403, nil)}, giveUp: true},
		{name: "other", err: errors.New("dial: refused"), giveUp: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var reasons []string
			var waits []time.Duration
			w := &github.Waiter{
				Now:     func() time.Time { return now },
				MaxWait: c.maxWait,
				Sleep: func(ctx context.Context, d time.Duration) error {
					waits = append(waits, d)
					return nil
				},
				OnWait: func(r string, _ time.Duration) { reasons = append(reasons, r) },
			}
			calls := 0
			err := w.Do(context.Background(), func() (*gh.Response, error) {
				calls++
				if calls == 1 {
					return nil, c.err
				}
				return nil, nil
			})
			if c.giveUp {
				if err == nil || calls != 1 || len(waits) != 0 {
					t.Fatalf("err %v after %d calls, waits %v; want the error at once", err, calls, waits)
				}
				return
			}
			if err != nil || calls != 2 || len(waits) != 1 || waits[0] != c.wait || reasons[0] != c.reason {
				t.Fatalf("err %v, calls %d, waits %v %v; want one %s wait of %s", err, calls, waits, reasons, c.reason, c.wait)
			}
		})
	}
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := &github.Waiter{}
		err := w.Do(ctx, func() (*gh.Response, error) { return nil, &gh.AbuseRateLimitError{RetryAfter: new(time.Duration)} })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("gives up after attempts", func(t *testing.T) {
		w := &github.Waiter{Sleep: func(context.Context, time.Duration) error { return nil }}
		calls := 0
		err := w.Do(context.Background(), func() (*gh.Response, error) { calls++; return nil, &gh.AbuseRateLimitError{} })
		var ab *gh.AbuseRateLimitError
		if !errors.As(err, &ab) || calls != 8 {
			t.Fatalf("err %v after %d calls", err, calls)
		}
	})
}

func TestProgress(t *testing.T) {
	t.Run("lines", func(t *testing.T) {
		var b bytes.Buffer
		p := github.NewProgress(&b, false)
		p.Start(2)
		p.Begin("acme/a")
		p.Done("acme/a", github.RepoResult{Outcome: github.Scanned, Commits: 3, Findings: 1, New: 1})
		p.Done("acme/b", github.RepoResult{Outcome: github.Failed, Err: "clone acme/b: 500"})
		p.Finish()
		want := "crawl: 2 repositories\ncrawl: [1/2] acme/a scanned (3 commits, 1 findings, 1 new)\ncrawl: [2/2] acme/b failed: clone acme/b: 500\n"
		if b.String() != want {
			t.Fatalf("got %q\nwant %q", b.String(), want)
		}
	})
	t.Run("bar", func(t *testing.T) {
		var b bytes.Buffer
		p := github.NewProgress(&b, true)
		p.Start(2)
		p.Begin("acme/a")
		p.Done("acme/a", github.RepoResult{Outcome: github.Scanned, Findings: 2})
		p.Done("acme/b", github.RepoResult{Outcome: github.Unchanged})
		p.Finish()
		out := b.String()
		for _, s := range []string{"\r[", "2/2 repos", "2 findings", "ETA 0s", "acme/a"} {
			if !strings.Contains(out, s) {
				t.Errorf("bar %q lacks %q", out, s)
			}
		}
		if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
			t.Errorf("bar should end with one newline: %q", out)
		}
	})
}

func TestFilterAndTarget(t *testing.T) {
	r := github.Repo{FullName: "acme/api-gw", Visibility: "internal", Topics: []string{"prod"}}
	for _, c := range []struct {
		name string
		f    github.Filter
		keep bool
	}{
		{"all", github.Filter{}, true},
		{"visibility", github.Filter{Visibility: []string{"public"}}, false},
		{"internal", github.Filter{Visibility: []string{"internal", "private"}}, true},
		{"topic miss", github.Filter{Topics: []string{"dev"}}, false},
		{"include glob", github.Filter{Include: []string{"api-*"}}, true},
		{"include full name", github.Filter{Include: []string{"acme/*"}}, true},
		{"exclude", github.Filter{Exclude: []string{"*-gw"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Keep(r); got != c.keep {
				t.Fatalf("Keep = %v", got)
			}
		})
	}
	if err := (github.Filter{Include: []string{"[bad"}}).ValidateGlobs(); err == nil {
		t.Fatal("bad glob accepted")
	}
	tg := github.Target{Org: "acme", Repos: []string{"x/b", "x/a"}}
	if tg.String() != "org:acme repos:x/a,x/b" || github.Scope(tg, github.Shard{K: 1, N: 3}) != "org:acme repos:x/a,x/b shard 1/3" {
		t.Fatalf("target %q", tg.String())
	}
}

func TestCachePathRefusesUnsafeNames(t *testing.T) {
	c := &github.Cache{Dir: t.TempDir()}
	for _, name := range []string{"acme/..", "../x", "acme/a b", "acme"} {
		if _, err := c.Path(github.Repo{FullName: name, CloneURL: "https://github.com/" + name + ".git"}); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
	p, err := c.Path(github.Repo{FullName: "acme/api", CloneURL: "https://github.com/acme/api.git"})
	if err != nil || !strings.HasSuffix(p, "github.com/acme/api.git") {
		t.Fatalf("path = %q, %v", p, err)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCacheTokenOnlyToItsHosts(t *testing.T) {
	o := newOrg(t, "api")
	e := newEnv(t)
	c := e.crawler(t, o, github.Shard{})
	c.Cache.TokenHosts = []string{"github.example"} // not the fake's host: no token, so git says 401
	rep := crawl(t, c)
	if rep.ByOutcome()[github.Failed] != 1 || !strings.Contains(rep.Repos[0].Err, "authentication required") {
		t.Fatalf("outcomes %v: %+v", rep.ByOutcome(), rep.Repos)
	}
	c.Cache.TokenHosts = []string{o.gh.Host()}
	if rep = crawl(t, c); rep.ByOutcome()[github.Scanned] != 1 {
		t.Fatalf("outcomes %v: %+v", rep.ByOutcome(), rep.Repos)
	}
}

package github_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakegithub"
	"nhiscan/internal/store"
	"nhiscan/rules"
	"nhiscan/scanner"
	"nhiscan/scanner/github"
)

var (
	engineOnce sync.Once
	engine     *scanner.Engine
	engineErr  error
)

func testScanner(t *testing.T) *scanner.Scanner {
	t.Helper()
	engineOnce.Do(func() {
		rs, err := rules.Load(rules.Options{})
		if err != nil {
			engineErr = err
			return
		}
		engine = scanner.NewEngine(rs, 0)
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return &scanner.Scanner{Engine: engine, Workers: 1}
}

// countingScanner counts the scans and the revisions they were given.
type countingScanner struct {
	inner github.HistoryScanner
	mu    sync.Mutex
	scans map[string][]string // mirror dir -> revs of the last scan
	n     atomic.Int64
	// block, when set, is called before each scan (to cancel mid-crawl).
	block func(ctx context.Context, dir string)
}

func (c *countingScanner) ScanHistory(ctx context.Context, dir string, opts scanner.HistoryOptions) (*finding.Result, error) {
	if c.block != nil {
		c.block(ctx, dir)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.n.Add(1)
	c.mu.Lock()
	if c.scans == nil {
		c.scans = map[string][]string{}
	}
	c.scans[filepath.Base(dir)] = opts.Revs
	c.mu.Unlock()
	return c.inner.ScanHistory(ctx, dir, opts)
}

// org is a fake GitHub organisation of work repositories with one seeded
// secret each.
type org struct {
	t       *testing.T
	gh      *fakegithub.Server
	work    map[string]*fixtures.Repo
	served  map[string]*fakegithub.Repo
	secrets map[string]string // repo name -> its seeded GitHub token
	gen     *fixtures.Gen
}

const token = "test-token-not-a-secret"

func newOrg(t *testing.T, names ...string) *org {
	o := &org{t: t, gh: fakegithub.New(t), work: map[string]*fixtures.Repo{}, served: map[string]*fakegithub.Repo{},
		secrets: map[string]string{}, gen: fixtures.NewGen(42)}
	o.gh.RequireToken(token)
	for _, n := range names {
		o.add(n, fakegithub.Repo{})
	}
	return o
}

func (o *org) add(name string, meta fakegithub.Repo) {
	w := fixtures.NewRepo(o.t)
	tok := o.gen.GitHubToken("ghp_")
	w.CommitFiles("initial", map[string]string{"README.md": "# " + name + "\n", "deploy/config.env": "GITHUB_TOKEN=" + tok + "\n"})
	w.CommitFiles("docs", map[string]string{"README.md": "# " + name + "\nmore\n"})
	meta.Owner, meta.Name = "acme", name
	o.work[name] = w
	o.secrets[name] = tok
	o.served[name] = o.gh.Add(meta, w.Dir())
}

// commitSecret adds a new secret to a repository upstream and returns it.
func (o *org) commitSecret(name, branch string) string {
	w := o.work[name]
	if branch != "" {
		w.Checkout(branch)
	}
	tok := o.gen.StripeSecretKey()
	w.CommitFiles("add key", map[string]string{fmt.Sprintf("keys/%d.env", time.Now().UnixNano()): "STRIPE_KEY=" + tok + "\n"})
	o.gh.Push(o.served[name], w.Dir())
	return tok
}

type env struct {
	st      store.Store
	cache   string
	scanner *countingScanner
	waits   []string
	mu      sync.Mutex
}

func newEnv(t *testing.T) *env {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{st: st, cache: filepath.Join(t.TempDir(), "cache"), scanner: &countingScanner{inner: testScanner(t)}}
}

func (e *env) crawler(t *testing.T, o *org, shard github.Shard) *github.Crawler {
	tr := &github.Transport{Tokens: github.StaticToken(token), Host: strings.TrimPrefix(o.gh.URL, "http://")}
	client, err := github.NewClient(&http.Client{Transport: tr}, o.gh.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	w := &github.Waiter{
		// go-github refuses calls until a secondary limit's Retry-After
		// (one second in the fake) has passed: wait for real, briefly.
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(d, 1500*time.Millisecond)):
				return nil
			}
		},
		OnWait: func(reason string, d time.Duration) {
			e.mu.Lock()
			e.waits = append(e.waits, reason)
			e.mu.Unlock()
		},
	}
	return &github.Crawler{
		Lister:      &github.Lister{Client: client, Wait: w},
		Cache:       &github.Cache{Dir: e.cache, Tokens: github.StaticToken(token)},
		Store:       e.st,
		Scanner:     e.scanner,
		Concurrency: 3,
		Shard:       shard,
	}
}

func crawl(t *testing.T, c *github.Crawler) *github.Report {
	t.Helper()
	rep, err := c.Crawl(context.Background(), github.Target{Org: "acme"}, github.Filter{})
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	return rep
}

func secretsOf(fs []finding.Finding) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.Secret] = true
	}
	return m
}

func changed(rep *github.Report, reason string) []string {
	var out []string
	for _, c := range rep.Changes {
		if c.Reason == reason {
			out = append(out, c.Fingerprint)
		}
	}
	return out
}

func TestCrawlFirstThenNothingNew(t *testing.T) {
	o := newOrg(t, "api", "web", "infra", "tools", "docs")
	e := newEnv(t)
	rep := crawl(t, e.crawler(t, o, github.Shard{}))
	found := secretsOf(rep.Findings)
	for name, tok := range o.secrets {
		if !found[tok] {
			t.Errorf("seeded secret of %s not found", name)
		}
	}
	if got := rep.ByOutcome()[github.Scanned]; got != 5 {
		t.Fatalf("scanned %d repos, want 5: %+v", got, rep.Repos)
	}
	if n := len(changed(rep, store.ChangeNew)); n != 5 {
		t.Fatalf("%d new secrets, want 5", n)
	}
	if rep.Counts.NewSecrets != 5 || rep.Run.Resumed {
		t.Fatalf("counts = %+v", rep.Counts)
	}
	scans := e.scanner.n.Load()
	before := o.gh.Stats()

	rep2 := crawl(t, e.crawler(t, o, github.Shard{}))
	if got := e.scanner.n.Load() - scans; got != 0 {
		t.Fatalf("second crawl with nothing new scanned %d repositories", got)
	}
	if rep2.ByOutcome()[github.Unchanged] != 5 || len(rep2.Changes) != 0 || rep2.Run.PrevFinished != rep.Run.ID {
		t.Fatalf("second crawl: outcomes %v, changes %+v, run %+v", rep2.ByOutcome(), rep2.Changes, rep2.Run)
	}
	after := o.gh.Stats()
	if api := after.API - before.API; api != 1 {
		t.Errorf("second crawl made %d API requests, want 1 (one listing page)", api)
	}
	sum, err := e.st.Summary(context.Background())
	if err != nil || sum.Secrets != 5 || sum.Repos != 5 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
}

func TestCrawlNewCommitOnlyNewSecret(t *testing.T) {
	o := newOrg(t, "api", "web")
	e := newEnv(t)
	crawl(t, e.crawler(t, o, github.Shard{}))
	tok := o.commitSecret("web", "")
	rep := crawl(t, e.crawler(t, o, github.Shard{}))
	if got := e.scanner.n.Load(); got != 3 {
		t.Fatalf("%d scans in all, want 3 (2 first, 1 for the new commit)", got)
	}
	news := changed(rep, store.ChangeNew)
	if len(news) != 1 || len(rep.Changes) != 1 {
		t.Fatalf("changes = %+v, want exactly the new secret", rep.Changes)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Secret != tok || rep.Findings[0].Fingerprint != news[0] {
		t.Fatalf("findings of the second crawl = %d, want only the new one", len(rep.Findings))
	}
	for _, rr := range rep.Repos {
		if rr.Repo.FullName == "acme/web" && (!rr.Incremental || rr.Commits != 1) {
			t.Fatalf("web rescanned %d commits (incremental %v), want 1", rr.Commits, rr.Incremental)
		}
	}
	revs := e.scanner.scans["web.git"]
	if len(revs) < 2 || revs[0] != "--all" || !strings.HasPrefix(revs[1], "^") {
		t.Fatalf("incremental revs = %v", revs)
	}
	fs, err := github.FindingsOf(context.Background(), e.st, rep)
	if err != nil || len(fs) != 1 || fs[0].Fingerprint != news[0] {
		t.Fatalf("since-last-run findings = %+v, %v", fs, err)
	}
}

func TestCrawlForcePushedBranch(t *testing.T) {
	o := newOrg(t, "api")
	e := newEnv(t)
	w := o.work["api"]
	w.Branch("feature")
	first := o.commitSecret("api", "feature")
	crawl(t, e.crawler(t, o, github.Shard{}))

	// Rewrite feature: drop its commit, commit another secret, force-push.
	w.Git("reset", "-q", "--hard", "main")
	second := o.commitSecret("api", "feature")
	rep := crawl(t, e.crawler(t, o, github.Shard{}))
	found := secretsOf(rep.Findings)
	if !found[second] || found[first] || len(rep.Findings) != 1 {
		t.Fatalf("after force push: %d findings, new secret found %v, old one rescanned %v", len(rep.Findings), found[second], found[first])
	}
	if len(changed(rep, store.ChangeNew)) != 1 {
		t.Fatalf("changes = %+v", rep.Changes)
	}
	// The rewritten-away secret stays known.
	if _, err := e.st.Secret(context.Background(), (finding.Fingerprinter{}).Of(first)); err != nil {
		t.Fatalf("old secret lost: %v", err)
	}
}

func TestCrawlFailingRepoReportedOthersFinish(t *testing.T) {
	o := newOrg(t, "api", "broken", "web")
	o.gh.FailClone("acme/broken", http.StatusInternalServerError)
	e := newEnv(t)
	rep := crawl(t, e.crawler(t, o, github.Shard{}))
	out := rep.ByOutcome()
	if out[github.Scanned] != 2 || out[github.Failed] != 1 || rep.Counts.ReposFailed != 1 {
		t.Fatalf("outcomes = %v", out)
	}
	for _, rr := range rep.Repos {
		if rr.Repo.FullName == "acme/broken" && (rr.Outcome != github.Failed || !strings.Contains(rr.Err, "500")) {
			t.Fatalf("broken = %+v", rr)
		}
	}
	rp, err := e.st.Repo(context.Background(), o.gh.URL+"/git/acme/broken.git")
	if err != nil || rp.State != store.RepoError || len(rp.Tips) != 0 {
		t.Fatalf("broken in store = %+v, %v", rp, err)
	}
	// Fixed upstream: the next crawl scans it, and only it.
	o.gh.FailClone("acme/broken", 0)
	scans := e.scanner.n.Load()
	rep = crawl(t, e.crawler(t, o, github.Shard{}))
	if e.scanner.n.Load()-scans != 1 || len(changed(rep, store.ChangeNew)) != 1 {
		t.Fatalf("after the fix: %d scans, changes %+v", e.scanner.n.Load()-scans, rep.Changes)
	}
}

func TestCrawlDeletedUpstream(t *testing.T) {
	o := newOrg(t, "api", "old")
	e := newEnv(t)
	crawl(t, e.crawler(t, o, github.Shard{}))
	o.gh.Remove("acme/old")
	rep := crawl(t, e.crawler(t, o, github.Shard{}))
	if rep.ByOutcome()[github.Gone] != 1 {
		t.Fatalf("outcomes = %v", rep.ByOutcome())
	}
	rp, err := e.st.Repo(context.Background(), o.gh.URL+"/git/acme/old.git")
	if err != nil || rp.State != store.RepoDeleted {
		t.Fatalf("old = %+v, %v", rp, err)
	}
	if sum, _ := e.st.Summary(context.Background()); sum.Secrets != 2 {
		t.Fatalf("secrets of a deleted repository must be kept: %+v", sum)
	}
}

func TestCrawlFilteredOutIsNotGone(t *testing.T) {
	o := newOrg(t, "api")
	o.add("fork", fakegithub.Repo{Fork: true})
	e := newEnv(t)
	crawl(t, e.crawler(t, o, github.Shard{}))
	rep, err := e.crawler(t, o, github.Shard{}).Crawl(context.Background(), github.Target{Org: "acme"}, github.Filter{SkipForks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repos) != 1 || rep.Repos[0].Repo.FullName != "acme/api" || rep.Counts.ReposTotal != 1 {
		t.Fatalf("repos = %+v", rep.Repos)
	}
	rp, err := e.st.Repo(context.Background(), o.gh.URL+"/git/acme/fork.git")
	if err != nil || rp.State != store.RepoOK {
		t.Fatalf("filtered-out fork = %+v, %v", rp, err)
	}
}

func TestCrawlKillAndResume(t *testing.T) {
	names := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	o := newOrg(t, names...)
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	e.scanner.block = func(ctx context.Context, dir string) {
		if started.Add(1) == 3 {
			cancel() // killed while the third scan starts
		}
	}
	c := e.crawler(t, o, github.Shard{})
	c.Concurrency, c.CheckConcurrency = 1, 1
	rep, err := c.Crawl(ctx, github.Target{Org: "acme"}, github.Filter{})
	if err == nil {
		t.Fatal("a cancelled crawl returned no error")
	}
	done := rep.ByOutcome()[github.Scanned]
	if done != 2 {
		t.Fatalf("%d repositories finished before the kill, want 2", done)
	}
	firstRun := rep.Run.ID
	e.scanner.block = nil
	scans := e.scanner.n.Load()
	rep2 := crawl(t, e.crawler(t, o, github.Shard{}))
	if !rep2.Run.Resumed || rep2.Run.ID != firstRun {
		t.Fatalf("second crawl did not resume run %d: %+v", firstRun, rep2.Run)
	}
	if got := e.scanner.n.Load() - scans; got != int64(len(names)-done) {
		t.Fatalf("resume scanned %d repositories, want %d (nothing finished rescanned)", got, len(names)-done)
	}
	// Nothing lost: every seeded secret is new in the resumed run's report.
	if n := len(changed(rep2, store.ChangeNew)); n != len(names) {
		t.Fatalf("resumed run reports %d new secrets, want %d", n, len(names))
	}
	fs, err := github.FindingsOf(context.Background(), e.st, rep2)
	if err != nil || len(fs) != len(names) {
		t.Fatalf("since-last-run findings = %d, %v", len(fs), err)
	}
	for _, f := range fs {
		if f.Redacted == "" || len(f.Locations) == 0 {
			t.Fatalf("finding rebuilt from the store lacks data: %+v", f)
		}
	}
}

func TestShardsCoverEveryRepoOnce(t *testing.T) {
	var names []string
	for i := 0; i < 8; i++ {
		names = append(names, fmt.Sprintf("svc-%02d", i))
	}
	o := newOrg(t, names...)
	e := newEnv(t)
	seen := map[string]int{}
	for k := 0; k < 2; k++ {
		rep := crawl(t, e.crawler(t, o, github.Shard{K: k, N: 2}))
		if rep.Scope != fmt.Sprintf("org:acme shard %d/2", k) {
			t.Fatalf("scope = %q", rep.Scope)
		}
		for _, rr := range rep.Repos {
			seen[rr.Repo.FullName]++
		}
		if len(rep.Repos) == 0 || len(rep.Repos) == len(names) {
			t.Fatalf("shard %d/2 took %d of %d repositories", k, len(rep.Repos), len(names))
		}
	}
	if len(seen) != len(names) {
		t.Fatalf("shards covered %d repositories, want %d", len(seen), len(names))
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s crawled %d times", n, c)
		}
	}
}

func TestShardStable(t *testing.T) {
	for _, c := range []struct {
		in   string
		want github.Shard
		bad  bool
	}{
		{"", github.Shard{0, 1}, false},
		{"0/4", github.Shard{0, 4}, false},
		{"3/4", github.Shard{3, 4}, false},
		{"4/4", github.Shard{}, true},
		{"1", github.Shard{}, true},
		{"-1/2", github.Shard{}, true},
	} {
		t.Run(c.in, func(t *testing.T) {
			s, err := github.ParseShard(c.in)
			if (err != nil) != c.bad || !c.bad && s != c.want {
				t.Fatalf("ParseShard = %v, %v", s, err)
			}
		})
	}
	// Case-insensitive and the same on every call.
	s := github.Shard{K: 1, N: 3}
	if s.Has("Acme/API") != s.Has("acme/api") {
		t.Fatal("shard depends on case")
	}
}

func TestListPaginationFiltersAndRateLimits(t *testing.T) {
	o := newOrg(t)
	for i := 0; i < 7; i++ {
		o.gh.AddListed(fakegithub.Repo{Owner: "acme", Name: fmt.Sprintf("r%d", i), Fork: i == 1, Archived: i == 2, Private: i == 3,
			Topics: []string{fmt.Sprintf("t%d", i%2)}})
	}
	e := newEnv(t)
	c := e.crawler(t, o, github.Shard{})
	ctx := context.Background()
	names := func(rs []github.Repo) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.FullName)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	o.gh.SecondaryLimit(http.StatusForbidden, http.StatusTooManyRequests)
	all, err := c.Lister.List(ctx, github.Target{Org: "acme"}, github.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if names(all) != "acme/r0,acme/r1,acme/r2,acme/r3,acme/r4,acme/r5,acme/r6" {
		t.Fatalf("listing = %s", names(all))
	}
	o.gh.RateLimit(1) // every second request is over the primary limit
	some, err := c.Lister.List(ctx, github.Target{Repos: []string{"acme/r4", "acme/r5", "acme/r6"}}, github.Filter{})
	if err != nil || names(some) != "acme/r4,acme/r5,acme/r6" {
		t.Fatalf("listing under a primary limit = %s, %v", names(some), err)
	}
	st := o.gh.Stats()
	if st.SecondaryLimited != 2 || st.PrimaryLimited == 0 {
		t.Fatalf("limits not exercised: %+v", st)
	}
	var primary, secondary int
	for _, w := range e.waits {
		switch w {
		case "primary rate limit":
			primary++
		case "secondary rate limit":
			secondary++
		}
	}
	if primary == 0 || secondary != 2 {
		t.Fatalf("waits = %v", e.waits)
	}
	o.gh.RateLimit(0)
	for _, c2 := range []struct {
		name string
		f    github.Filter
		want string
	}{
		{"no forks no archived", github.Filter{SkipForks: true, SkipArchived: true}, "acme/r0,acme/r3,acme/r4,acme/r5,acme/r6"},
		{"private only", github.Filter{Visibility: []string{"private"}}, "acme/r3"},
		{"topic", github.Filter{Topics: []string{"t1"}}, "acme/r1,acme/r3,acme/r5"},
		{"globs", github.Filter{Include: []string{"r[0-4]"}, Exclude: []string{"acme/r0"}}, "acme/r1,acme/r2,acme/r3,acme/r4"},
	} {
		t.Run(c2.name, func(t *testing.T) {
			rs, err := c.Lister.List(ctx, github.Target{Org: "acme"}, c2.f)
			if err != nil {
				t.Fatal(err)
			}
			if names(rs) != c2.want {
				t.Fatalf("got %s, want %s", names(rs), c2.want)
			}
		})
	}
	t.Run("explicit repos", func(t *testing.T) {
		rs, err := c.Lister.List(ctx, github.Target{Repos: []string{"acme/r5", "acme/r6"}}, github.Filter{})
		if err != nil || names(rs) != "acme/r5,acme/r6" {
			t.Fatalf("got %s, %v", names(rs), err)
		}
		if _, err := c.Lister.List(ctx, github.Target{Repos: []string{"acme/nope"}}, github.Filter{}); err == nil {
			t.Fatal("a missing repository is no error")
		}
	})
}

func TestListPaginatesLinkHeader(t *testing.T) {
	o := newOrg(t)
	for i := 0; i < 105; i++ {
		o.gh.AddListed(fakegithub.Repo{Owner: "acme", Name: fmt.Sprintf("p%03d", i)})
	}
	e := newEnv(t)
	c := e.crawler(t, o, github.Shard{})
	rs, err := c.Lister.List(context.Background(), github.Target{Org: "acme"}, github.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 105 {
		t.Fatalf("listed %d, want 105", len(rs))
	}
	if n := o.gh.Stats().PerPath["GET /orgs/acme/repos"]; n != 2 {
		t.Fatalf("%d listing requests, want 2 pages of 100", n)
	}
}

func TestListConditionalRequests(t *testing.T) {
	o := newOrg(t)
	o.gh.AddListed(fakegithub.Repo{Owner: "acme", Name: "one"})
	cache := &github.ETagCache{Dir: filepath.Join(t.TempDir(), "api")}
	tr := &github.Transport{Base: cache, Tokens: github.StaticToken(token), Host: strings.TrimPrefix(o.gh.URL, "http://")}
	client, err := github.NewClient(&http.Client{Transport: tr}, o.gh.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	l := &github.Lister{Client: client, Wait: &github.Waiter{}}
	for i := 0; i < 3; i++ {
		rs, err := l.List(context.Background(), github.Target{Org: "acme"}, github.Filter{})
		if err != nil || len(rs) != 1 || rs[0].FullName != "acme/one" {
			t.Fatalf("listing %d = %+v, %v", i, rs, err)
		}
	}
	if st := o.gh.Stats(); st.NotModified != 2 || cache.NotModified() != 2 || tr.Requests() != 3 {
		t.Fatalf("conditional requests: fake %+v, cache hits %d, requests %d", st, cache.NotModified(), tr.Requests())
	}
}

func TestAppInstallationToken(t *testing.T) {
	o := newOrg(t, "api")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := github.LoadAppKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	o.gh.EnableApp(1234, &key.PublicKey, 99)
	app := &github.App{ID: 1234, Key: loaded, Org: "acme", APIURL: o.gh.APIURL()}
	e := newEnv(t)
	c := e.crawler(t, o, github.Shard{})
	host := strings.TrimPrefix(o.gh.URL, "http://")
	client, _ := github.NewClient(&http.Client{Transport: &github.Transport{Tokens: app, Host: host}}, o.gh.APIURL())
	c.Lister.Client = client
	c.Cache.Tokens = app
	rep := crawl(t, c)
	if !secretsOf(rep.Findings)[o.secrets["api"]] {
		t.Fatalf("crawl as an App found %d findings", len(rep.Findings))
	}
	if app.InstallationID != 99 {
		t.Fatalf("installation id = %d", app.InstallationID)
	}
	st := o.gh.Stats()
	if st.PerPath["POST /app/installations/99/access_tokens"] != 1 {
		t.Fatalf("installation token fetched %d times, want 1 (cached)", st.PerPath["POST /app/installations/99/access_tokens"])
	}
	// A wrong key is refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := &github.App{ID: 1234, Key: other, InstallationID: 99, APIURL: o.gh.APIURL()}
	if _, err := bad.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("token with a wrong key: %v", err)
	}
}

func TestCacheFolderPrivate(t *testing.T) {
	o := newOrg(t, "api")
	e := newEnv(t)
	crawl(t, e.crawler(t, o, github.Shard{}))
	host := strings.ReplaceAll(strings.TrimPrefix(o.gh.URL, "http://"), ":", "_")
	for _, d := range []string{e.cache, filepath.Join(e.cache, host), filepath.Join(e.cache, host, "acme")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %o, want 700", d, fi.Mode().Perm())
		}
	}
}

// TestCrawlVerifyLifecycle: verification answers are recorded; a dead secret
// found again live is reported as live again, a known one at a new place as
// a reappearance.
func TestCrawlVerifyLifecycle(t *testing.T) {
	o := newOrg(t, "api")
	e := newEnv(t)
	status := string(finding.StatusLive)
	c := e.crawler(t, o, github.Shard{})
	c.Verify = func(ctx context.Context, res *finding.Result) error {
		for i := range res.Findings {
			res.Findings[i].Verification = &finding.Verification{Status: finding.Status(status), CheckedAt: time.Now()}
		}
		return nil
	}
	ctx := context.Background()
	seeded := o.secrets["api"]
	fp := (finding.Fingerprinter{}).Of(seeded)
	crawl(t, c)
	if s, err := e.st.Secret(ctx, fp); err != nil || s.Status != store.StatusLive {
		t.Fatalf("after first crawl: %+v, %v", s, err)
	}
	// Reappears (pasted elsewhere) while dead.
	w := o.work["api"]
	status = string(finding.StatusDead)
	w.CommitFiles("copy", map[string]string{"other.env": "GITHUB_TOKEN=" + seeded + "\n"})
	o.gh.Push(o.served["api"], w.Dir())
	rep := crawl(t, c)
	if len(rep.Changes) != 1 || rep.Changes[0].Reason != store.ChangeReappeared || rep.Counts.Reappeared != 1 {
		t.Fatalf("changes = %+v", rep.Changes)
	}
	// Found again, live again.
	status = string(finding.StatusLive)
	w.CommitFiles("again", map[string]string{"third.env": "GITHUB_TOKEN=" + seeded + "\n"})
	o.gh.Push(o.served["api"], w.Dir())
	rep = crawl(t, c)
	if len(rep.Changes) != 1 || rep.Changes[0].Reason != store.ChangeLiveAgain || rep.Counts.LiveAgain != 1 {
		t.Fatalf("changes = %+v", rep.Changes)
	}
	hist, _ := e.st.Verifications(ctx, fp)
	if len(hist) != 3 {
		t.Fatalf("verification history = %+v", hist)
	}
	trend, _ := e.st.Trend(ctx, rep.Scope, 0)
	if len(trend) != 3 || trend[0].OpenLive != 1 || trend[1].OpenLive != 0 || trend[2].OpenLive != 1 {
		t.Fatalf("trend = %+v", trend)
	}
}

// TestCrawlShardsShareOnePostgres runs two shard crawlers at once into one
// Postgres store (NHISCAN_TEST_POSTGRES; .ci/run provides it).
func TestCrawlShardsShareOnePostgres(t *testing.T) {
	dsn := os.Getenv("NHISCAN_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("NHISCAN_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("nhiscan_crawl_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	var names []string
	for i := 0; i < 6; i++ {
		names = append(names, fmt.Sprintf("pg-%d", i))
	}
	o := newOrg(t, names...)
	var wg sync.WaitGroup
	reps := make([]*github.Report, 2)
	errs := make([]error, 2)
	for k := 0; k < 2; k++ {
		st, err := store.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := newEnv(t)
		e.st = st
		c := e.crawler(t, o, github.Shard{K: k, N: 2})
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[k], errs[k] = c.Crawl(ctx, github.Target{Org: "acme"}, github.Filter{})
		}()
	}
	wg.Wait()
	total := 0
	for k := range reps {
		if errs[k] != nil {
			t.Fatalf("shard %d: %v", k, errs[k])
		}
		total += len(reps[k].Repos)
	}
	st, _ := store.Open(ctx, u.String())
	defer st.Close()
	sum, err := st.Summary(ctx)
	if err != nil || total != len(names) || sum.Repos != len(names) || sum.Secrets != len(names) {
		t.Fatalf("shards crawled %d; store %+v, %v", total, sum, err)
	}
	runs, _ := st.Runs(ctx, "", 0)
	if len(runs) != 2 || runs[0].Scope == runs[1].Scope {
		t.Fatalf("runs = %+v", runs)
	}
}

// TestCrawlRecheck: known secrets are re-verified from the mirror each
// crawl, so a secret that dies is noticed (time to dead) and one that comes
// back to life is reported, with no new commit.
func TestCrawlRecheck(t *testing.T) {
	o := newOrg(t, "api", "web")
	e := newEnv(t)
	status := map[string]string{}
	for _, s := range o.secrets {
		status[(finding.Fingerprinter{}).Of(s)] = string(finding.StatusLive)
	}
	c := e.crawler(t, o, github.Shard{})
	verify := func(ctx context.Context, res *finding.Result) error {
		for i := range res.Findings {
			res.Findings[i].Verification = &finding.Verification{Status: finding.Status(status[res.Findings[i].Fingerprint]), CheckedAt: time.Now()}
		}
		return nil
	}
	var rechecked []string
	var recheckDirs []string
	c.Verify = verify
	c.Recheck = func(ctx context.Context, dir string, res *finding.Result) error {
		for _, f := range res.Findings {
			if f.Secret != "" || len(f.Locations) == 0 || f.Redacted == "" {
				t.Errorf("recheck got %+v", f)
			}
			rechecked = append(rechecked, f.Fingerprint)
		}
		recheckDirs = append(recheckDirs, filepath.Base(dir))
		return verify(ctx, res)
	}
	ctx := context.Background()
	crawl(t, c)
	if len(rechecked) != 0 {
		t.Fatalf("first crawl rechecked %v (everything was just verified)", rechecked)
	}
	apiFP := (finding.Fingerprinter{}).Of(o.secrets["api"])
	status[apiFP] = string(finding.StatusDead)
	rep := crawl(t, c)
	if len(rechecked) != 2 || len(rep.Changes) != 0 {
		t.Fatalf("second crawl: rechecked %v, changes %+v", rechecked, rep.Changes)
	}
	sec, _ := e.st.Secret(ctx, apiFP)
	if sec.Status != store.StatusDead || sec.DeadAt.IsZero() {
		t.Fatalf("dead secret = %+v", sec)
	}
	sum, _ := e.st.Summary(ctx)
	if sum.DeadSecrets != 1 || sum.MeanTimeToDead <= 0 {
		t.Fatalf("summary = %+v", sum)
	}
	status[apiFP] = string(finding.StatusLive)
	rep = crawl(t, c)
	if len(rep.Changes) != 1 || rep.Changes[0].Fingerprint != apiFP || rep.Changes[0].Reason != store.ChangeLiveAgain {
		t.Fatalf("third crawl changes = %+v", rep.Changes)
	}
}

func TestCrawlSkipUnpushed(t *testing.T) {
	o := newOrg(t, "api", "web")
	e := newEnv(t)
	c := e.crawler(t, o, github.Shard{})
	c.SkipUnpushed = true
	crawl(t, c)
	// Nobody pushed since an hour before the first crawl.
	for _, n := range []string{"acme/api", "acme/web"} {
		o.gh.SetPushedAt(n, time.Now().Add(-time.Hour))
	}
	before := o.gh.Stats()
	rep := crawl(t, c)
	if git := o.gh.Stats().Git - before.Git; git != 0 || rep.ByOutcome()[github.Unchanged] != 2 {
		t.Fatalf("unpushed repositories: %d git requests, outcomes %v", git, rep.ByOutcome())
	}
	tok := o.commitSecret("web", "") // a push: pushed_at is now
	rep = crawl(t, c)
	if rep.ByOutcome()[github.Scanned] != 1 || len(rep.Findings) != 1 || rep.Findings[0].Secret != tok {
		t.Fatalf("after a push: outcomes %v, %d findings", rep.ByOutcome(), len(rep.Findings))
	}
	// Within the clock-skew margin, the remote is asked.
	o.gh.SetPushedAt("acme/api", time.Now())
	before = o.gh.Stats()
	crawl(t, c)
	if o.gh.Stats().Git-before.Git == 0 {
		t.Fatal("a repository pushed around its last scan was not checked")
	}
	// Confirmed up to date then: skipped once the margin has passed.
	c.PushedAtMargin = time.Nanosecond
	before = o.gh.Stats()
	crawl(t, c)
	if git := o.gh.Stats().Git - before.Git; git != 0 {
		t.Fatalf("%d git requests for repositories confirmed up to date", git)
	}
	// pushed_at is trusted for FullCheckEvery at most.
	c.FullCheckEvery = time.Nanosecond
	before = o.gh.Stats()
	crawl(t, c)
	if git := o.gh.Stats().Git - before.Git; git != 2 {
		t.Fatalf("%d git requests after FullCheckEvery, want 2 ref listings", git)
	}
}

// TestListUserPrivateRepos: with the user's own token, scan org --user
// lists private repositories through GET /user/repos?affiliation=owner;
// with another token only public ones, and a warning says so.
func TestListUserPrivateRepos(t *testing.T) {
	o := newOrg(t)
	o.gh.AddListed(fakegithub.Repo{Owner: "octo", Name: "public-one"})
	o.gh.AddListed(fakegithub.Repo{Owner: "octo", Name: "secret-one", Private: true})
	o.gh.AddListed(fakegithub.Repo{Owner: "someone", Name: "theirs"})
	tr := &github.Transport{Base: http.DefaultTransport, Tokens: github.StaticToken(token), Host: strings.TrimPrefix(o.gh.URL, "http://")}
	client, err := github.NewClient(&http.Client{Transport: tr}, o.gh.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	names := func(rs []github.Repo) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.FullName)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		owner, want string
		warned      bool
	}{
		{owner: "octo", want: "octo/public-one,octo/secret-one"},
		{owner: "someone", want: "octo/public-one", warned: true},
		{owner: "", want: "octo/public-one", warned: true}, // an installation token: GET /user is 403
	} {
		o.gh.SetTokenOwner(c.owner)
		var logs bytes.Buffer
		l := &github.Lister{Client: client, Wait: &github.Waiter{}, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		rs, err := l.List(context.Background(), github.Target{User: "octo"}, github.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(rs); got != c.want {
			t.Errorf("token of %q: listed %s, want %s", c.owner, got, c.want)
		}
		if warned := strings.Contains(logs.String(), "only public repositories"); warned != c.warned {
			t.Errorf("token of %q: warned %v, want %v (%s)", c.owner, warned, c.warned, logs.String())
		}
	}
}

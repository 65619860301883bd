package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakegithub"
	"nhiscan/internal/report"
	"nhiscan/internal/store"
)

// crawlStore fills an SQLite store with a generated nightly crawl of an
// org: repos nightly scanned over nights, new fake secrets most nights,
// verifications that find some live and later dead, remediation actions and
// tickets. It returns the store's path and the raw secrets it saw (which
// the store never keeps, and the report must never show).
func crawlStore(t *testing.T, seed uint64, repos, nights int) (string, []string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(seed, 1))
	gen := fixtures.NewGen(seed)
	start := time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)
	names := []string{"payments-api", "web-frontend", "infra-terraform", "data-pipeline", "mobile-app", "auth-service",
		"docs", "billing-worker", "ml-models", "ops-scripts", "search", "notifications"}
	type secretInfo struct {
		fp, provider string
	}
	var known []secretInfo
	var raw []string
	hex40 := func() string {
		b := make([]byte, 20)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return fmt.Sprintf("%x", b)
	}
	kinds := []struct {
		rule, provider, severity string
		make                     func() string
	}{
		{"github-pat", "github", "critical", func() string { return gen.GitHubToken("ghp_") }},
		{"slack-bot-token", "slack", "high", gen.SlackBotToken},
		{"stripe-access-token", "stripe", "high", gen.StripeSecretKey},
		{"openai-api-key", "openai", "high", gen.OpenAIKey},
		{"gitlab-pat", "gitlab", "high", gen.GitLabPAT},
		{"npm-access-token", "npm", "medium", gen.NPMToken},
	}
	for n := range nights {
		day := start.AddDate(0, 0, n)
		run, err := st.BeginRun(ctx, "org:acme", day)
		if err != nil {
			t.Fatal(err)
		}
		var counts store.RunCounts
		for i := range repos {
			name := names[i%len(names)]
			u := "https://github.com/acme/" + name + ".git"
			if n == nights-1 && i == 3 {
				if err := st.MarkRepo(ctx, u, store.RepoError, "clone: HTTP 500 from the git server", day); err != nil {
					t.Fatal(err)
				}
				counts.ReposFailed++
				continue
			}
			var fs []finding.Finding
			if (n == 0 && i%2 == 0) || rng.IntN(6) == 0 {
				k := kinds[rng.IntN(len(kinds))]
				secret := k.make()
				raw = append(raw, secret)
				f := finding.Finding{Fingerprint: finding.Fingerprint(k.rule, secret), RuleID: k.rule, Provider: k.provider,
					Severity: k.severity, Secret: secret, Redacted: finding.Redact(secret), InHead: rng.IntN(3) > 0}
				for range 1 + rng.IntN(2) {
					f.Locations = append(f.Locations, finding.Location{Commit: hex40(), Path: "config/settings.env",
						Line: 1 + rng.IntN(80), Author: "Dev " + name, Date: day.AddDate(0, 0, -rng.IntN(200))})
				}
				fs = append(fs, f)
				known = append(known, secretInfo{f.Fingerprint, k.provider})
			}
			d, err := st.CommitRepoScan(ctx, store.RepoScan{RunID: run.ID, At: day,
				Repo:     store.Repo{URL: u, Name: "acme/" + name, DefaultBranch: "main", Tips: map[string]string{"refs/heads/main": hex40()}},
				Findings: fs})
			if err != nil {
				t.Fatal(err)
			}
			counts.ReposScanned++
			counts.NewSecrets += len(d.New)
			counts.Findings += len(fs)
		}
		// verify: new secrets are live or unknown; some live ones die later
		for i, s := range known {
			v := finding.Verification{CheckedAt: day.Add(30 * time.Minute)}
			switch r := rng.IntN(10); {
			case i%7 == 6:
				continue // never verified
			case r < 2:
				v.Status, v.Reason = finding.StatusDead, "401 Bad credentials"
			case r < 3:
				v.Status, v.Reason = finding.StatusUnknown, "429 rate limited"
			default:
				sec, err := st.Secret(ctx, s.fp)
				if err != nil {
					t.Fatal(err)
				}
				if sec.Status == store.StatusDead {
					continue
				}
				v.Status = finding.StatusLive
				v.Identity = map[string]string{"login": "svc-" + s.provider}
				v.Privileges = finding.Privileges{Level: []string{"admin", "write", "read"}[i%3], Scopes: []string{"repo"}}
			}
			if _, err := st.RecordVerification(ctx, run.ID, s.fp, v); err != nil {
				t.Fatal(err)
			}
		}
		if n == nights-2 && len(known) > 3 {
			for j, kind := range []string{"revoke", "ticket", "rotate"} {
				a := store.Action{Fingerprint: known[j].fp, Kind: kind, Target: "key", PlannedAt: day}
				id, err := st.RecordAction(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				a.ID, a.AppliedAt, a.Outcome = id, day.Add(time.Hour), "done"
				if _, err := st.RecordAction(ctx, a); err != nil {
					t.Fatal(err)
				}
				if kind == "ticket" {
					if err := st.PutTicket(ctx, store.Ticket{Fingerprint: known[j].fp, System: "jira", Key: "SEC-7",
						URL: "https://acme.atlassian.net/browse/SEC-7", State: "open", UpdatedAt: day}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := st.RecordAction(ctx, store.Action{Fingerprint: known[3].fp, Kind: "revoke", PlannedAt: day, Outcome: "planned"}); err != nil {
				t.Fatal(err)
			}
		}
		counts.ReposTotal = repos
		if err := st.FinishRun(ctx, run.ID, counts, day.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return path, raw
}

func TestReportFromStore(t *testing.T) {
	path, raw := crawlStore(t, 8, 12, 30)
	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := cli(t, "report", "--state", path, "--out", out, "--title", "acme")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, secret := range raw {
		if strings.Contains(s, secret[4:]) {
			t.Fatalf("raw secret %.4s… in the page", secret)
		}
	}
	for _, want := range []string{"nhiscan crawl report: acme", `id="chart-live"`, `id="repos"`, `id="providers"`,
		"acme/payments-api", "https://github.com/acme/payments-api/blob/", "clone: HTTP 500 from the git server",
		"https://acme.atlassian.net/browse/SEC-7", ">revoked<", ">rotated<", ">ticketed<", ">planned<", "Trend over 30 stored nights",
		`data-status="live"`, `data-status="dead"`, `data-status="unverified"`} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	screenshot(t, out, "report-store.png")
}

func TestReportFromStoreModel(t *testing.T) {
	path, _ := crawlStore(t, 9, 5, 6)
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		name   string
		scope  string
		nights int
		want   int
	}{
		{"all", "", 0, 6},
		{"scope", "org:acme", 0, 6},
		{"newest 3", "", 3, 3},
		{"other scope", "org:other", 0, 0},
		{"scope prefix is no scope", "org:acm", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := crawlFromStore(ctx, st, tc.scope, tc.nights)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Nights) != tc.want {
				t.Fatalf("%d nights, want %d", len(c.Nights), tc.want)
			}
			sum, err := st.Summary(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Findings) != sum.Secrets || len(c.Repos) != sum.Repos {
				t.Errorf("%d findings, %d repos; store has %d, %d", len(c.Findings), len(c.Repos), sum.Secrets, sum.Repos)
			}
			for i := 1; i < len(c.Nights); i++ {
				if !c.Nights[i].Date.After(c.Nights[i-1].Date) {
					t.Errorf("nights out of order: %v", c.Nights)
				}
			}
			if tc.want > 0 {
				last := c.Nights[len(c.Nights)-1]
				if last.OpenLive != sum.ByStatus[store.StatusLive] {
					t.Errorf("last night open live %d, store live %d", last.OpenLive, sum.ByStatus[store.StatusLive])
				}
			}
			for _, f := range c.Findings {
				if len(f.Repos) != len(f.Locations) || f.Secret != "" {
					t.Errorf("finding %s: %d repos for %d locations", f.Fingerprint, len(f.Repos), len(f.Locations))
				}
			}
		})
	}
}

func TestInScope(t *testing.T) {
	for _, tc := range []struct {
		run, want string
		in        bool
	}{
		{"org:acme", "", true},
		{"org:acme", "org:acme", true},
		{"org:acme shard 1/4", "org:acme", true},
		{"org:acme-labs", "org:acme", false},
		{"org:acme", "org:acme shard 1/4", false},
		{"user:bob", "org:acme", false},
	} {
		if got := inScope(tc.run, tc.want); got != tc.in {
			t.Errorf("inScope(%q, %q) = %v", tc.run, tc.want, got)
		}
	}
}

func TestNightsFrom(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2026, 1, n, 3, 0, 0, 0, time.UTC) }
	points := []store.TrendPoint{
		{FinishedAt: d(1), OpenLive: 2, NewSecrets: 2},
		{FinishedAt: d(2), OpenLive: 1, NewSecrets: 1},
		{FinishedAt: d(2).Add(time.Hour), OpenLive: 3, NewSecrets: 1}, // a second shard the same night
		{FinishedAt: d(4), OpenLive: 0},
	}
	secrets := []store.Secret{
		{FirstSeen: d(1).Add(-time.Hour)},
		{FirstSeen: d(1).Add(-time.Hour), DeadAt: d(2).Add(-time.Hour)}, // dead after ~1 day
		{FirstSeen: d(2).Add(-time.Hour), DeadAt: d(4).Add(-time.Hour)}, // dead after 2 days
	}
	got := nightsFrom(points, secrets, 0)
	want := []report.Night{
		{Date: d(1).Truncate(24 * time.Hour), Open: 2, OpenLive: 2, New: 2},
		{Date: d(2).Truncate(24 * time.Hour), Open: 2, OpenLive: 3, New: 2, MeanTimeToDead: 24 * time.Hour},
		{Date: d(4).Truncate(24 * time.Hour), Open: 1, OpenLive: 0, MeanTimeToDead: 36 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("night %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReportCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing state", []string{"report", "--state", filepath.Join(t.TempDir(), "none.db")}, "run scan org first"},
		{"stray argument", []string{"report", "x"}, "unknown command"},
	}
	t.Setenv("NHISCAN_STATE", filepath.Join(t.TempDir(), "from-env.db"))
	tests = append(tests, struct {
		name string
		args []string
		want string
	}{"missing state from NHISCAN_STATE", []string{"report"}, "from-env.db"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// screenshot saves a picture of a page with Debian's chromium when it is
// installed (the browser test of internal/report is the one that checks the
// page; this one only keeps a picture of a store-backed report as a CI
// artifact in $NHISCAN_ARTIFACTS or bench/out).
func screenshot(t *testing.T, page, name string) {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Logf("no chromium: no screenshot")
		return
	}
	dir := os.Getenv("NHISCAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--hide-scrollbars", "--window-size=1440,1800", "--screenshot="+shot,
		(&url.URL{Scheme: "file", Path: page}).String())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	t.Logf("screenshot: %s", shot)
}

// --format html on a scan: one page, no raw secret even with
// --show-secrets, and --help says so.
func TestFormatHTML(t *testing.T) {
	lr := newLeakyRepo(t, 21)
	tests := []struct {
		name string
		args []string
	}{
		{"stdout", []string{"git", lr.dir, "--format", "html"}},
		{"show-secrets", []string{"git", lr.dir, "--format", "html", "--show-secrets"}},
		{"file", []string{"git", lr.dir, "--format", "html", "--show-secrets", "--report", filepath.Join(t.TempDir(), "r.html")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (findings): %s", code, stderr)
			}
			page := stdout
			if i := len(tc.args) - 1; tc.args[i-1] == "--report" {
				b, err := os.ReadFile(tc.args[i])
				if err != nil {
					t.Fatal(err)
				}
				page = string(b)
			}
			if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, `id="findings"`) {
				t.Fatalf("not the HTML report: %.200s", page)
			}
			for _, s := range []string{lr.token, lr.secondToken} {
				if strings.Contains(page, s[4:]) {
					t.Errorf("raw secret %.4s… in the page", s)
				}
			}
			if !strings.Contains(page, "config/app.env") || !strings.Contains(page, "ghp_*****") {
				t.Errorf("page lacks the location or the redacted secret")
			}
		})
	}
	_, help, _ := cli(t, "git", "--help")
	if !strings.Contains(help, report.HTMLNoSecrets) {
		t.Errorf("--help does not say %q", report.HTMLNoSecrets)
	}
}

// TestReportAfterOrgCrawl is the whole nightly flow: scan org crawls a fake
// GitHub org twice (a secret pushed between the nights, one repository
// failing the second night), then scan report renders the store.
func TestReportAfterOrgCrawl(t *testing.T) {
	const token = "report-test-token-not-a-secret"
	gh := fakegithub.New(t)
	t.Setenv("SSL_CERT_FILE", gh.CAFile()) // the fake is an HTTPS server with its own CA
	gh.RequireToken(token)
	t.Setenv("GITHUB_TOKEN", token)
	gen := fixtures.NewGen(33)
	var raw []string
	work := map[string]*fixtures.Repo{}
	served := map[string]*fakegithub.Repo{}
	for _, name := range []string{"api", "web", "docs"} {
		w := fixtures.NewRepo(t)
		s := gen.GitHubToken("ghp_")
		raw = append(raw, s)
		w.CommitFiles("init", map[string]string{"config/app.env": "GITHUB_TOKEN=" + s + "\n"})
		work[name], served[name] = w, gh.Add(fakegithub.Repo{Owner: "acme", Name: name}, w.Dir())
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	crawl := func() {
		t.Helper()
		code, _, stderr := cli(t, "org", "acme", "--api-url", gh.APIURL(), "--state", state,
			"--cache-dir", filepath.Join(dir, "cache"), "--progress", "lines", "--format", "json", "-q")
		if code > 1 {
			t.Fatalf("scan org: exit %d: %s", code, stderr)
		}
	}
	crawl()
	fresh := gen.SlackBotToken()
	raw = append(raw, fresh)
	work["web"].CommitFiles("deploy", map[string]string{"deploy.sh": "export SLACK_TOKEN=" + fresh + "\n"})
	gh.Push(served["web"], work["web"].Dir())
	gh.FailClone("acme/docs", 500)
	work["docs"].CommitFiles("more docs", map[string]string{"README.md": "# docs\n"})
	gh.Push(served["docs"], work["docs"].Dir())
	crawl()

	out := filepath.Join(dir, "report.html")
	if code, _, stderr := cli(t, "report", "--state", state, "--scope", "org:acme", "--out", out); code != 0 {
		t.Fatalf("scan report: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, s := range raw {
		if strings.Contains(page, s[4:]) {
			t.Errorf("raw secret %.4s… in the page", s)
		}
	}
	for _, want := range []string{"nhiscan crawl report: org:acme", "acme/api", "acme/web", "acme/docs",
		"config/app.env", "deploy.sh", "Trend over 1 stored night (" /* both crawls ran today: one night */, `id="n-new">1<`, `id="n-total">4<`, `data-new="yes"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	screenshot(t, out, "report-org.png")
}

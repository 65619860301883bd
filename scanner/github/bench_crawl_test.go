package github_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakegithub"
)

// TestCrawlBench200 is the org-crawl benchmark of issue 6, not a test: it
// runs only with NHISCAN_BENCH_CRAWL=1 (bench/crawl.sh). It serves 200
// generated repositories (NHISCAN_BENCH_REPOS to change it; each with
// NHISCAN_BENCH_COMMITS commits, default 40, and one secret) from the fake
// GitHub, builds the scan binary, and runs `scan org` twice against the same
// state and cache: the first crawl clones and scans everything, the second
// finds nothing new. It prints wall time, peak RSS of the scan process and
// API requests for both. NHISCAN_BENCH_ARGS adds flags to every run.
func TestCrawlBench200(t *testing.T) {
	if os.Getenv("NHISCAN_BENCH_CRAWL") == "" {
		t.Skip("benchmark: set NHISCAN_BENCH_CRAWL=1 (bench/crawl.sh)")
	}
	repos := envInt("NHISCAN_BENCH_REPOS", 200)
	commits := envInt("NHISCAN_BENCH_COMMITS", 40)
	gh := fakegithub.New(t)
	const tok = "bench-token-not-a-secret"
	gh.RequireToken(tok)
	gen := fixtures.NewGen(1)
	build := time.Now()
	for i := 0; i < repos; i++ {
		src := generatedRepo(t, gen, i, commits)
		gh.Add(fakegithub.Repo{Owner: "bench", Name: fmt.Sprintf("repo-%03d", i)}, src)
	}
	t.Logf("built %d repositories of %d commits in %s", repos, commits, time.Since(build).Round(time.Millisecond))

	bin := filepath.Join(t.TempDir(), "scan")
	if out, err := exec.Command("go", "build", "-o", bin, "nhiscan/cmd/scan").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	run := func(label string, extra ...string) time.Duration {
		before := gh.Stats()
		args := append([]string{"org", "bench", "--api-url", gh.APIURL(), "--state", filepath.Join(dir, "state.db"),
			"--cache-dir", filepath.Join(dir, "cache"), "--progress", "none", "--format", "json", "--report", filepath.Join(dir, label+".json")}, extra...)
		args = append(args, strings.Fields(os.Getenv("NHISCAN_BENCH_ARGS"))...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "GITHUB_TOKEN="+tok, "SSL_CERT_FILE="+gh.CAFile())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
			t.Fatalf("%s: %v\n%s", label, err, stderr.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		after := gh.Stats()
		summary := ""
		for _, l := range strings.Split(stderr.String(), "\n") {
			if strings.HasPrefix(l, "org:bench") {
				summary = l
			}
		}
		t.Logf("%s: wall %s, peak RSS %d MB, API requests %d (%d not modified), git requests %d\n  %s",
			label, wall.Round(time.Millisecond), ru.Maxrss/1024, after.API-before.API, after.NotModified-before.NotModified,
			after.Git-before.Git, summary)
		return wall
	}
	first := run("first")
	// The next night: nobody pushed since (the last pushes were an hour
	// before the first crawl), so pushed_at is older than every scan.
	for i := 0; i < repos; i++ {
		gh.SetPushedAt(fmt.Sprintf("bench/repo-%03d", i), time.Now().Add(-time.Hour))
	}
	second := run("second")
	t.Logf("second / first = %.1f %%", 100*second.Seconds()/first.Seconds())
	// The same night without trusting pushed_at: one ref listing each.
	third := run("second-ask-every-repo", "--skip-unpushed=false")
	t.Logf("second with --skip-unpushed=false / first = %.1f %%", 100*third.Seconds()/first.Seconds())
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err == nil && v > 0 {
		return v
	}
	return def
}

// generatedRepo writes a repository of n commits (source-like files edited
// over time, one secret added halfway) with one git fast-import.
func generatedRepo(t *testing.T, gen *fixtures.Gen, idx, n int) string {
	dir := t.TempDir()
	env := fixtures.HermeticGitEnv(t.TempDir(), fixtures.AuthorName, fixtures.AuthorEmail, fixtures.CommitterName, fixtures.CommitterEmail)
	gitRun := func(stdin []byte, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun(nil, "init", "-q", "-b", "main")
	var s bytes.Buffer
	when := fixtures.BaseTime.Unix()
	for c := 1; c <= n; c++ {
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter %s <%s> %d +0000\n", c, fixtures.CommitterName, fixtures.CommitterEmail, when+int64(c)*60)
		msg := fmt.Sprintf("change %d", c)
		fmt.Fprintf(&s, "data %d\n%s\n", len(msg), msg)
		if c > 1 {
			fmt.Fprintf(&s, "from :%d\n", c-1)
		}
		for f := 0; f < 3; f++ {
			var body strings.Builder
			fmt.Fprintf(&body, "package svc%d\n\n", idx)
			for l := 0; l < 60; l++ {
				fmt.Fprintf(&body, "func handler%d_%d(x int) int { return x*%d + %d } // rev %d\n", f, l, l+1, c, (c+l)%7)
			}
			if f == 0 && c == n/2 {
				fmt.Fprintf(&body, "const apiKey = %q\n", gen.StripeSecretKey())
			}
			content := body.String()
			fmt.Fprintf(&s, "M 100644 inline src/file%d_%d.go\ndata %d\n%s\n", f, c%10, len(content), content)
		}
	}
	gitRun(s.Bytes(), "fast-import", "--quiet")
	return dir
}

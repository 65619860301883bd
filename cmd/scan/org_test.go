package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/fixtures/fakegithub"
	"nhiscan/internal/store"
)

func TestRunOrg(t *testing.T) {
	const token = "org-test-token-not-a-secret"
	gh := fakegithub.New(t)
	gh.RequireToken(token)
	gen := fixtures.NewGen(9)
	work := map[string]*fixtures.Repo{}
	served := map[string]*fakegithub.Repo{}
	secrets := map[string]string{}
	for _, name := range []string{"api", "web"} {
		w := fixtures.NewRepo(t)
		secrets[name] = gen.GitHubToken("ghp_")
		w.CommitFiles("init", map[string]string{"app.env": "GITHUB_TOKEN=" + secrets[name] + "\n"})
		work[name] = w
		served[name] = gh.Add(fakegithub.Repo{Owner: "acme", Name: name}, w.Dir())
	}
	t.Setenv("GITHUB_TOKEN", token)
	dir := t.TempDir()
	args := func(extra ...string) []string {
		return append([]string{"org", "acme", "--api-url", gh.APIURL(), "--state", filepath.Join(dir, "state.db"),
			"--cache-dir", filepath.Join(dir, "cache"), "--progress", "lines", "--format", "json"}, extra...)
	}
	fp := func(secret string) string { return testFP(secret) }

	code, out, errOut := cli(t, args("--verbose")...) // logs too: never a secret in them
	if code != 1 {
		t.Fatalf("first crawl: exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "repository scanned") {
		t.Errorf("--verbose logged no repository:\n%s", errOut)
	}
	for name, s := range secrets {
		if !strings.Contains(out, fp(s)) {
			t.Errorf("secret of %s not in the report", name)
		}
		if strings.Contains(out+errOut, s) {
			t.Errorf("raw secret of %s printed", name)
		}
	}
	if !strings.Contains(errOut, "org:acme: 2 repositories (2 scanned, 0 unchanged, 0 failed, 0 gone); 2 findings, 2 new secrets") {
		t.Errorf("summary line missing:\n%s", errOut)
	}

	code, out, errOut = cli(t, args("--since-last-run")...)
	if code != 0 || strings.Contains(out, "ghp_") {
		t.Fatalf("nothing new: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "(0 scanned, 2 unchanged") {
		t.Errorf("second crawl rescanned:\n%s", errOut)
	}

	fresh := gen.GitHubToken("ghp_")
	work["web"].CommitFiles("more", map[string]string{"deploy.sh": "export GH_TOKEN=" + fresh + "\n"})
	gh.Push(served["web"], work["web"].Dir())
	code, out, errOut = cli(t, args("--since-last-run")...)
	if code != 1 || !strings.Contains(out, fp(fresh)) || strings.Contains(out, fp(secrets["api"])) || strings.Contains(out, fp(secrets["web"])) {
		t.Fatalf("new commit: exit %d, want only the new secret:\n%s\n%s", code, out, errOut)
	}

	// Without --since-last-run: every known secret, paths under OWNER/NAME.
	code, out, errOut = cli(t, append(args(), "--format", "sarif")...)
	if code != 1 {
		t.Fatalf("sarif: exit %d: %s", code, errOut)
	}
	checkSARIF(t, out, errOut)
	for _, s := range []string{fp(fresh), fp(secrets["api"]), fp(secrets["web"])} {
		if !strings.Contains(out, s[:16]) {
			t.Errorf("inventory lacks %s", s)
		}
	}
	for _, p := range []string{`"acme/api/app.env"`, `"acme/web/app.env"`, `"acme/web/deploy.sh"`} {
		if !strings.Contains(out, p) {
			t.Errorf("inventory lacks location %s", p)
		}
	}
	code, out, _ = cli(t, "org", "--help")
	if code != 0 || !strings.Contains(out, "Example") || !strings.Contains(out, "--since-last-run") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}

	code, _, errOut = cli(t, "org", "--state", filepath.Join(dir, "state.db"))
	if code != 2 || !strings.Contains(errOut, "name an organisation") {
		t.Fatalf("no target: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, args("--shard", "2/2")...)
	if code != 2 || !strings.Contains(errOut, "--shard") {
		t.Fatalf("bad shard: exit %d: %s", code, errOut)
	}
}

// TestRunOrgKilledAndResumed kills `scan org` (SIGKILL, no chance to clean
// up) in the middle of a repository and runs it again: the run is resumed,
// the repositories finished before the kill are not scanned again, and no
// secret is lost.
func TestRunOrgKilledAndResumed(t *testing.T) {
	bin := buildScan(t)
	isolateGitConfig(t)
	const token = "org-kill-token-not-a-secret"
	gh := fakegithub.New(t)
	gh.RequireToken(token)
	gen := fixtures.NewGen(11)
	names := []string{"a1", "a2", "a3", "a4", "a5"}
	for _, name := range names {
		w := fixtures.NewRepo(t)
		w.CommitFiles("init", map[string]string{"app.env": "GITHUB_TOKEN=" + gen.GitHubToken("ghp_") + "\n"})
		gh.Add(fakegithub.Repo{Owner: "acme", Name: name}, w.Dir())
	}
	dir := t.TempDir()
	args := []string{"org", "acme", "--api-url", gh.APIURL(), "--state", filepath.Join(dir, "state.db"),
		"--cache-dir", filepath.Join(dir, "cache"), "--progress", "lines", "--concurrency", "1", "--check-concurrency", "1", "--format", "json"}
	arrived, release := gh.Hold("acme/a3")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN="+token)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the crawl never reached acme/a3:\n%s", stderr.String())
	}
	cmd.Process.Kill()
	cmd.Wait()
	release()
	if !strings.Contains(stderr.String(), "[2/5] acme/a2 scanned") {
		t.Fatalf("before the kill:\n%s", stderr.String())
	}

	t.Setenv("GITHUB_TOKEN", token)
	code, out, errOut := cli(t, append(args, "--since-last-run")...)
	if code != 1 {
		t.Fatalf("resume: exit %d\n%s\n--- before the kill:\n%s", code, errOut, stderr.String())
	}
	if !strings.Contains(errOut, "5 repositories (3 scanned, 2 unchanged, 0 failed, 0 gone); 3 findings, 5 new secrets") {
		t.Fatalf("resume did not pick up where the kill left:\n%s", errOut)
	}
	var rep struct {
		Findings []struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if len(rep.Findings) != 5 {
		t.Fatalf("since-last-run report of the resumed run has %d secrets, want all 5", len(rep.Findings))
	}
}

// TestRunOrgVerifyReverify: --verify records the provider's answer in the
// store; --reverify re-checks known secrets every crawl (re-read from the
// mirror), so a revoked one turns dead and one live again is reported by
// --since-last-run with no new commit.
func TestRunOrgVerifyReverify(t *testing.T) {
	srv := withFakes(t)
	const token = "org-verify-token-not-a-secret"
	gh := fakegithub.New(t)
	gh.RequireToken(token)
	gen := fixtures.NewGen(13)
	leaked := gen.GitHubToken("ghp_")
	srv.AddLive("github", leaked, fakeapi.Account{Login: "deploy-bot", Scopes: []string{"repo"}})
	w := fixtures.NewRepo(t)
	w.CommitFiles("init", map[string]string{"app.env": "GITHUB_TOKEN=" + leaked + "\n"})
	gh.Add(fakegithub.Repo{Owner: "acme", Name: "api"}, w.Dir())
	t.Setenv("GITHUB_TOKEN", token)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	args := func(extra ...string) []string {
		return append([]string{"org", "acme", "--api-url", gh.APIURL(), "--state", state, "--cache-dir", filepath.Join(dir, "cache"),
			"--progress", "none", "--format", "json", "--verify"}, extra...)
	}
	fp := testFP(leaked)
	status := func() string {
		st, err := store.Open(context.Background(), state)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s, err := st.Secret(context.Background(), fp)
		if err != nil {
			t.Fatal(err)
		}
		return s.Status
	}
	if code, out, errOut := cli(t, args()...); code != 1 || !strings.Contains(out, `"status": "live"`) {
		t.Fatalf("first crawl: exit %d\n%s\n%s", code, out, errOut)
	}
	if st := status(); st != store.StatusLive {
		t.Fatalf("stored status %q, want live", st)
	}
	srv.Revoke(leaked)
	if code, out, errOut := cli(t, args("--reverify", "--since-last-run")...); code != 0 || strings.Contains(out, fp) {
		t.Fatalf("after revocation: exit %d\n%s\n%s", code, out, errOut)
	}
	if st := status(); st != store.StatusDead {
		t.Fatalf("stored status %q, want dead", st)
	}
	srv.AddLive("github", leaked, fakeapi.Account{Login: "deploy-bot", Scopes: []string{"repo"}})
	code, out, errOut := cli(t, args("--reverify", "--since-last-run")...)
	if code != 1 || !strings.Contains(out, fp) || !strings.Contains(errOut, "1 live again") {
		t.Fatalf("live again: exit %d\n%s\n%s", code, out, errOut)
	}
	// --remediate plan: the plan goes to stderr, actions to the crawl's store.
	code, _, errOut = cli(t, args("--remediate", "plan", "--remediate-audit", filepath.Join(dir, "audit.jsonl"))...)
	if !strings.Contains(errOut, "remediation plan") {
		t.Fatalf("--remediate plan: exit %d\n%s", code, errOut)
	}
	func() {
		st, err := store.Open(context.Background(), state)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if acts, err := st.Actions(context.Background(), fp); err != nil || len(acts) == 0 {
			t.Errorf("planned actions not in the crawl's store: %+v, %v\n%s", acts, err, errOut)
		}
	}()
	if code, _, errOut := cli(t, "org", "acme", "--reverify", "--state", state); code != 2 || !strings.Contains(errOut, "--reverify needs --verify") {
		t.Fatalf("--reverify alone: exit %d: %s", code, errOut)
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/internal/store"
)

// secretRepo is a repository holding a GitHub token (committed and staged)
// and an RSA private key, for the tests that look for raw secrets in output.
type secretRepo struct {
	dir     string
	secrets []string // every raw secret, and the key's body lines
}

func newSecretRepo(t *testing.T) secretRepo {
	t.Helper()
	g := fixtures.NewGen(41)
	r := fixtures.NewRepo(t)
	tok, key := g.GitHubToken("ghp_"), g.RSAPrivateKeyPEM()
	r.CommitFiles("config", map[string]string{"config/app.env": "GITHUB_TOKEN=" + tok + "\n", "deploy/id_rsa": key})
	staged := g.GitHubToken("ghp_")
	r.Stage("staged.env", "GH_TOKEN="+staged+"\n")
	sr := secretRepo{dir: r.Dir(), secrets: []string{tok, staged}}
	for _, l := range strings.Split(key, "\n") {
		if len(l) > 40 && !strings.HasPrefix(l, "-----") {
			sr.secrets = append(sr.secrets, l) // any line of the key's body
		}
	}
	return sr
}

func (sr secretRepo) leaked(s string) string {
	for _, x := range sr.secrets {
		if strings.Contains(s, x) {
			return x[:8] + "…"
		}
	}
	return ""
}

// TestReportKeepsSecretsOffTerminals: with --report (even with
// --show-secrets), stdout and stderr never carry a raw secret, for every
// scan command and every format; the report file does (when asked).
func TestReportKeepsSecretsOffTerminals(t *testing.T) {
	sr := newSecretRepo(t)
	out := t.TempDir()
	// A raw report for verify and remediate to read.
	raw := filepath.Join(out, "raw.json")
	if code, _, errOut := cli(t, "git", sr.dir, "--show-secrets", "--format", "json", "--report", raw); code != 1 {
		t.Fatalf("raw report: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(raw); sr.leaked(string(b)) == "" {
		t.Fatal("the raw report holds no raw secret: the test would prove nothing")
	}
	commands := map[string][]string{
		"git":    {"git", sr.dir},
		"dir":    {"dir", sr.dir},
		"staged": {"staged", "--repo", sr.dir},
		"verify": {"verify", raw, "--verify-max-requests", "1", "--verify-timeout", "1ms"},
	}
	for name, base := range commands {
		for _, format := range []string{"text", "json", "jsonl", "sarif", "csv", "html"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				p := filepath.Join(out, name+"."+format)
				args := append(append([]string{}, base...), "--format", format, "--report", p, "--show-secrets")
				code, stdout, stderr := cli(t, args...)
				if code != 0 && code != 1 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if s := sr.leaked(stdout + stderr); s != "" {
					t.Errorf("a raw secret (%s) reached stdout/stderr:\nstdout %q\nstderr %q", s, stdout, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout with --report: %q", stdout)
				}
				if !strings.Contains(stderr, "written to") {
					t.Errorf("stderr lacks the summary: %q", stderr)
				}
			})
		}
	}
	t.Run("remediate", func(t *testing.T) {
		p := filepath.Join(out, "plan.txt")
		code, stdout, stderr := cli(t, "remediate", raw, "--report", p)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if s := sr.leaked(stdout + stderr); s != "" {
			t.Errorf("a raw secret (%s) reached stdout/stderr", s)
		}
		if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), "remediation plan") {
			t.Errorf("plan file: %v %q", err, b)
		}
	})
}

// TestValidateBeforeWork: a bad flag value, a missing input file or an
// unwritable report folder fails with exit 2 before anything is scanned or
// printed.
func TestValidateBeforeWork(t *testing.T) {
	isolateGitConfig(t)
	lr := newLeakyRepo(t, 5)
	empty := fixtures.NewRepo(t) // no commits
	tmp := t.TempDir()
	readme := filepath.Join(lr.dir, "README.md")
	state := filepath.Join(tmp, "state.db")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown --remediate, no commits", []string{"git", empty.Dir(), "--remediate", "bogus"}, `--remediate "bogus": want plan or apply`},
		{"unknown --remediate", []string{"git", lr.dir, "--remediate", "bogus"}, `want plan or apply`},
		{"missing remediation policy", []string{"git", lr.dir, "--remediate", "plan", "--remediate-policy", "/nonexistent/policy.toml"}, "/nonexistent/policy.toml"},
		{"remediate apply with the plan-only policy", []string{"git", lr.dir, "--remediate", "apply"}, `mode = "apply"`},
		{"report into a missing folder", []string{"git", lr.dir, "--report", "/nonexistent/dir/x.json"}, "/nonexistent/dir/x.json"},
		{"report onto a folder", []string{"git", lr.dir, "--report", tmp}, "is a folder"},
		{"missing baseline", []string{"git", lr.dir, "--baseline", filepath.Join(tmp, "none.json")}, "--baseline"},
		{"a file is not a repository", []string{"git", readme}, "is not a git repository (use `scan dir` for files)"},
		{"a plain folder is not a repository", []string{"git", tmp}, "is not a git repository (use `scan dir` for files)"},
		{"staged in a plain folder", []string{"staged", "--repo", tmp}, "is not a git repository (use `scan dir` for files)"},
		{"bad --progress", []string{"git", lr.dir, "--progress", "fancy"}, `--progress "fancy"`},
		{"bad --redact", []string{"git", lr.dir, "--redact=150"}, "--redact"},
		{"redact and show-secrets", []string{"git", lr.dir, "--redact", "--show-secrets"}, "contradict"},
		{"org: bad --visibility", []string{"org", "acme", "--visibility", "secret", "--state", state}, `--visibility "secret"`},
		{"org: bad --repository", []string{"org", "--repository", "notaslug", "--state", state}, `want OWNER/NAME`},
		{"org: the old --repo spelling still checked", []string{"org", "--repo", "notaslug", "--state", state}, `want OWNER/NAME`},
		{"org: bad --progress", []string{"org", "acme", "--progress", "fancy", "--state", state}, `--progress "fancy"`},
		{"remediate: bad format", []string{"remediate", readme, "--format", "sarif"}, "text or json"},
		{"remediate: missing policy before reading the report", []string{"remediate", filepath.Join(tmp, "none.json"), "--policy", "/nonexistent/p.toml"}, "/nonexistent/p.toml"},
		{"rules list: bad format", []string{"rules", "list", "--format", "sarif"}, "text, json or csv"},
		{"report: bad format", []string{"report", "--format", "pdf"}, "html or json"},
		{"verify: empty report", []string{"verify", emptyFile(t)}, "is empty (0 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if stdout != "" {
				t.Errorf("work was done before the error: stdout %q", stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
			if strings.Count(stderr, "\n") > 2 {
				t.Errorf("more than the error on stderr: %q", stderr)
			}
		})
	}
	if _, err := os.Stat(state); err == nil {
		t.Error("scan org opened (created) the store before rejecting its flags")
	}
}

func emptyFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFlagVocabulary: scan flags only in the help of scan commands; one
// output vocabulary (--format, --report) with the old and gitleaks' names as
// hidden aliases.
func TestFlagVocabulary(t *testing.T) {
	scanOnly := []string{"--max-target-megabytes", "--baseline", "--scan-binary", "--workers", "--remediate-policy"}
	for _, c := range [][]string{{"version"}, {"rules", "list"}, {"rules", "test"}, {"install-hook"}, {"report"}, {"remediate"}} {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			code, out, _ := cli(t, append(c, "--help")...)
			if code != 0 {
				t.Fatalf("help: exit %d", code)
			}
			for _, f := range scanOnly {
				if strings.Contains(out, f) {
					t.Errorf("help of %v lists the scan flag %s", c, f)
				}
			}
		})
	}
	for _, c := range []string{"git", "dir", "staged", "org", "action"} {
		t.Run(c, func(t *testing.T) {
			_, out, _ := cli(t, c, "--help")
			for _, f := range []string{"--format", "--report", "--baseline", "--progress"} {
				if !strings.Contains(out, f) {
					t.Errorf("help of %s lacks %s", c, f)
				}
			}
			for _, hidden := range []string{"--report-path", "--report-format", "--baseline-path", "--redact"} {
				if strings.Contains(out, hidden+" ") {
					t.Errorf("help of %s shows the alias %s", c, hidden)
				}
			}
		})
	}
	for _, c := range []string{"remediate", "report", "rules list", "verify"} {
		t.Run(c+" speaks --format and --report", func(t *testing.T) {
			_, out, _ := cli(t, append(strings.Fields(c), "--help")...)
			if !strings.Contains(out, "--format") || !strings.Contains(out, "--report") && c != "rules list" {
				t.Errorf("help of %s: %s", c, out)
			}
		})
	}
}

// TestGitleaksAliases: gitleaks' flag names work as they do there.
func TestGitleaksAliases(t *testing.T) {
	lr := newLeakyRepo(t, 6)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	code, _, stderr := cli(t, "git", lr.dir, "--report-path", base, "--report-format", "json", "--redact")
	if code != 1 {
		t.Fatalf("gitleaks names: exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []json.RawMessage `json:"findings"`
	}
	b, err := os.ReadFile(base)
	if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Findings) == 0 {
		t.Fatalf("--report-path/--report-format wrote %v %q", err, b)
	}
	if strings.Contains(string(b), lr.token) {
		t.Error("--redact report holds the raw secret")
	}
	code, out, stderr := cli(t, "git", lr.dir, "--baseline-path", base, "--redact=100")
	if code != 0 {
		t.Fatalf("--baseline-path: exit %d: %s %s", code, out, stderr)
	}
	if !strings.Contains(out, "suppressed: 2 secrets in the baseline") {
		t.Errorf("baseline suppression not reported:\n%s", out)
	}
	t.Run("deprecated names", func(t *testing.T) {
		raw := filepath.Join(dir, "raw.json")
		if code, _, e := cli(t, "git", lr.dir, "--format", "json", "--report", raw, "--show-secrets"); code != 1 {
			t.Fatalf("exit %d: %s", code, e)
		}
		code, out, stderr := cli(t, "remediate", raw, "--output", "json")
		if code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("remediate --output json: exit %d, %q, %q", code, out, stderr)
		}
		if !strings.Contains(stderr, "deprecated") {
			t.Errorf("no deprecation note: %q", stderr)
		}
		code, out, stderr = cli(t, "remediate", raw, "--format", "json")
		if code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("remediate --format json: exit %d, %q, %q", code, out, stderr)
		}
	})
}

func TestVersion(t *testing.T) {
	_, a, _ := cli(t, "version")
	_, b, _ := cli(t, "--version")
	if a != b || !strings.HasPrefix(a, "nhiscan ") || !strings.Contains(a, "go1.") {
		t.Errorf("version %q, --version %q", a, b)
	}
	bin := buildScan(t)
	out, err := execOut(bin, "version")
	if err != nil || !strings.Contains(out, "nhiscan/cmd/scan") && !strings.Contains(out, "nhiscan") {
		t.Errorf("built binary: %v %q", err, out)
	}
}

// TestStagedQuiet: a clean commit prints nothing; a staged secret is
// labelled staged, not "in HEAD".
func TestStagedQuiet(t *testing.T) {
	clean := fixtures.NewRepo(t)
	clean.Stage("main.go", "package main\n")
	code, out, errOut := cli(t, "staged", "--repo", clean.Dir())
	if code != 0 || out != "" || errOut != "" {
		t.Errorf("clean commit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	leaky := fixtures.NewRepo(t) // before the first commit
	leaky.Stage("app.env", "GITHUB_TOKEN="+fixtures.NewGen(8).GitHubToken("ghp_")+"\n")
	code, out, _ = cli(t, "staged", "--repo", leaky.Dir())
	if code != 1 || strings.Contains(out, "in HEAD") || !strings.Contains(out, "staged") {
		t.Errorf("staged finding: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "blobs") || strings.Contains(out, "missing objects") {
		t.Errorf("staged output speaks of blobs:\n%s", out)
	}
}

// TestSuppressionsVisible: what .gitleaksignore, gitleaks:allow and a
// baseline hide is counted in the summary, and named with -v.
func TestSuppressionsVisible(t *testing.T) {
	g := fixtures.NewGen(9)
	r := fixtures.NewRepo(t)
	ignored := g.GitHubToken("ghp_")
	r.CommitFiles("c", map[string]string{
		"a.env":           "GITHUB_TOKEN=" + ignored + "\n",
		"b.env":           "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + " # gitleaks:allow\n",
		"c.env":           "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n",
		".gitleaksignore": "a.env:github-pat:1\n",
	})
	code, out, _ := cli(t, "dir", r.Dir())
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"suppressed:", "1 location in .gitleaksignore", "1 match marked gitleaks:allow", "(-v lists them)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = cli(t, "dir", r.Dir(), "-v")
	for _, want := range []string{"a.env:1 github-pat (.gitleaksignore)", "b.env:1 ", "(gitleaks:allow)"} {
		if !strings.Contains(out, want) {
			t.Errorf("-v lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, ignored) {
		t.Error("a suppressed secret was printed")
	}
}

// TestTextSummary: a summary by severity and rule closes the text report,
// and each rule's what:/fix: text is printed once.
func TestTextSummary(t *testing.T) {
	g := fixtures.NewGen(10)
	r := fixtures.NewRepo(t)
	files := map[string]string{}
	for i := range 5 {
		files[filepath.Join("env", string(rune('a'+i))+".env")] = "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"
	}
	r.CommitFiles("c", files)
	_, out, _ := cli(t, "git", r.Dir())
	if n := strings.Count(out, "    fix: "); n != 1 {
		t.Errorf("fix: printed %d times for one rule:\n%s", n, out)
	}
	for _, want := range []string{"by severity: 5 ", "by rule:", "github-pat"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "by rule:"), strings.LastIndex(out, "fingerprint "); i < j {
		t.Error("the summary is not at the end")
	}
}

// TestDirDefaultsToHere: scan dir with no PATH scans the current folder,
// in the words of files (not blobs or objects).
func TestDirDefaultsToHere(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prod.env"), []byte("GITHUB_TOKEN="+fixtures.NewGen(11).GitHubToken("ghp_")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, _ := cli(t, "dir")
	if code != 1 || !strings.Contains(out, "prod.env:1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "blob") || strings.Contains(out, "missing objects") || !strings.Contains(out, "in 1 file; scanned 1 file") {
		t.Errorf("dir output speaks of blobs:\n%s", out)
	}
}

// TestReportCommandFormats: scan report renders an earlier JSON report as
// HTML (--from), writes JSON, and says when a crawl never finished.
func TestReportCommandFormats(t *testing.T) {
	lr := newLeakyRepo(t, 12)
	dir := t.TempDir()
	js := filepath.Join(dir, "scan.json")
	if code, _, e := cli(t, "git", lr.dir, "--format", "json", "--report", js, "--show-secrets"); code != 1 {
		t.Fatalf("exit %d: %s", code, e)
	}
	page := filepath.Join(dir, "scan.html")
	code, out, errOut := cli(t, "report", "--from", js, "--report", page, "--title", "acme/app")
	if code != 0 || out != "" {
		t.Fatalf("report --from: exit %d, %q %q", code, out, errOut)
	}
	b, _ := os.ReadFile(page)
	for _, want := range []string{"<html", "acme/app", "Generated "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(string(b), lr.token) {
		t.Error("the page holds a raw secret")
	}
	code, out, _ = cli(t, "report", "--from", js, "--format", "json")
	if code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("report --format json: exit %d", code)
	}
}

// TestSingleScanHTMLNamesTheScan: the HTML of one scan names the
// repository, the date and the version.
func TestSingleScanHTMLNamesTheScan(t *testing.T) {
	lr := newLeakyRepo(t, 13)
	_, out, _ := cli(t, "git", lr.dir, "--format", "html")
	for _, want := range []string{"nhiscan report: " + filepath.Base(lr.dir), "Generated ", "by nhiscan "} {
		if !strings.Contains(out, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

// TestSmallThings: the smaller habits of a seasoned CLI.
func TestSmallThings(t *testing.T) {
	isolateGitConfig(t)
	t.Run("one log style", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		r.CommitFiles("big", map[string]string{"big.txt": strings.Repeat("x", 2_000_001), "a.env": "GITHUB_TOKEN=" + fixtures.NewGen(61).GitHubToken("ghp_") + "\n"})
		_, _, stderr := cli(t, "dir", r.Dir(), "--max-target-megabytes", "1", "-v")
		if strings.Contains(stderr, "level=") || strings.Contains(stderr, "time=") {
			t.Errorf("slog's key=value style on stderr: %q", stderr)
		}
		if !strings.Contains(stderr, "info: file larger than the size limit skipped") || !strings.Contains(stderr, "path=big.txt") {
			t.Errorf("-v does not name the skipped large file: %q", stderr)
		}
	})
	t.Run("a plan writes no audit file into the working folder", func(t *testing.T) {
		lr := newLeakyRepo(t, 62)
		t.Chdir(t.TempDir())
		raw := "raw.json"
		if code, _, e := cli(t, "git", lr.dir, "--format", "json", "--report", raw, "--show-secrets"); code != 1 {
			t.Fatalf("exit %d: %s", code, e)
		}
		if code, _, e := cli(t, "remediate", raw); code != 0 {
			t.Fatalf("plan: exit %d: %s", code, e)
		}
		if code, _, e := cli(t, "git", lr.dir, "--remediate", "plan"); code != 1 {
			t.Fatalf("scan --remediate plan: exit %d: %s", code, e)
		}
		if _, err := os.Stat(defaultAudit); err == nil {
			t.Error("plan mode wrote " + defaultAudit)
		}
	})
	t.Run("a crawl that never finished is not 'no secrets'", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state.db")
		st, err := store.Open(context.Background(), state)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.BeginRun(context.Background(), "org:acme", time.Now()); err != nil {
			t.Fatal(err)
		}
		st.Close()
		code, out, stderr := cli(t, "report", "--state", state)
		if code != 2 || out != "" || !strings.Contains(stderr, "did not finish") {
			t.Errorf("exit %d, stdout %d bytes, stderr %q", code, len(out), stderr)
		}
	})
	t.Run("a file that is a secret as a whole", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		r.CommitFiles("key", map[string]string{"config/master.key": "0123456789abcdef0123456789abcdef\n"})
		_, out, _ := cli(t, "git", r.Dir())
		if !strings.Contains(out, "(the whole file)") || strings.Contains(out, "master.key:0:0") {
			t.Errorf("master.key finding:\n%s", out)
		}
	})
	t.Run("blocked reasons are printed once", func(t *testing.T) {
		g := fixtures.NewGen(63)
		r := fixtures.NewRepo(t)
		r.CommitFiles("c", map[string]string{"a.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\nGH_TOKEN=" + g.GitHubToken("ghp_") + "\nTOKEN3=" + g.GitHubToken("ghp_") + "\n"})
		raw := filepath.Join(t.TempDir(), "raw.json")
		if code, _, e := cli(t, "git", r.Dir(), "--format", "json", "--report", raw); code != 1 {
			t.Fatalf("exit %d: %s", code, e)
		}
		// unknown secrets get a ticket, and no tracker is configured
		fs, err := readReport(raw)
		if err != nil {
			t.Fatal(err)
		}
		for i := range fs {
			fs[i].Verification = &finding.Verification{Status: finding.StatusUnknown, Reason: "timeout"}
		}
		b, _ := json.Marshal(map[string]any{"findings": jsonFindings(t, fs)})
		if err := os.WriteFile(raw, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, out, _ := cli(t, "remediate", raw)
		if n := strings.Count(out, "blocked: see [1] below"); n != 3 || strings.Count(out, "no ticket system") != 1 || !strings.Contains(out, "(3 steps)") {
			t.Errorf("the blocked reason is not printed once for 3 steps:\n%s", out)
		}
	})
}

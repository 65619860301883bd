package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"nhiscan/fixtures"
)

// cli runs the command in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// leakyRepo is a repository with one GitHub token committed in config/app.env
// (line 2) and a later commit without secrets.
type leakyRepo struct {
	dir, token, first, second string
	secondToken               string
}

func newLeakyRepo(t *testing.T, seed uint64) leakyRepo {
	t.Helper()
	g := fixtures.NewGen(seed)
	r := fixtures.NewRepo(t)
	lr := leakyRepo{dir: r.Dir(), token: g.GitHubToken("ghp_"), secondToken: g.GitHubToken("ghp_")}
	lr.first = r.CommitFiles("add config", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + lr.token + "\n", "README.md": "# app\n"})
	lr.second = r.CommitFiles("second token", map[string]string{"deploy.sh": "export GH_TOKEN=" + lr.secondToken + "\n"})
	return lr
}

func TestRunVersion(t *testing.T) {
	code, out, errOut := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "nhiscan ") || errOut != "" {
		t.Fatalf("version: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestRunGit(t *testing.T) {
	lr := newLeakyRepo(t, 1)
	clean := fixtures.NewRepo(t)
	clean.CommitFiles("clean", map[string]string{"main.go": "package main\n"})
	badConfig := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(badConfig, []byte("[[rules]]\nid = \"broken-rule\"\nregex = \"(\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []string{lr.token, lr.secondToken}

	noSecret := func(t *testing.T, out, errOut string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(errOut, s) {
				t.Errorf("raw secret printed")
			}
		}
	}
	type check func(t *testing.T, out, errOut string)
	cases := []struct {
		name   string
		args   []string
		code   int
		checks []check
	}{
		{
			name: "findings exit 1 and stay redacted", args: []string{"git", lr.dir}, code: 1,
			checks: []check{noSecret, func(t *testing.T, out, _ string) {
				if !strings.Contains(out, "github-pat") || !strings.Contains(out, "config/app.env") || !strings.Contains(out, "ghp_") {
					t.Errorf("text report lacks the finding:\n%s", out)
				}
			}},
		},
		{
			name: "show secrets", args: []string{"git", lr.dir, "--show-secrets"}, code: 1,
			checks: []check{func(t *testing.T, out, _ string) {
				if !strings.Contains(out, lr.token) {
					t.Errorf("--show-secrets did not print the secret")
				}
			}},
		},
		{name: "custom exit code", args: []string{"git", lr.dir, "--exit-code", "7"}, code: 7, checks: []check{noSecret}},
		{name: "exit code 0 with findings", args: []string{"git", lr.dir, "--exit-code", "0"}, code: 0},
		{name: "clean repository", args: []string{"git", clean.Dir()}, code: 0, checks: []check{func(t *testing.T, out, _ string) {
			if !strings.Contains(out, "No secrets found") {
				t.Errorf("clean report:\n%s", out)
			}
		}}},
		{name: "clean repository, quiet", args: []string{"git", clean.Dir(), "-q"}, code: 0, checks: []check{func(t *testing.T, out, errOut string) {
			if out != "" || errOut != "" {
				t.Errorf("quiet clean run printed %q / %q", out, errOut)
			}
		}}},
		{
			name: "json", args: []string{"git", lr.dir, "--format", "json"}, code: 1,
			checks: []check{noSecret, func(t *testing.T, out, _ string) {
				var rep struct {
					Tool     string `json:"tool"`
					Findings []struct {
						Fingerprint string `json:"fingerprint"`
						RuleID      string `json:"rule_id"`
						Secret      string `json:"secret"`
						Locations   []struct {
							Path   string `json:"path"`
							Line   int    `json:"line"`
							Commit string `json:"commit"`
						} `json:"locations"`
					} `json:"findings"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatalf("json: %v\n%s", err, out)
				}
				if rep.Tool != "nhiscan" || len(rep.Findings) != 2 {
					t.Fatalf("json report: %+v", rep)
				}
				found := false
				for _, f := range rep.Findings {
					for _, l := range f.Locations {
						if f.RuleID == "github-pat" && l.Path == "config/app.env" && l.Line == 2 && l.Commit == lr.first {
							found = true
						}
					}
					if len(f.Fingerprint) != 32 {
						t.Errorf("fingerprint %q", f.Fingerprint)
					}
				}
				if !found {
					t.Errorf("json report lacks config/app.env:2 at the first commit: %+v", rep)
				}
			}},
		},
		{
			name: "jsonl", args: []string{"git", lr.dir, "--format", "jsonl"}, code: 1,
			checks: []check{noSecret, func(t *testing.T, out, _ string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != 2 {
					t.Fatalf("%d jsonl lines, want 2:\n%s", len(lines), out)
				}
				for _, l := range lines {
					var f map[string]any
					if err := json.Unmarshal([]byte(l), &f); err != nil || f["rule_id"] != "github-pat" {
						t.Errorf("jsonl line %q: %v", l, err)
					}
				}
			}},
		},
		{
			name: "sarif", args: []string{"git", lr.dir, "--format", "sarif"}, code: 1,
			checks: []check{noSecret, checkSARIF},
		},
		{
			name: "sarif never holds secrets", args: []string{"git", lr.dir, "--format", "sarif", "--show-secrets"}, code: 1,
			checks: []check{noSecret, checkSARIF},
		},
		{
			name: "csv", args: []string{"git", lr.dir, "--format", "csv"}, code: 1,
			checks: []check{noSecret, func(t *testing.T, out, _ string) {
				recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil {
					t.Fatalf("csv: %v\n%s", err, out)
				}
				if len(recs) != 3 || recs[0][0] != "fingerprint" {
					t.Fatalf("csv: %d records: %q", len(recs), recs)
				}
				for _, r := range recs[1:] {
					if len(r) != len(recs[0]) || r[1] != "github-pat" {
						t.Errorf("csv row %q", r)
					}
				}
			}},
		},
		{name: "format is case-insensitive", args: []string{"git", lr.dir, "--format", "JSON"}, code: 1, checks: []check{noSecret, func(t *testing.T, out, _ string) {
			if !json.Valid([]byte(out)) {
				t.Errorf("not JSON:\n%s", out)
			}
		}}},
		{
			name: "range limits the commits", args: []string{"git", lr.dir, "--range", lr.first + "..HEAD", "--format", "jsonl"}, code: 1,
			checks: []check{func(t *testing.T, out, _ string) {
				if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 1 || !strings.Contains(out, "deploy.sh") {
					t.Errorf("range: want only the second token:\n%s", out)
				}
			}},
		},
		{name: "since-commit", args: []string{"git", lr.dir, "--since-commit", lr.first, "--format", "jsonl"}, code: 1, checks: []check{func(t *testing.T, out, _ string) {
			if strings.Contains(out, "config/app.env") || !strings.Contains(out, "deploy.sh") {
				t.Errorf("since-commit:\n%s", out)
			}
		}}},
		{name: "go-git reader", args: []string{"git", lr.dir, "--go-git"}, code: 1, checks: []check{noSecret}},
		{name: "enable-rule keeps only that rule", args: []string{"git", lr.dir, "--enable-rule", "aws-access-token"}, code: 0},
		{name: "bad config names the rule", args: []string{"git", lr.dir, "--config", badConfig}, code: 2, checks: []check{stderrHas("broken-rule", "regex")}},
		{name: "missing config", args: []string{"git", lr.dir, "--config", filepath.Join(t.TempDir(), "none.toml")}, code: 2, checks: []check{stderrHas("none.toml")}},
		{name: "bad format", args: []string{"git", lr.dir, "--format", "xml"}, code: 2, checks: []check{stderrHas("--format", "xml")}},
		{name: "exit code out of range", args: []string{"git", lr.dir, "--exit-code", "300"}, code: 2, checks: []check{stderrHas("--exit-code")}},
		{name: "negative size limit", args: []string{"git", lr.dir, "--max-target-megabytes", "-1"}, code: 2},
		{name: "unknown rule", args: []string{"git", lr.dir, "--enable-rule", "no-such-rule"}, code: 2, checks: []check{stderrHas("no-such-rule")}},
		{name: "unknown flag", args: []string{"git", lr.dir, "--no-such-flag"}, code: 2},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2},
		{name: "not a repository", args: []string{"git", t.TempDir()}, code: 2, checks: []check{stderrHas("not a git repository")}},
		{name: "range without ..", args: []string{"git", lr.dir, "--range", "main"}, code: 2, checks: []check{stderrHas("--range")}},
		{name: "range with unknown start", args: []string{"git", lr.dir, "--range", "no-such-ref..HEAD"}, code: 2},
		{name: "range with unknown end", args: []string{"git", lr.dir, "--range", "HEAD..no-such-ref"}, code: 2},
		{name: "range without start", args: []string{"git", lr.dir, "--range", "..HEAD"}, code: 2},
		{name: "symmetric range", args: []string{"git", lr.dir, "--range", "main...HEAD"}, code: 2},
		{name: "range looking like an option", args: []string{"git", lr.dir, "--range", "--all..HEAD"}, code: 2},
		{name: "branch looking like an option", args: []string{"git", lr.dir, "--branch", "--output=/tmp/x"}, code: 2},
		{name: "branch and range", args: []string{"git", lr.dir, "--branch", "main", "--range", "a..b"}, code: 2},
		{name: "too many arguments", args: []string{"git", lr.dir, lr.dir}, code: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstderr: %s", code, tc.code, errOut)
			}
			for _, c := range tc.checks {
				c(t, out, errOut)
			}
		})
	}
}

func stderrHas(subs ...string) func(t *testing.T, out, errOut string) {
	return func(t *testing.T, _, errOut string) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(errOut, s) {
				t.Errorf("stderr %q does not mention %q", errOut, s)
			}
		}
	}
}

func checkSARIF(t *testing.T, out, _ string) {
	t.Helper()
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("sarif: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) < 2 {
		t.Fatalf("sarif: %+v", log)
	}
	for _, r := range log.Runs[0].Results {
		if r.RuleID != "github-pat" {
			t.Errorf("sarif result rule %q", r.RuleID)
		}
	}
}

func TestRunReportFile(t *testing.T) {
	lr := newLeakyRepo(t, 2)
	cases := []struct {
		name, format string
		preexisting  bool
		quiet        bool
	}{
		{name: "new json report", format: "json"},
		{name: "existing world-readable file becomes private", format: "sarif", preexisting: true},
		{name: "quiet csv report", format: "csv", quiet: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "report.out")
			if tc.preexisting {
				if err := os.WriteFile(p, []byte(strings.Repeat("old content\n", 1000)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"git", lr.dir, "--format", tc.format, "--report", p}
			if tc.quiet {
				args = append(args, "--quiet")
			}
			code, out, errOut := cli(t, args...)
			if code != 1 {
				t.Fatalf("exit code %d\nstderr: %s", code, errOut)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("report mode %o, want 600", perm)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "old content") || !strings.Contains(string(data), "github-pat") {
				t.Errorf("report content:\n%s", data)
			}
			if strings.Contains(string(data)+out+errOut, lr.token) {
				t.Errorf("raw secret written")
			}
			if out != "" {
				t.Errorf("stdout not empty with --report: %q", out)
			}
			if tc.quiet != (errOut == "") {
				t.Errorf("quiet=%v but stderr %q", tc.quiet, errOut)
			}
		})
	}
	t.Run("refuses a symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		if err := os.WriteFile(target, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link")
		if err := os.Symlink(target, link); err != nil {
			t.Skip(err)
		}
		code, _, errOut := cli(t, "git", lr.dir, "--report", link)
		if code != 2 || !strings.Contains(errOut, "symbolic link") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if data, _ := os.ReadFile(target); string(data) != "keep\n" {
			t.Errorf("wrote through the link")
		}
	})
}

func TestRunBaseline(t *testing.T) {
	lr := newLeakyRepo(t, 3)
	dir := t.TempDir()
	cases := []struct{ name, format string }{{"json baseline", "json"}, {"jsonl baseline", "jsonl"}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join(dir, tc.name)
			if code, _, errOut := cli(t, "git", lr.dir, "--format", tc.format, "--report", base, "-q"); code != 1 {
				t.Fatalf("first run: exit %d: %s", code, errOut)
			}
			code, out, errOut := cli(t, "git", lr.dir, "--baseline", base, "--format", "json")
			if code != 0 {
				t.Fatalf("second run: exit %d: %s", code, errOut)
			}
			var rep struct {
				Findings []json.RawMessage `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Findings) != 0 {
				t.Errorf("second run: %v, %d findings", err, len(rep.Findings))
			}
		})
	}
	t.Run("new secret after the baseline", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		g := fixtures.NewGen(4)
		r.CommitFiles("one", map[string]string{"a.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"})
		base := filepath.Join(dir, "b.json")
		if code, _, _ := cli(t, "git", r.Dir(), "--format", "json", "--report", base, "-q"); code != 1 {
			t.Fatal("first run found nothing")
		}
		r.CommitFiles("two", map[string]string{"b.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"})
		code, out, _ := cli(t, "git", r.Dir(), "--baseline", base, "--format", "jsonl")
		if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "b.env") {
			t.Errorf("exit %d, want only b.env:\n%s", code, out)
		}
	})
	// A gitleaks JSON report of the same history, as `gitleaks git
	// --report-format json` writes it, with and without --redact.
	for _, redacted := range []bool{false, true} {
		name := "gitleaks baseline"
		if redacted {
			name += " (redacted)"
		}
		t.Run(name, func(t *testing.T) {
			if redacted {
			}
			type glFinding struct {
				RuleID, File, Commit, Secret, Match, Fingerprint string
				StartLine, EndLine, StartColumn, EndColumn       int
			}
			gl := []glFinding{
				{RuleID: "github-pat", File: "config/app.env", Commit: lr.first, Secret: lr.token, StartLine: 2, EndLine: 2, StartColumn: 14, EndColumn: 53},
				{RuleID: "github-pat", File: "deploy.sh", Commit: lr.second, Secret: lr.secondToken, StartLine: 1, EndLine: 1, StartColumn: 17, EndColumn: 56},
			}
			for i := range gl {
				gl[i].Fingerprint = gl[i].Commit + ":" + gl[i].File + ":" + gl[i].RuleID + ":" + strconv.Itoa(gl[i].StartLine)
				if redacted {
					gl[i].Secret, gl[i].Match = "REDACTED", "REDACTED"
				}
			}
			data, err := json.Marshal(gl)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(t.TempDir(), "gitleaks.json")
			if err := os.WriteFile(base, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out, errOut := cli(t, "git", lr.dir, "--baseline", base, "--format", "jsonl"); code != 0 {
				t.Errorf("exit %d, want 0 (everything is in the baseline)\n%s%s", code, out, errOut)
			}
		})
	}
	t.Run("bad baseline", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{bad, filepath.Join(dir, "missing.json")} {
			if code, _, errOut := cli(t, "git", lr.dir, "--baseline", p); code != 2 || !strings.Contains(errOut, "--baseline") {
				t.Errorf("%s: exit %d, stderr %q", p, code, errOut)
			}
		}
	})
}

func TestRunIgnoreFile(t *testing.T) {
	lr := newLeakyRepo(t, 5)
	code, out, _ := cli(t, "git", lr.dir, "--format", "jsonl")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var fps []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var f struct {
			Fingerprint string `json:"fingerprint"`
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatal(err)
		}
		fps = append(fps, f.Fingerprint)
	}
	cases := []struct {
		name, content string
		useFlag       bool
		code          int
	}{
		{name: ".gitleaksignore in the repository", content: strings.Join(fps, "\n") + "\n", code: 0},
		{name: "--gitleaks-ignore-path", content: strings.Join(fps, "\n") + "\n", useFlag: true, code: 0},
		{name: "one of two ignored", content: fps[0] + "\n", useFlag: true, code: 1},
		{name: "malformed ignore file", content: "oops\n", useFlag: true, code: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"git", lr.dir}
			if tc.useFlag {
				p := filepath.Join(t.TempDir(), "ignore")
				if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--gitleaks-ignore-path", p)
			} else {
				p := filepath.Join(lr.dir, ".gitleaksignore")
				if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
				defer os.Remove(p)
			}
			if code, _, errOut := cli(t, args...); code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errOut)
			}
		})
	}
}

func TestRunStagedAndDir(t *testing.T) {
	g := fixtures.NewGen(6)
	staged := fixtures.NewRepo(t)
	staged.CommitFiles("base", map[string]string{"README": "x\n"})
	tok := g.GitHubToken("ghp_")
	staged.Stage("app.env", "GITHUB_TOKEN="+tok+"\n")
	cleanStaged := fixtures.NewRepo(t)
	cleanStaged.Stage("main.go", "package main\n")
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "prod.env"), []byte("GITHUB_TOKEN="+tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"staged token", []string{"staged", "--repo", staged.Dir()}, 1},
		{"clean staged change", []string{"staged", "--repo", cleanStaged.Dir()}, 0},
		{"staged outside a repository", []string{"staged", "--repo", t.TempDir()}, 2},
		{"staged takes no arguments", []string{"staged", staged.Dir()}, 2},
		{"dir of a work tree", []string{"dir", staged.Dir()}, 1},
		{"dir of a plain folder", []string{"dir", plain}, 1},
		{"dir of a single file", []string{"dir", filepath.Join(plain, "prod.env")}, 1},
		{"dir of a clean tree", []string{"dir", cleanStaged.Dir()}, 0},
		{"dir of a missing path", []string{"dir", filepath.Join(plain, "nope")}, 2},
		{"dir takes one path", []string{"dir", plain, plain}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if strings.Contains(out+errOut, tok) {
				t.Errorf("raw secret printed")
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	for _, cmd := range []string{"", "git", "dir", "staged", "version"} {
		t.Run("help "+cmd, func(t *testing.T) {
			if cmd == "version" {
			}
			args := []string{"--help"}
			if cmd != "" {
				args = []string{cmd, "--help"}
			}
			code, out, errOut := cli(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "Example") {
				t.Errorf("help has no Example:\n%s", out)
			}
			if !strings.Contains(out, "Usage:") {
				t.Errorf("help has no Usage:\n%s", out)
			}
		})
	}
}

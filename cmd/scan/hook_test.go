package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

func TestInstallHook(t *testing.T) {
	isolateGitConfig(t)
	const bin = "/opt/nhiscan/bin/scan"
	foreign := "#!/bin/sh\necho my own hook\n"
	cases := []struct {
		name     string
		prepare  func(t *testing.T, r *fixtures.Repo) // before installing
		force    bool
		hooksDir string // relative to the work tree; .git/hooks when empty
		status   string
		errSub   string
		content  string // the hook afterwards; hookScript(bin, false) when empty
		backup   string // pre-commit.bak afterwards, when set
	}{
		{name: "fresh repository", status: "installed"},
		{name: "same hook already there", status: "already installed", prepare: func(t *testing.T, r *fixtures.Repo) {
			writeHook(t, filepath.Join(r.Dir(), ".git", "hooks"), hookScript(bin, false))
		}},
		{name: "older nhiscan hook is updated", status: "updated", prepare: func(t *testing.T, r *fixtures.Repo) {
			writeHook(t, filepath.Join(r.Dir(), ".git", "hooks"), hookScript("/old/place/scan", false))
		}},
		{name: "foreign hook is kept", errSub: "--force", content: foreign, prepare: func(t *testing.T, r *fixtures.Repo) {
			writeHook(t, filepath.Join(r.Dir(), ".git", "hooks"), foreign)
		}},
		{name: "foreign hook replaced with --force", force: true, status: "replaced", backup: foreign, prepare: func(t *testing.T, r *fixtures.Repo) {
			writeHook(t, filepath.Join(r.Dir(), ".git", "hooks"), foreign)
		}},
		{name: "core.hooksPath is honored", hooksDir: ".githooks", status: "installed", prepare: func(t *testing.T, r *fixtures.Repo) {
			r.Git("config", "core.hooksPath", ".githooks")
		}},
		{name: "foreign hook in core.hooksPath is kept", hooksDir: "hooks", errSub: "not nhiscan's", content: foreign, prepare: func(t *testing.T, r *fixtures.Repo) {
			r.Git("config", "core.hooksPath", "hooks")
			writeHook(t, filepath.Join(r.Dir(), "hooks"), foreign)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			if tc.prepare != nil {
				tc.prepare(t, r)
			}
			dir := filepath.Join(r.Dir(), ".git", "hooks")
			if tc.hooksDir != "" {
				dir = filepath.Join(r.Dir(), tc.hooksDir)
			}
			hook := filepath.Join(dir, "pre-commit")
			path, status, err := installHook(context.Background(), r.Dir(), bin, tc.force, false)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("error %v, want one containing %q", err, tc.errSub)
				}
			} else {
				if err != nil {
					t.Fatalf("installHook: %v", err)
				}
				if !strings.HasPrefix(status, tc.status) {
					t.Errorf("status %q, want %q", status, tc.status)
				}
				if rp, _ := filepath.EvalSymlinks(path); rp != mustEval(t, hook) {
					t.Errorf("hook written to %s, want %s", path, hook)
				}
			}
			want := tc.content
			if want == "" {
				want = hookScript(bin, false)
			}
			got, err := os.ReadFile(hook)
			if err != nil || string(got) != want {
				t.Errorf("hook content %q (%v), want %q", got, err, want)
			}
			if fi, err := os.Stat(hook); err == nil && fi.Mode()&0o111 == 0 {
				t.Errorf("hook mode %v is not executable", fi.Mode())
			}
			if tc.backup != "" {
				if b, err := os.ReadFile(hook + ".bak"); err != nil || string(b) != tc.backup {
					t.Errorf("backup %q (%v), want %q", b, err, tc.backup)
				}
			}
		})
	}
	t.Run("not a repository", func(t *testing.T) {
		if _, _, err := installHook(context.Background(), t.TempDir(), bin, false, false); err == nil || !strings.Contains(err.Error(), "not a git repository") {
			t.Errorf("error %v", err)
		}
	})
}

func TestInstallHookCLI(t *testing.T) {
	isolateGitConfig(t)
	r := fixtures.NewRepo(t)
	hook := filepath.Join(r.Dir(), ".git", "hooks", "pre-commit")
	steps := []struct {
		name     string
		prepare  func()
		args     []string
		code     int
		out, err string
	}{
		{name: "install", args: []string{"install-hook", "--repo", r.Dir()}, code: 0, out: "installed: "},
		{name: "again", args: []string{"install-hook", "--repo", r.Dir()}, code: 0, out: "already installed: "},
		{name: "foreign hook", prepare: func() { writeHook(t, filepath.Dir(hook), "#!/bin/sh\nexit 0\n") },
			args: []string{"install-hook", "--repo", r.Dir()}, code: 2, err: "Rerun with --force"},
		{name: "force", args: []string{"install-hook", "--repo", r.Dir(), "--force"}, code: 0, out: "replaced (old hook kept as pre-commit.bak): "},
		{name: "verify updates it to the verifying hook", args: []string{"install-hook", "--repo", r.Dir(), "--verify"}, code: 0, out: "updated: "},
		{name: "verify again", args: []string{"install-hook", "--repo", r.Dir(), "--verify"}, code: 0, out: "already installed: "},
		{name: "help", args: []string{"install-hook", "--help"}, code: 0, out: "Example"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.prepare != nil {
				s.prepare()
			}
			code, out, errOut := cli(t, s.args...)
			if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errOut, s.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, s.code, s.out, s.err)
			}
		})
	}
}

// TestInstallHookCommits runs git commit through an installed hook: the
// built binary blocks a staged secret with an actionable message, lets a
// clean commit and an allowed line through, and the hook falls back to
// `scan` on PATH when the binary it names is gone.
func TestInstallHookCommits(t *testing.T) {
	bin := buildScan(t)
	g := fixtures.NewGen(21)
	cases := []struct {
		name    string
		hookBin string // the binary the hook names; bin when empty
		path    bool   // put bin's folder on PATH
		files   map[string]string
		blocked bool
		verify  bool     // install-hook --verify
		want    []string // in the commit's output
	}{
		{name: "secret is blocked", files: map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"}, blocked: true},
		{name: "clean commit passes", files: map[string]string{"main.go": "package main\n"}},
		{name: "gitleaks:allow passes", files: map[string]string{"test.env": "TOKEN=" + g.GitHubToken("ghp_") + " # gitleaks:allow\n"}},
		{name: "moved binary falls back to PATH", hookBin: "/nonexistent/scan", path: true,
			files: map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"}, blocked: true},
		// install-hook --verify, offline (a proxy refusing every
		// connection): the token is unknown, and unknown does not block
		{name: "verifying hook lets an unknown secret through", verify: true,
			files: map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"},
			want:  []string{"verified: unknown", "commit allowed"}},
	}
	proxyEnv, proxied := refusingProxy(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
			env := r.GitEnv()
			if tc.path {
				env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			if tc.verify {
				env = append(env, proxyEnv...)
			}
			if tc.hookBin == "" {
				args := []string{"install-hook"}
				if tc.verify {
					args = append(args, "--verify")
				}
				out, err := runIn(r.Dir(), env, bin, args...)
				if err != nil || !strings.Contains(out, "installed: ") {
					t.Fatalf("install-hook: %v\n%s", err, out)
				}
			} else {
				writeHook(t, filepath.Join(r.Dir(), ".git", "hooks"), hookScript(tc.hookBin, false))
			}
			for p, c := range tc.files {
				r.Stage(p, c)
			}
			out, err := runIn(r.Dir(), env, "git", "commit", "-m", "change")
			if blocked := err != nil; blocked != tc.blocked {
				t.Fatalf("commit blocked = %v, want %v\n%s", blocked, tc.blocked, out)
			}
			for _, c := range tc.files {
				for _, line := range strings.Split(c, "\n") {
					if _, v, ok := strings.Cut(line, "TOKEN="); ok && strings.Contains(out, strings.Fields(v)[0]) {
						t.Error("the hook printed the secret")
					}
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("commit output lacks %q:\n%s", w, out)
				}
			}
			if tc.verify && !slices.Contains(proxied(), "CONNECT api.github.com:443") {
				t.Errorf("the verifying hook did not try the provider: %v", proxied())
			}
			if tc.blocked {
				for _, w := range []string{"config/app.env:2:", "github-pat", "gitleaks:allow", ".gitleaksignore"} {
					if !strings.Contains(out, w) {
						t.Errorf("blocked commit output lacks %q:\n%s", w, out)
					}
				}
			}
		})
	}
}

func TestStagedFooter(t *testing.T) {
	g := fixtures.NewGen(22)
	tok := g.GitHubToken("ghp_")
	leaky := fixtures.NewRepo(t)
	leaky.Stage("app.env", "GITHUB_TOKEN="+tok+"\n")
	clean := fixtures.NewRepo(t)
	clean.Stage("main.go", "package main\n")
	cases := []struct {
		name   string
		args   []string
		code   int
		footer bool
	}{
		{"secret staged", []string{"staged", "--repo", leaky.Dir()}, 1, true},
		{"secret staged, json", []string{"staged", "--repo", leaky.Dir(), "--format", "json"}, 1, true},
		{"clean", []string{"staged", "--repo", clean.Dir()}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if got := strings.Contains(errOut, "To allow a false positive: add `gitleaks:allow`"); got != tc.footer {
				t.Errorf("footer on stderr = %v, want %v:\n%s", got, tc.footer, errOut)
			}
			if strings.Contains(out, "To allow") {
				t.Error("footer went to stdout (it would corrupt json output)")
			}
			if strings.Contains(out+errOut, tok) {
				t.Error("raw secret printed")
			}
		})
	}
}

func writeHook(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pre-commit"), []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatalf("hook %s: %v", p, err)
	}
	return r
}

// runIn runs a program in dir with env and returns its combined output.
func runIn(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

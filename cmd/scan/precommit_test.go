package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// snapshotModule copies this checkout's files (tracked and untracked but
// not ignored, so uncommitted work is included) into a new repository and
// commits them, for tools that install hooks from a git revision.
func snapshotModule(t *testing.T) (dir, rev string) {
	t.Helper()
	root := moduleRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("the module is not in a git work tree (%v): cannot snapshot it for pre-commit", err)
	}
	src := fixtures.NewRepo(t)
	n := 0
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		from := filepath.Join(root, filepath.FromSlash(name))
		fi, err := os.Lstat(from)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a link / submodule
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(src.Dir(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, fi.Mode().Perm()|0o600); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if _, err := os.Stat(filepath.Join(src.Dir(), ".pre-commit-hooks.yaml")); err != nil {
		t.Fatalf("snapshot of %d files lacks .pre-commit-hooks.yaml: %v", n, err)
	}
	return src.Dir(), src.Commit("snapshot of the work tree")
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// TestPreCommitFramework installs the nhiscan hook with the real pre-commit
// framework from a snapshot of this checkout and commits through it.
func TestPreCommitFramework(t *testing.T) {
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not on PATH: install it (apt-get install pre-commit; .ci/run does) to test the pre-commit hook")
	}
	if testing.Short() {
		t.Skip("-short: pre-commit builds the hook with go install (about a minute)")
	}
	src, rev := snapshotModule(t)
	g := fixtures.NewGen(41)
	tok1, tok2 := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	r := fixtures.NewRepo(t)
	r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
	config := "repos:\n  - repo: " + src + "\n    rev: " + rev + "\n    hooks:\n      - id: nhiscan\n"
	r.WriteFile(".pre-commit-config.yaml", config)
	// Hermetic: pre-commit's store in a temp dir; the Go build and module
	// caches of this machine (HOME is a temp dir in r's environment), and
	// this Go toolchain only.
	env := append(r.GitEnv(),
		"PRE_COMMIT_HOME="+t.TempDir(),
		"GOCACHE="+goEnv(t, "GOCACHE"),
		"GOMODCACHE="+goEnv(t, "GOMODCACHE"),
		"GOTOOLCHAIN=local",
		"PRE_COMMIT_COLOR=never",
	)
	if out, err := runIn(r.Dir(), env, "pre-commit", "install"); err != nil {
		t.Fatalf("pre-commit install: %v\n%s", err, out)
	}
	secrets := []string{tok1, tok2}
	proxyEnv, proxied := refusingProxy(t)
	steps := []struct {
		name    string
		stage   map[string]string
		env     []string
		cmd     []string // git commit when empty
		blocked bool
		verify  bool // the hook must have tried its provider (through the proxy)
		want    []string
	}{
		{name: "clean commit passes", stage: map[string]string{".pre-commit-config.yaml": config, "main.go": "package main\n"},
			want: []string{"nhiscan"}},
		{name: "fake token is blocked", stage: map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + tok1 + "\n"}, blocked: true,
			want: []string{"config/app.env:2:", "github-pat", "gitleaks:allow", ".gitleaksignore", "Failed"}},
		{name: "try-repo runs the hook from the checkout", cmd: []string{"pre-commit", "try-repo", src, "nhiscan", "--ref", rev}, blocked: true,
			want: []string{"config/app.env:2:", "github-pat"}},
		// The verify variant checks the staged token through a proxy that
		// refuses every connection: the answer is unknown, which must not
		// block the commit (and no secret leaves the machine).
		{name: "try-repo of the verify variant lets an unknown secret through", cmd: []string{"pre-commit", "try-repo", src, "nhiscan-verify", "--ref", rev},
			env: proxyEnv, verify: true,
			want: []string{"config/app.env:2:", "verified: unknown", "commit allowed", "Passed"}},
		{name: "SKIP=nhiscan lets it through", env: []string{"SKIP=nhiscan"}, want: []string{"Skipped"}},
		{name: "gitleaks:allow lets it through", stage: map[string]string{"test/fixture.env": "TOKEN=" + tok2 + " # gitleaks:allow\n"},
			want: []string{"Passed"}},
		{name: "try-repo passes a clean index", cmd: []string{"pre-commit", "try-repo", src, "nhiscan", "--ref", rev}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			for p, c := range s.stage {
				r.Stage(p, c)
			}
			cmd := s.cmd
			if cmd == nil {
				cmd = []string{"git", "commit", "-m", s.name}
			}
			before := r.Head()
			out, err := runIn(r.Dir(), append(env, s.env...), cmd[0], cmd[1:]...)
			if blocked := err != nil; blocked != s.blocked {
				t.Fatalf("%s: failed = %v (%v), want %v\n%s", strings.Join(cmd, " "), blocked, err, s.blocked, out)
			}
			t.Logf("%s:\n%s", strings.Join(cmd, " "), out)
			for _, w := range s.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, sec := range secrets {
				if strings.Contains(out, sec) {
					t.Error("output holds a raw secret")
				}
			}
			if s.verify {
				if got := proxied(); !slices.Contains(got, "CONNECT api.github.com:443") {
					t.Errorf("the verify hook did not try its provider: the proxy saw %v", got)
				}
			}
			if moved := r.Head() != before; cmd[0] == "git" && moved == s.blocked {
				t.Errorf("HEAD moved = %v after a commit that was blocked = %v", moved, s.blocked)
			}
		})
	}
}

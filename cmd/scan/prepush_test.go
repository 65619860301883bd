package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// TestPrePushFramework installs the nhiscan-push hook with the real
// pre-commit framework (pre-push stage) from a snapshot of this checkout,
// and pushes through it to a bare repository: a new history, a
// fast-forward and a new branch are each scanned for exactly the commits
// they send.
func TestPrePushFramework(t *testing.T) {
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not on PATH: install it (apt-get install pre-commit; .ci/run does) to test the pre-push hook")
	}
	if testing.Short() {
		t.Skip("-short: pre-commit builds the hook with go install (about a minute)")
	}
	src, rev := snapshotModule(t)
	g := fixtures.NewGen(1804)
	tok1, tok2, tok3 := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	r := fixtures.NewRepo(t)
	bare := filepath.Join(t.TempDir(), "remote.git")
	r.Git("init", "-q", "--bare", bare)
	r.Git("remote", "add", "origin", bare)
	config := "repos:\n  - repo: " + src + "\n    rev: " + rev + "\n    hooks:\n      - id: nhiscan-push\n"
	env := append(r.GitEnv(),
		"PRE_COMMIT_HOME="+t.TempDir(),
		"GOCACHE="+goEnv(t, "GOCACHE"),
		"GOMODCACHE="+goEnv(t, "GOMODCACHE"),
		"GOTOOLCHAIN=local",
		"PRE_COMMIT_COLOR=never",
	)
	remoteHead := func(ref string) string {
		out, err := runIn(bare, env, "git", "rev-parse", "-q", "--verify", ref)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(out)
	}
	steps := []struct {
		name    string
		prepare func()
		push    []string
		env     []string
		blocked bool
		want    []string
	}{
		{name: "a new history with a token in its root commit is blocked",
			prepare: func() {
				r.CommitFiles("root", map[string]string{".pre-commit-config.yaml": config, "config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + tok1 + "\n"})
				if out, err := runIn(r.Dir(), env, "pre-commit", "install", "--hook-type", "pre-push"); err != nil {
					t.Fatalf("pre-commit install: %v\n%s", err, out)
				}
			},
			push: []string{"-u", "origin", "main"}, blocked: true,
			want: []string{"config/app.env:2", "github-pat", "push blocked", "Failed"}},
		{name: "the same history without it passes",
			prepare: func() {
				r.Remove("config/app.env")
				r.Git("add", "-A")
				r.Git("commit", "-q", "--amend", "-m", "root")
			},
			push: []string{"-u", "origin", "main"}, want: []string{"Passed"}},
		{name: "a fast-forward adding a token is blocked",
			prepare: func() {
				r.CommitFiles("clean", map[string]string{"main.go": "package main\n"})
				r.CommitFiles("leak", map[string]string{"deploy.sh": "export GH_TOKEN=" + tok2 + "\n"})
			},
			push: []string{"origin", "main"}, blocked: true, want: []string{"deploy.sh:1", "github-pat"}},
		{name: "SKIP lets it through (the server hook is the layer that cannot be skipped)",
			env: []string{"SKIP=nhiscan-push"}, push: []string{"origin", "main"}, want: []string{"Skipped"}},
		{name: "a new branch with a token is blocked, only its own commits are scanned",
			prepare: func() {
				r.Git("checkout", "-q", "-b", "topic")
				r.CommitFiles("topic", map[string]string{"topic.env": "TOKEN=" + tok3 + "\n"})
			},
			push: []string{"origin", "topic"}, blocked: true, want: []string{"topic.env:1"}},
		{name: "gitleaks:allow lets a new branch through",
			prepare: func() {
				r.Git("reset", "-q", "--hard", "HEAD~1")
				r.CommitFiles("topic", map[string]string{"topic.env": "TOKEN=" + tok3 + " # gitleaks:allow\n"})
			},
			push: []string{"origin", "topic"}, want: []string{"Passed"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.prepare != nil {
				s.prepare()
			}
			before := remoteHead("refs/heads/" + s.push[len(s.push)-1])
			out, err := runIn(r.Dir(), append(env, s.env...), "git", append([]string{"push"}, s.push...)...)
			t.Logf("git push %s:\n%s", strings.Join(s.push, " "), out)
			if blocked := err != nil; blocked != s.blocked {
				t.Fatalf("push blocked = %v (%v), want %v", blocked, err, s.blocked)
			}
			for _, w := range s.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, sec := range []string{tok1, tok2, tok3} {
				if strings.Contains(out, sec) {
					t.Error("output holds a raw secret")
				}
			}
			after := remoteHead("refs/heads/" + s.push[len(s.push)-1])
			if moved := after != before; moved == s.blocked {
				t.Errorf("remote ref moved = %v after a push that was blocked = %v", moved, s.blocked)
			}
		})
	}
}

// TestPrePushGitHook runs `scan pre-push` as a plain .git/hooks/pre-push:
// git's own input names every pushed ref, and what the remote already has
// is not scanned again.
func TestPrePushGitHook(t *testing.T) {
	isolateGitConfig(t)
	bin := buildScan(t)
	g := fixtures.NewGen(1805)
	old, tok := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	r := fixtures.NewRepo(t)
	bare := filepath.Join(t.TempDir(), "remote.git")
	r.Git("init", "-q", "--bare", bare)
	r.Git("remote", "add", "origin", bare)
	// Already on the remote before the hook exists: never scanned again.
	r.CommitFiles("old", map[string]string{"old.env": "T=" + old + "\n"})
	r.Git("push", "-q", "origin", "main")
	writeHookNamed(t, filepath.Join(r.Dir(), ".git", "hooks"), "pre-push", "#!/bin/sh\nexec "+shQuote(bin)+" pre-push \"$@\"\n")
	env := r.GitEnv()
	steps := []struct {
		name    string
		prepare func()
		push    []string
		blocked bool
		want    []string
	}{
		{name: "clean commits pass although the remote holds an old secret", push: []string{"origin", "main"},
			prepare: func() { r.CommitFiles("clean", map[string]string{"main.go": "package main\n"}) }},
		{name: "two refs, one with a token, block the push", push: []string{"origin", "main", "topic"}, blocked: true,
			prepare: func() {
				r.CommitFiles("clean 2", map[string]string{"b.go": "package main\n"})
				r.Git("branch", "topic")
				r.Git("checkout", "-q", "topic")
				r.CommitFiles("leak", map[string]string{"topic.env": "TOKEN=" + tok + "\n"})
				r.Checkout("main")
			},
			want: []string{"topic.env:1", "github-pat", "push blocked"}},
		{name: "a deletion passes", push: []string{"origin", "--delete", "tmp"}, prepare: func() {
			r.Git("push", "-q", "--no-verify", "origin", "main:refs/heads/tmp")
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.prepare()
			out, err := runIn(r.Dir(), env, "git", append([]string{"push"}, s.push...)...)
			t.Logf("git push %s:\n%s", strings.Join(s.push, " "), out)
			if blocked := err != nil; blocked != s.blocked {
				t.Fatalf("push blocked = %v (%v), want %v", blocked, err, s.blocked)
			}
			for _, w := range s.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out, old) || strings.Contains(out, tok) {
				t.Error("output holds a raw secret")
			}
			if strings.Contains(out, "old.env") {
				t.Error("a commit the remote already has was scanned")
			}
		})
	}
}

func writeHookNamed(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

package gitcmd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"nhiscan/internal/gitcmd"
)

func TestArgs(t *testing.T) {
	cases := []struct {
		name string
		o    gitcmd.Options
		args []string
		has  []string
		not  []string
	}{
		{"log gets its switches after the subcommand", gitcmd.Options{}, []string{"log", "--format=%H"},
			[]string{"log.showSignature=false", "core.fsmonitor=false", "--no-show-signature", "--no-ext-diff", "--no-textconv"}, nil},
		{"diff", gitcmd.Options{}, []string{"diff", "--cached"}, []string{"--no-ext-diff", "--no-textconv", "diff.external="}, nil},
		{"install-hook keeps core.hooksPath", gitcmd.Options{KeepHooksPath: true}, []string{"rev-parse"}, []string{"core.fsmonitor=false"},
			[]string{"core.hooksPath=/dev/null"}},
		{"extra config before the subcommand", gitcmd.Options{Config: []string{"core.quotePath=false"}}, []string{"ls-tree"},
			[]string{"core.quotePath=false"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := gitcmd.Args(tc.o, tc.args...)
			if got[0] != "--no-pager" {
				t.Errorf("first %q", got[0])
			}
			sub := slices.Index(got, tc.args[0])
			for _, h := range tc.has {
				i := slices.Index(got, h)
				if i < 0 {
					t.Errorf("%q missing from %q", h, got)
				}
				if strings.HasPrefix(h, "--") && i < sub || !strings.HasPrefix(h, "--") && i > sub {
					t.Errorf("%q on the wrong side of %q", h, tc.args[0])
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("%q present", n)
				}
			}
		})
	}
}

func TestEnvDropsProgramVariables(t *testing.T) {
	env := gitcmd.Env([]string{"PATH=/bin", "GIT_EXTERNAL_DIFF=/x", "GIT_SSH_COMMAND=/x", "GIT_PAGER=less", "GIT_ALLOW_PROTOCOL=ext"})
	for _, kv := range env {
		if strings.Contains(kv, "/x") || kv == "GIT_PAGER=less" || strings.HasPrefix(kv, "GIT_ALLOW_PROTOCOL") {
			t.Errorf("kept %q", kv)
		}
	}
	if !slices.Contains(env, "PATH=/bin") || !slices.Contains(env, "GIT_TERMINAL_PROMPT=0") {
		t.Errorf("env %q", env)
	}
}

// TestFilterDriversBlanked: a clean filter (and a filter process) named in
// the repository's configuration, which `git status` would run on a
// modified file, runs not when status goes through Command.
func TestFilterDriversBlanked(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir, marker := t.TempDir(), filepath.Join(t.TempDir(), "marker")
	script := filepath.Join(t.TempDir(), "evil.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho ran >> '"+marker+"'\ncat\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte("*.env filter=my.evil\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.env"), []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "one")
	git("config", "filter.my.evil.clean", script)
	git("config", "filter.my.evil.required", "true")
	if err := os.WriteFile(filepath.Join(dir, "a.env"), []byte("A=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Armed: plain git status runs it.
	git("status", "--porcelain")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the filter is not armed: %v", err)
	}
	os.Remove(marker)
	cmd := gitcmd.CommandOpts(context.Background(), gitcmd.Options{Dir: dir, Env: env}, "status", "--porcelain")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "a.env") {
		t.Fatalf("status: %v: %s", err, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the repository's clean filter ran")
	}
}

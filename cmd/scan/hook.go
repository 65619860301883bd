package main

import (
	"nhiscan/internal/gitcmd"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/action"
)

// stagedFooter tells the committer what to do about a blocked commit. It
// names no secret.
func stagedFooter(w io.Writer) {
	fmt.Fprintln(w, "nhiscan: commit blocked: the staged changes add a secret (file, line and rule above).")
	fmt.Fprintln(w, "Revoke or rotate a real credential first; removing it from the commit does not make a leaked one safe.")
	fmt.Fprintln(w, action.AllowHint)
}

// stagedAllowedFooter explains why a commit with staged secrets was let
// through (--fail-on did not hold: unknown or dead under --verify).
func stagedAllowedFooter(w io.Writer, fs []finding.Finding) {
	n := map[finding.Status]int{}
	for i := range fs {
		n[fs[i].Status()]++
	}
	fmt.Fprintf(w, "nhiscan: commit allowed: the staged changes add %d secret(s) that --fail-on does not block (%d unknown, %d dead, %d not verified).\n",
		len(fs), n[finding.StatusUnknown], n[finding.StatusDead], n[""])
	fmt.Fprintln(w, "An unknown one may still work: remove it before pushing, and revoke it if it is real.")
	fmt.Fprintln(w, action.AllowHint)
}

// hookMarker identifies a hook written by install-hook.
const hookMarker = "# nhiscan pre-commit hook (written by `scan install-hook`)"

// verifyHookArgs are the arguments `scan staged` gets in a verifying hook
// (install-hook --verify, and the nhiscan-verify pre-commit hook): a short
// time bound, and only a live or unverifiable secret blocks the commit.
const verifyHookArgs = "--verify --verify-timeout 3s --fail-on live,unverified"

// hookScript is the pre-commit hook calling bin (an absolute path). When
// bin has moved, it looks for nhiscan's binary on PATH — "nhiscan", or a
// "scan" that says it is nhiscan — and otherwise stops the commit with a
// message that says what to do, rather than "exec: scan: not found". With
// verify, it verifies the staged secrets first (verifyHookArgs).
func hookScript(bin string, verify bool) string {
	args := "staged"
	what := "# Blocks a commit whose staged changes add a secret. Skip once: git commit --no-verify\n"
	if verify {
		args = "staged " + verifyHookArgs
		what = "# Blocks a commit whose staged changes add a live (or unverifiable) secret. Skip once: git commit --no-verify\n"
	}
	return "#!/bin/sh\n" + hookMarker + "\n" + what +
		"SCAN=" + shQuote(bin) + "\n" +
		"if [ -z \"$SCAN\" ] || [ ! -x \"$SCAN\" ]; then\n" +
		"  if command -v nhiscan >/dev/null 2>&1; then SCAN=$(command -v nhiscan)\n" +
		"  elif command -v scan >/dev/null 2>&1 && scan version 2>/dev/null | grep -q '^nhiscan'; then SCAN=$(command -v scan)\n" +
		"  else\n" +
		"    echo \"nhiscan pre-commit hook: the scanner is not at $SCAN any more, and neither nhiscan nor nhiscan's scan is on PATH.\" >&2\n" +
		"    echo \"Reinstall it with 'scan install-hook' from the binary's new place, or skip this check once with: git commit --no-verify\" >&2\n" +
		"    exit 1\n" +
		"  fi\n" +
		"fi\n" +
		"exec \"$SCAN\" " + args + "\n"
}

// shQuote quotes s for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newInstallHookCmd() *cobra.Command {
	var (
		repo          string
		force, verify bool
	)
	cmd := &cobra.Command{
		Use:   "install-hook",
		Short: "Install a git pre-commit hook that runs `scan staged` (without the pre-commit framework)",
		Long: `Write the repository's pre-commit hook (in .git/hooks, or in core.hooksPath
when set): a small sh script that runs this binary's "scan staged", or "scan"
(or nhiscan) on PATH when this binary is moved; when neither is found the hook
stops the commit and says how to fix it. Running it again is harmless. A different
existing hook is kept unless --force, which replaces it and keeps the old one
as pre-commit.bak. With --verify, the hook runs "scan staged ` + verifyHookArgs + `":
only a staged secret verified live, or one no verifier covers, blocks the
commit. With the pre-commit framework, use .pre-commit-hooks.yaml instead
(see the README).`,
		Example: `  scan install-hook
  scan install-hook --repo ~/src/app --force
  scan install-hook --verify             # verify staged secrets; block only live ones`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := os.Executable()
			if err == nil {
				bin, err = filepath.EvalSymlinks(bin)
			}
			if err != nil {
				bin = ""
			}
			path, status, err := installHook(cmd.Context(), repo, bin, force, verify)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", status, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "the repository to install the hook in")
	cmd.Flags().BoolVar(&verify, "verify", false, "the hook verifies staged secrets ("+verifyHookArgs+"): only a live or unverifiable one blocks the commit")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing pre-commit hook that is not nhiscan's (it is kept as pre-commit.bak)")
	return cmd
}

// hooksDir asks git where the repository's hooks live (honoring
// core.hooksPath).
func hooksDir(ctx context.Context, repo string) (string, error) {
	cmd := gitcmd.CommandOpts(ctx, gitcmd.Options{Dir: repo, KeepHooksPath: true}, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("install-hook: %s is not a git repository (or git is missing): %s", repo, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// installHook writes the hook and says what it did: "installed",
// "updated", "already installed" or "replaced (old hook kept as …)".
func installHook(ctx context.Context, repo, bin string, force, verify bool) (path, status string, err error) {
	dir, err := hooksDir(ctx, repo)
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "pre-commit")
	want := hookScript(bin, verify)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		status = "installed"
	case err != nil:
		return "", "", fmt.Errorf("install-hook: %w", err)
	case string(old) == want:
		return path, "already installed", nil
	case strings.Contains(string(old), hookMarker):
		status = "updated"
	case !force:
		return "", "", fmt.Errorf("install-hook: %s already exists and is not nhiscan's hook; not overwriting it. "+
			"Rerun with --force to replace it (the old hook is kept as pre-commit.bak), or call `scan staged` from it yourself", path)
	default:
		if err := os.WriteFile(path+".bak", old, 0o755); err != nil {
			return "", "", fmt.Errorf("install-hook: keeping the old hook: %w", err)
		}
		status = "replaced (old hook kept as pre-commit.bak)"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("install-hook: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		// Replace the link itself, never write through it.
		if err := os.Remove(path); err != nil {
			return "", "", fmt.Errorf("install-hook: %w", err)
		}
	}
	if err := os.WriteFile(path, []byte(want), 0o755); err != nil {
		return "", "", fmt.Errorf("install-hook: %w", err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		return "", "", fmt.Errorf("install-hook: %w", err)
	}
	return path, status, nil
}

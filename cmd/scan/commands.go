package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"nhiscan/scanner"
)

func newGitCmd(g *globalOpts) *cobra.Command {
	var (
		rangeSpec, sinceCommit, branch string
		goGit, unreachable             bool
	)
	cmd := &cobra.Command{
		Use:   "git [PATH]",
		Short: "Scan the whole history of a git repository (every ref, every commit)",
		Long: `Scan every blob reachable from every ref (branches, tags, remotes,
refs/pull/*) once, and report each secret with the commits that added it.
Objects missing from a partial or shallow clone are counted and reported; the
rest is scanned. PATH defaults to the current folder (a work tree or a bare
repository).`,
		Example: `  scan git .
  scan git /srv/mirrors/etcd.git --format sarif --report etcd.sarif
  scan git --range origin/main..HEAD        # commits of a PR
  scan git --since-commit 1a2b3c4           # everything newer than a commit
  scan git --branch release-3.5`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			revs, err := historyRevs(rangeSpec, sinceCommit, branch)
			if err != nil {
				return err
			}
			if err := checkGitRepo(cmd.Context(), path); err != nil {
				return err
			}
			s, err := g.setup(cmd, path)
			if err != nil {
				return err
			}
			g.startProgress(cmd.ErrOrStderr(), s, "history", "objects")
			if os.Getenv("GOGC") == "" {
				// A history scan keeps a large, long-lived set of line hashes:
				// collect sooner so peak memory stays near the live set.
				debug.SetGCPercent(50)
			}
			res, err := s.ScanHistory(cmd.Context(), path, scanner.HistoryOptions{Revs: revs, GoGit: goGit, Unreachable: unreachable})
			if err != nil {
				return err
			}
			g.repoURL = g.repoURLFor(cmd.Context(), path)
			return g.finish(cmd, s, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&rangeSpec, "range", "", "scan only commits in this range, A..B (B defaults to HEAD)")
	f.StringVar(&sinceCommit, "since-commit", "", "scan only commits not reachable from this commit (newer work on any ref)")
	f.StringVar(&branch, "branch", "", "scan only commits reachable from this branch or ref")
	f.BoolVar(&unreachable, "unreachable", false, "also report secrets in objects no ref's history adds (dangling objects, merge-only content); they have no path")
	f.BoolVar(&goGit, "go-git", false, "read the repository with go-git even when git is installed (slower)")
	return cmd
}

// historyRevs turns the git flags into revisions for git log.
func historyRevs(rangeSpec, since, branch string) ([]string, error) {
	for _, v := range []string{rangeSpec, since, branch} {
		if strings.HasPrefix(v, "-") {
			return nil, fmt.Errorf("revision %q must not start with '-'", v)
		}
	}
	var revs []string
	if rangeSpec != "" {
		if !strings.Contains(rangeSpec, "..") {
			return nil, fmt.Errorf("--range %q: want A..B", rangeSpec)
		}
		a, b, _ := strings.Cut(rangeSpec, "..")
		if strings.HasPrefix(b, ".") {
			return nil, fmt.Errorf("--range %q: symmetric differences (A...B) are not supported; use A..B", rangeSpec)
		}
		if a == "" {
			return nil, fmt.Errorf("--range %q: the start of the range is missing", rangeSpec)
		}
		if b == "" {
			b = "HEAD"
		}
		revs = append(revs, b, "^"+a)
	}
	if branch != "" {
		if rangeSpec != "" {
			return nil, fmt.Errorf("--branch and --range cannot be combined")
		}
		revs = append(revs, branch)
	}
	if since != "" {
		if len(revs) == 0 {
			revs = append(revs, "--all")
		}
		revs = append(revs, "^"+since)
	}
	return revs, nil
}

func newDirCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "dir [PATH]",
		Short: "Scan files on disk (a work tree, a folder, or one file)",
		Long: `Scan the files under PATH as they are now. Inside a git work tree, files
that git ignores are skipped; elsewhere .gitignore files are honored too.
Symbolic links are never followed. PATH defaults to the current folder.`,
		Example: `  scan dir .
  scan dir ./config/prod.env --show-secrets`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("scan dir: %w", err)
			}
			g.source = "dir"
			s, err := g.setup(cmd, path)
			if err != nil {
				return err
			}
			g.startProgress(cmd.ErrOrStderr(), s, "files", "files")
			res, err := s.ScanDir(cmd.Context(), path)
			if err != nil {
				return err
			}
			return g.finish(cmd, s, res)
		},
	}
}

// checkGitRepo fails with a clear message when path is not a git
// repository (a work tree, a folder inside one, or a bare repository).
func checkGitRepo(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !fi.IsDir() || !scanner.IsRepo(ctx, path) {
		return fmt.Errorf("%s is not a git repository (use `scan dir` for files)", path)
	}
	return nil
}

func dirOf(p string) string {
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

func newStagedCmd(g *globalOpts) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "staged",
		Short: "Scan the lines staged for the next commit (pre-commit hook)",
		Long: `Scan only the lines that the index adds relative to HEAD (or to nothing,
before the first commit): exactly what the next commit records. Exits 1 when
a secret is staged, so a pre-commit hook blocks the commit.

To allow a false positive, add "gitleaks:allow" in a comment on its line, or
add its fingerprint to .gitleaksignore.

With --verify (the nhiscan-verify pre-commit hook), the staged secrets are
checked with their providers within --verify-timeout; with --fail-on
live,unverified only a live secret, or one no verifier covers, blocks the
commit: an unknown answer (timeout, no network, rate limit) or a dead
secret lets it through with a warning.`,
		Example: `  scan staged
  scan staged --repo path/to/repo
  scan staged --verify --verify-timeout 3s --fail-on live,unverified`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The staged diff first: only the rules that could match it
			// are built (most of a pre-commit hook's time was compiling
			// rules it never needed).
			d, err := scanner.ReadStaged(cmd.Context(), dir)
			if err != nil {
				if cerr := checkGitRepo(cmd.Context(), dir); cerr != nil {
					return cerr // a clearer message than git's own
				}
				return err
			}
			g.source = "staged"
			g.ruleText = d.RuleText(g.maxDecode)
			s, err := g.setup(cmd, dir)
			if err != nil {
				return err
			}
			res, err := s.ScanStagedDiff(cmd.Context(), d)
			if err != nil {
				return err
			}
			err = g.finish(cmd, s, res)
			var ec exitCodeError
			switch {
			case errors.As(err, &ec) && ec.code != 0:
				stagedFooter(cmd.ErrOrStderr())
			case err == nil && len(res.Findings) > 0:
				stagedAllowedFooter(cmd.ErrOrStderr(), res.Findings)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "repo", ".", "the repository whose index is scanned")
	return cmd
}

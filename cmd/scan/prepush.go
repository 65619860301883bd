package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"nhiscan/scanner"
)

func newPrePushCmd(g *globalOpts) *cobra.Command {
	var repo string
	cmd := &cobra.Command{
		Use:   "pre-push [REMOTE [URL]]",
		Short: "Scan the commits a push would send (git pre-push hook, or the pre-commit framework's pre-push stage)",
		Long: `Scan the commits that "git push" is about to send, before they leave the
machine, and exit 1 (blocking the push) when they add a secret.

Under the pre-commit framework (the nhiscan-push hook id, stage pre-push)
the range comes from PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF; when a push
starts a history the remote does not have, from PRE_COMMIT_LOCAL_BRANCH minus
the remote's branches. As a plain .git/hooks/pre-push, git passes REMOTE and
URL as arguments and one "<local ref> <local sha> <remote ref> <remote sha>"
line per ref on standard input; every pushed ref is scanned, minus what the
remote already has. Deleted refs are ignored. With neither, it scans HEAD
minus every remote-tracking branch.

A client hook is skipped with "git push --no-verify"; the server's
"scan pre-receive" is the layer that cannot be. To allow a false positive,
add "gitleaks:allow" on its line or its fingerprint to .gitleaksignore.`,
		Example: `  # .pre-commit-config.yaml: hooks: [{id: nhiscan-push}], then
  pre-commit install --hook-type pre-push

  # or .git/hooks/pre-push:
  #!/bin/sh
  exec scan pre-push "$@"`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			remote := ""
			if len(args) > 0 {
				remote = args[0]
			}
			var in io.Reader
			if os.Getenv("PRE_COMMIT") == "" && remote != "" {
				in = cmd.InOrStdin() // git's own pre-push input
			}
			revs, err := prePushRevs(os.Getenv, remote, in)
			if err != nil {
				return err
			}
			if revs == nil {
				return nil // only deletions: nothing leaves the machine
			}
			s, err := g.setup(cmd, repo)
			if err != nil {
				return err
			}
			res, err := s.ScanHistory(cmd.Context(), repo, scanner.HistoryOptions{Revs: revs})
			if err != nil {
				return err
			}
			err = g.finish(cmd, s, res)
			var ec exitCodeError
			if errors.As(err, &ec) && ec.code != 0 {
				w := cmd.ErrOrStderr()
				fmt.Fprintln(w, "nhiscan: push blocked: the commits being pushed add a secret (commit, file, line and rule above).")
				fmt.Fprintln(w, "Revoke or rotate a real credential first, then remove it from every pushed commit (git rebase -i);")
				fmt.Fprintln(w, "a later commit that deletes it leaves it in the history.")
				fmt.Fprintln(w, "To allow a false positive: add `gitleaks:allow` in a comment on the line, or its fingerprint to .gitleaksignore.")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "the repository being pushed from")
	return cmd
}

// prePushRevs picks the commits a push sends: from the pre-commit
// framework's variables, else from git's pre-push input (in, nil when not
// read), else HEAD minus the remote-tracking branches. Nil means nothing to
// scan (the push only deletes).
func prePushRevs(getenv func(string) string, remote string, in io.Reader) ([]string, error) {
	if strings.HasPrefix(remote, "-") {
		return nil, fmt.Errorf("remote %q must not start with '-'", remote)
	}
	notRemotes := "--remotes"
	if name := firstNonEmpty(getenv("PRE_COMMIT_REMOTE_NAME"), remote); name != "" {
		notRemotes = "--remotes=" + name
	}
	check := func(revs ...string) error {
		for _, r := range revs {
			if strings.HasPrefix(r, "-") || strings.ContainsAny(r, " \t\n\x00") {
				return fmt.Errorf("revision %q is not a commit name", r)
			}
		}
		return nil
	}
	if to := getenv("PRE_COMMIT_TO_REF"); to != "" {
		from := getenv("PRE_COMMIT_FROM_REF")
		if err := check(to, from); err != nil {
			return nil, err
		}
		if from == "" {
			return []string{to, "--not", notRemotes}, nil
		}
		return []string{to, "^" + from}, nil
	}
	if local := getenv("PRE_COMMIT_LOCAL_BRANCH"); local != "" {
		// pre-commit sets no range when the push starts a history the
		// remote lacks (its first new commit is a root).
		if err := check(local); err != nil {
			return nil, err
		}
		return []string{local, "--not", notRemotes}, nil
	}
	if in != nil {
		var tips, excl []string
		sc := bufio.NewScanner(in)
		lines := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 0 {
				continue
			}
			lines++
			if len(f) != 4 {
				return nil, fmt.Errorf("pre-push input: want \"<local ref> <local sha> <remote ref> <remote sha>\", got %d fields", len(f))
			}
			local, remoteSHA := f[1], f[3]
			if err := check(local, remoteSHA); err != nil {
				return nil, err
			}
			if strings.Trim(local, "0") == "" {
				continue // deletion
			}
			tips = append(tips, local)
			if strings.Trim(remoteSHA, "0") != "" {
				excl = append(excl, "^"+remoteSHA)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("pre-push input: %w", err)
		}
		if lines > 0 {
			if len(tips) == 0 {
				return nil, nil
			}
			// A remote sha the client has never fetched (someone else
			// pushed since) is skipped by --ignore-missing; what the
			// remote-tracking branches reach is excluded as well.
			revs := append([]string{"--ignore-missing"}, tips...)
			revs = append(revs, excl...)
			return append(revs, "--not", notRemotes), nil
		}
	}
	return []string{"HEAD", "--not", notRemotes}, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"nhiscan/internal/gitcmd"
)

// CLIGit answers the Git questions with the git command in Dir.
type CLIGit struct {
	Ctx context.Context
	Dir string
	Env []string // nil: the process environment
}

func (g CLIGit) run(args ...string) (string, error) {
	ctx := g.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	// The checked-out repository is untrusted: gitcmd neutralises its
	// configuration that would run a program.
	cmd := gitcmd.CommandOpts(ctx, gitcmd.Options{Dir: g.Dir, Env: g.Env}, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// HasCommit implements Git.
func (g CLIGit) HasCommit(rev string) bool {
	_, err := g.run("cat-file", "-e", rev+"^{commit}")
	return err == nil
}

// IsAncestor implements Git.
func (g CLIGit) IsAncestor(a, b string) (bool, error) {
	_, err := g.run("merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return false, nil
	}
	return false, err
}

// IsShallow implements Git.
func (g CLIGit) IsShallow() (bool, error) {
	out, err := g.run("rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return out == "true", nil
}

// RefExists implements Git.
func (g CLIGit) RefExists(ref string) bool {
	_, err := g.run("show-ref", "--verify", "--quiet", ref)
	return err == nil
}

// CountCommits implements Git.
func (g CLIGit) CountCommits(revs []string) (int, error) {
	out, err := g.run(append([]string{"rev-list", "--count"}, append(revs, "--")...)...)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// Package gitcmd is the one way nhiscan runs the git command. A scanned
// repository is untrusted, and so is its own configuration (.git/config and
// whatever it includes): several settings there make git run a program
// (core.fsmonitor, gpg.program with log.showSignature, diff.external,
// textconv drivers, core.pager, hooks, lazy fetches from a promisor remote)
// or change the output nhiscan parses (color, prefixes, mailmap, relative
// diffs). Command puts command-line configuration, which outranks every
// configuration file, over each of them, adds the per-command switches that
// turn the rest off, and clears the environment variables that would do
// the same.
//
// The operator's own global and system configuration stay in force: they
// are trusted, and they hold safe.directory, git's refusal to work in a
// repository another user owns, which nhiscan keeps rather than overrides.
// nhiscan only runs built-in commands, so an alias in a repository's
// configuration can never stand in for one (git never lets an alias shadow
// a built-in).
package gitcmd

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// neutral is configuration given on the command line (the highest
// precedence) so a repository's own configuration cannot run a program or
// reshape output. Each line names what it stops.
var neutral = []string{
	"core.fsmonitor=false",         // fsmonitor hook or daemon, run by ls-files, diff, status
	"core.untrackedCache=false",    // no index rewrite (and post-index-change hook) from ls-files
	"core.hooksPath=/dev/null",     // no hook of any kind
	"core.pager=cat",               // never a pager
	"core.sshCommand=false",        // never ssh (git itself never fetches for nhiscan)
	"core.askPass=",                // never a password prompt program
	"core.editor=false",            // never an editor
	"core.alternateRefsCommand=",   // never a command listing alternate refs
	"credential.helper=",           // the empty value clears every configured helper
	"diff.external=",               // no external diff program (also --no-ext-diff)
	"gpg.program=false",            // signature verification runs no signing program
	"gpg.ssh.program=false",        //
	"gpg.x509.program=false",       //
	"gpg.ssh.defaultKeyCommand=",   //
	"log.showSignature=false",      // so git log never calls gpg.program
	"diff.autoRefreshIndex=false",  // no index refresh (and clean filter) from diff
	"log.mailmap=false",            // authors as committed
	"log.decorate=false",           //
	"log.showRoot=true",            //
	"color.ui=false",               // no escape sequences in parsed output
	"diff.noprefix=false",          // a/ and b/ prefixes where the parser expects them
	"diff.mnemonicPrefix=false",    //
	"diff.relative=false",          // paths from the top of the work tree
	"i18n.logOutputEncoding=UTF-8", // author names as UTF-8
	"protocol.allow=never",         // no transport at all: a lazy fetch from a promisor remote fails
	"uploadpack.packObjectsHook=",  //
}

// switches are per-command options that no configuration can undo.
var switches = map[string][]string{
	"diff": {"--no-ext-diff", "--no-textconv", "--no-color"},
	"log":  {"--no-ext-diff", "--no-textconv", "--no-color", "--no-show-signature", "--no-use-mailmap"},
	"show": {"--no-ext-diff", "--no-textconv", "--no-color", "--no-show-signature", "--no-use-mailmap"},
}

// unsafeEnv are environment variables that would run a program or send git
// elsewhere on their own; they are removed from the child's environment.
var unsafeEnv = []string{"GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND",
	"GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PROXY_COMMAND", "GIT_ALLOW_PROTOCOL", "GIT_PROTOCOL_FROM_USER"}

// Options adjust Command.
type Options struct {
	// Dir is where git runs ("" for the current folder).
	Dir string
	// Env is the base environment (nil: the process's).
	Env []string
	// KeepHooksPath leaves core.hooksPath alone, for the one question that
	// is about hooks: where `scan install-hook` writes the pre-commit hook
	// (it runs none).
	KeepHooksPath bool
	// Config is further configuration for this command ("name=value"),
	// given with -c before the subcommand.
	Config []string
}

// touchesWorkTree are the commands that may read work-tree files and so
// run a repository's clean filters (racily clean index entries are
// re-hashed through them): the filter drivers its configuration defines are
// blanked for them. Other commands never convert content.
var touchesWorkTree = map[string]bool{"diff": true, "ls-files": true, "status": true}

// Command returns git with args in dir, with repository configuration that
// runs programs or reshapes output neutralised (see the package doc).
func Command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	return CommandOpts(ctx, Options{Dir: dir}, args...)
}

// CommandOpts is Command with options.
func CommandOpts(ctx context.Context, o Options, args ...string) *exec.Cmd {
	base := o.Env
	if base == nil {
		base = os.Environ()
	}
	env := Env(base)
	if len(args) > 0 && touchesWorkTree[args[0]] {
		o.Config = append(filterOff(ctx, o.Dir, env), o.Config...)
	}
	cmd := exec.CommandContext(ctx, "git", Args(o, args...)...)
	cmd.Dir = o.Dir
	cmd.Env = env
	return cmd
}

// filterOff lists the filter drivers the configuration in dir defines
// (git config runs nothing) and returns the settings that blank them. An
// unreadable configuration yields none: the command itself then fails.
func filterOff(ctx context.Context, dir string, env []string) []string {
	cmd := exec.CommandContext(ctx, "git", Args(Options{}, "config", "-z", "--name-only", "--get-regexp", `^filter\.`)...)
	cmd.Dir, cmd.Env = dir, env
	out, _ := cmd.Output()
	var kvs []string
	seen := map[string]bool{}
	for _, name := range strings.Split(string(out), "\x00") {
		// filter.<driver>.<key>; a driver name may hold dots.
		i, j := strings.IndexByte(name, '.'), strings.LastIndexByte(name, '.')
		if i < 0 || j <= i {
			continue
		}
		drv := name[i+1 : j]
		if seen[drv] {
			continue
		}
		seen[drv] = true
		kvs = append(kvs, "filter."+drv+".clean=", "filter."+drv+".smudge=", "filter."+drv+".process=", "filter."+drv+".required=false")
	}
	return kvs
}

// Args returns the full argument list (after "git") for args.
func Args(o Options, args ...string) []string {
	out := make([]string, 0, 2*len(neutral)+len(args)+8)
	out = append(out, "--no-pager")
	for _, kv := range neutral {
		if o.KeepHooksPath && strings.HasPrefix(kv, "core.hooksPath=") {
			continue
		}
		out = append(out, "-c", kv)
	}
	for _, kv := range o.Config {
		out = append(out, "-c", kv)
	}
	if len(args) == 0 {
		return out
	}
	out = append(out, args[0])
	out = append(out, switches[args[0]]...)
	return append(out, args[1:]...)
}

// Env returns base without the variables that would run a program, plus
// the ones that keep git from prompting, paging, replacing objects or
// fetching lazily.
func Env(base []string) []string {
	out := make([]string, 0, len(base)+6)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(unsafeEnv, name) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat", "PAGER=cat", "GIT_NO_REPLACE_OBJECTS=1",
		"GIT_NO_LAZY_FETCH=1", "GIT_PROTOCOL_FROM_USER=0")
}

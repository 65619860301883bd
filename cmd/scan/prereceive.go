package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/report"
	"nhiscan/scanner"
)

// processStart is set before main runs (package variables are
// initialised first); budgetStart refines it with the kernel's own start
// time of the process where it can.
var processStart = time.Now()

// hookStart is set by main to budgetStart(); zero in-process (tests), where
// the budget counts from the command's start.
var hookStart time.Time

// budgetStart is when the hook's time budget starts: when the process
// started, as the server's own limit counts.
func budgetStart() time.Time {
	now := time.Now()
	if ks, ok := kernelStart(now); ok && !ks.After(processStart) && processStart.Sub(ks) < 10*time.Second {
		return ks
	}
	return processStart
}

// defaultPushTimeout is the pre-receive time budget: below GitHub
// Enterprise Server's 5 s hook limit, with room for process start-up and
// for git to act on the answer.
const defaultPushTimeout = 4 * time.Second

// pushVerifyFailOn is --fail-on under --verify when the flag is not given:
// only a secret its provider proved dead may pass (with a warning); live,
// unknown (no answer in time, no egress from the server) and unverifiable
// ones are rejected.
const pushVerifyFailOn = "live,unknown,unverified"

// exitRejected rejects a push whatever --exit-code says (a timeout under
// --on-timeout closed, an unrecordable bypass, an uncheckable ref).
const exitRejected = 1

// Timeout policies.
const (
	failOpen   = "open"
	failClosed = "closed"
)

// maxShown bounds the secrets and locations printed on the pusher's
// terminal; the --report file has them all.
const (
	maxShownFindings  = 20
	maxShownLocations = 3
)

type preReceiveOpts struct {
	repo           string
	timeout        time.Duration
	onTimeout      string
	bypassLog      string
	pushOptBypass  bool
	getenv         func(string) string
	now            func() time.Time
	failOnExplicit bool
}

func newPreReceiveCmd(g *globalOpts) *cobra.Command {
	o := &preReceiveOpts{getenv: os.Getenv, now: time.Now}
	cmd := &cobra.Command{
		Use:   "pre-receive",
		Short: "Server-side push protection: reject a push that adds a secret (git pre-receive hook)",
		Long: `Run as a git server's pre-receive hook. git writes one "<old> <new> <ref>"
line per pushed ref on standard input; scan pre-receive scans only the
commits the push adds — a new branch, a fast-forward, a force push or a tag,
minus everything the repository's refs already reach — including objects git
still holds in its quarantine area. Deleted refs are ignored. It exits 0 to
accept the push and non-zero to reject all of it; the reason, one short
block per secret (ref, commit, path, line, rule, fingerprint, how to allow),
goes to standard error, which git shows on the pusher's terminal as
"remote:" lines.

Allowing a secret leaves a trace. A pusher allows a false positive with a
push option,
    git push -o nhiscan.allow=<fingerprint> [-o nhiscan.reason="<why>"]
(the server needs receive.advertisePushOptions=true), or by listing its
fingerprint or location in the .gitleaksignore of the pushed commit; a
.gitleaksignore in the repository folder on the server (or
--gitleaks-ignore-path) is the administrators' own list. Every allowed
secret, and every push let through unscanned after a timeout, is appended
as one JSON line to --bypass-log for the security team. If that line cannot
be written, the bypass is refused and the push rejected.

The scan has --timeout to finish (default 4s, below GitHub Enterprise
Server's 5 s hook limit). When it runs out, --on-timeout decides: "open"
(the default) accepts the push with a loud warning and a bypass-log entry
naming the unscanned refs, so that a large import or mirror push is never
blocked by the hook's speed while the security team can scan the range
afterwards (scan git --range OLD..NEW); "closed" rejects it. Errors (an
unreadable object, bad input) always reject.

With --verify, the remaining budget checks each secret with its provider.
By default (--fail-on ` + pushVerifyFailOn + `) only a secret
proven dead passes, with a warning; a live, unknown or unverifiable one is
rejected.

--format and --report write a full report of the push's secrets to a file on
the server; the pusher sees the short text only.`,
		Example: `  # hooks/pre-receive of a bare repository
  #!/bin/sh
  exec /usr/local/bin/scan pre-receive --bypass-log /var/log/nhiscan/bypass.jsonl

  scan pre-receive --timeout 10s --on-timeout closed
  scan pre-receive --verify                     # dead secrets pass with a warning
  git push -o nhiscan.allow=0123456789abcdef0123456789abcdef   # the pusher's side`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.failOnExplicit = cmd.Flags().Changed("fail-on")
			for _, f := range []string{"baseline", "only-verified", "remediate"} {
				if cmd.Flags().Changed(f) {
					return fmt.Errorf("--%s does not apply to pre-receive: allow secrets with .gitleaksignore or --gitleaks-ignore-path, so that each one is logged", f)
				}
			}
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", ".", "the repository receiving the push (git runs the hook inside it)")
	f.DurationVar(&o.timeout, "timeout", defaultPushTimeout, "time budget for the whole hook: scan, and verification with --verify")
	f.StringVar(&o.onTimeout, "on-timeout", failOpen, `when --timeout runs out: "open" accepts the push with a warning and a bypass-log entry, "closed" rejects it`)
	f.StringVar(&o.bypassLog, "bypass-log", "", `append a JSON line per allowed secret and per push accepted unscanned to this FILE (created 0600); "-" writes it to standard error (default: nhiscan-bypass.jsonl in the repository's git folder)`)
	f.BoolVar(&o.pushOptBypass, "allow-push-option", true, "let pushers allow a secret with git push -o nhiscan.allow=<fingerprint>; false leaves only the ignore files")
	return cmd
}

// bypassEntry is one line of the bypass log.
type bypassEntry struct {
	Time        time.Time   `json:"time"`
	Event       string      `json:"event"` // allowed-by-push-option, allowed-by-ignore-file, accepted-unscanned
	Repo        string      `json:"repo"`
	Pusher      string      `json:"pusher,omitempty"`
	RemoteAddr  string      `json:"remote_addr,omitempty"`
	Ref         string      `json:"ref,omitempty"`
	Fingerprint string      `json:"fingerprint,omitempty"`
	Rule        string      `json:"rule,omitempty"`
	Provider    string      `json:"provider,omitempty"`
	Source      string      `json:"source,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Locations   []bypassLoc `json:"locations,omitempty"`
	Updates     []pushedRef `json:"updates,omitempty"`
	Elapsed     string      `json:"elapsed,omitempty"`
	Tool        string      `json:"tool"`
}

type bypassLoc struct {
	Commit string `json:"commit,omitempty"`
	Path   string `json:"path"`
	Line   int    `json:"line"`
}

type pushedRef struct {
	Ref string `json:"ref"`
	Old string `json:"old"`
	New string `json:"new"`
}

// pusherIdentity names who pushed and from where, from the variables each
// server sets for its hooks (GitHub Enterprise, GitLab, Gitea/Forgejo,
// git http-backend).
func pusherIdentity(getenv func(string) string) (repo, pusher, addr string) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	repo = first("GITHUB_REPO_NAME", "GL_PROJECT_PATH")
	if repo == "" && getenv("GITEA_REPO_NAME") != "" {
		repo = getenv("GITEA_REPO_USER_NAME") + "/" + getenv("GITEA_REPO_NAME")
	}
	pusher = first("GITHUB_USER_LOGIN", "GL_USERNAME", "GITEA_PUSHER_NAME", "REMOTE_USER")
	addr = first("GITHUB_USER_IP", "REMOTE_ADDR")
	return repo, pusher, addr
}

func (o *preReceiveOpts) run(cmd *cobra.Command, g *globalOpts) error {
	start := hookStart
	if start.IsZero() {
		start = o.now()
	}
	if o.timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	if o.onTimeout != failOpen && o.onTimeout != failClosed {
		return fmt.Errorf("--on-timeout %q: choose open or closed", o.onTimeout)
	}
	if g.verify && !o.failOnExplicit {
		g.failOn = pushVerifyFailOn
	}
	w := cmd.ErrOrStderr()
	ctx, cancel := context.WithDeadline(cmd.Context(), start.Add(o.timeout))
	defer cancel()

	updates, err := scanner.ParseRefUpdates(cmd.InOrStdin())
	if err != nil {
		return err
	}
	gitDir, err := scanner.GitDir(cmd.Context(), o.repo)
	if err != nil {
		return err
	}
	logPath := o.bypassLog
	if logPath == "" {
		logPath = filepath.Join(gitDir, "nhiscan-bypass.jsonl")
	}
	repoName, pusher, addr := pusherIdentity(o.getenv)
	if repoName == "" {
		repoName = gitDir
	}
	entry := func(event string) bypassEntry {
		return bypassEntry{Time: o.now().UTC(), Event: event, Repo: repoName, Pusher: pusher, RemoteAddr: addr, Tool: "nhiscan " + toolVersion()}
	}

	s, err := g.setup(cmd, o.repo)
	if err != nil {
		return err
	}
	// The administrators' list (a .gitleaksignore in the repository folder,
	// or --gitleaks-ignore-path) is applied below with the pushed ones, so
	// that every secret it lets through is logged.
	lists := []scanner.AllowList{{Source: g.serverIgnoreSource(o.repo), List: s.Ignore}}
	s.Ignore = nil

	// Out of time (and not interrupted): --on-timeout decides.
	outOfTime := func(err error) error {
		if ctx.Err() == nil || cmd.Context().Err() != nil {
			return err
		}
		return o.timedOut(w, updates, start, logPath, entry("accepted-unscanned"))
	}
	pr, err := s.ScanPush(ctx, o.repo, updates)
	if err != nil {
		return outOfTime(err)
	}
	if len(pr.Unscannable) > 0 {
		fmt.Fprintln(w, "nhiscan: push rejected: these refs point at a tree or blob, not a commit, and cannot be checked for secrets:")
		for _, u := range pr.Unscannable {
			fmt.Fprintf(w, "  %s -> %s\n", report.Sanitize(u.Ref), u.New)
		}
		return exitCodeError{exitRejected}
	}

	if len(pr.Findings) > 0 {
		var tips []string
		for _, u := range updates {
			if !u.Deletion() {
				tips = append(tips, u.New)
			}
		}
		pushed, err := scanner.IgnoreFiles(ctx, o.repo, tips)
		if err != nil {
			return outOfTime(err)
		}
		lists = append(lists, pushed...)
	}
	var allow scanner.PushAllow
	if opts := scanner.PushOptions(o.getenv); len(opts) > 0 {
		allow = scanner.ParsePushAllow(opts)
		if !o.pushOptBypass && len(allow.Fingerprints) > 0 {
			fmt.Fprintln(w, "nhiscan: note: this server does not accept nhiscan.allow push options; use .gitleaksignore")
			allow.Fingerprints = nil
		}
		for _, m := range allow.Malformed {
			fmt.Fprintf(w, "nhiscan: note: push option %s=%s is not a fingerprint (32 hex digits); it allows nothing\n", scanner.AllowOption, report.Sanitize(m))
		}
	}
	kept, bypassed := scanner.SplitBypassed(pr.Findings, allow, lists)

	res := &finding.Result{Findings: kept, Stats: pr.Stats}
	if g.verify && len(kept) > 0 {
		if left := time.Until(start.Add(o.timeout)); !cmd.Flags().Changed("verify-timeout") || left < g.verifyTimeout {
			g.verifyTimeout = max(left, time.Millisecond)
		}
		if err := g.verifyFindings(ctx, res); err != nil {
			return err
		}
	}
	meta := ruleInfos(s.Engine.Rules())
	var blocking, passing []finding.Finding
	for _, f := range res.Findings {
		if g.failing([]finding.Finding{f}, meta) {
			blocking = append(blocking, f)
		} else {
			passing = append(passing, f)
		}
	}
	// A bypass counts when the push is accepted, and only once it is
	// recorded: one that cannot be recorded is refused.
	forceReject := false
	recorded := len(bypassed) > 0 && (len(blocking) == 0 || g.exitCode == 0)
	if recorded {
		if err := appendBypassLog(logPath, w, o.bypassEntries(entry, bypassed, allow, pr.RefOf)); err != nil {
			fmt.Fprintf(w, "nhiscan: the bypass log cannot be written (%v): the secrets allowed below are not allowed\n", err)
			for _, b := range bypassed {
				blocking = append(blocking, b.Finding)
			}
			bypassed, recorded, forceReject = nil, false, true
		}
	}
	if g.reportPath != "" {
		if err := o.writeReport(g, meta, append(append([]finding.Finding{}, res.Findings...), bypassedFindings(bypassed)...), pr.Stats); err != nil {
			return err
		}
	}
	for _, b := range bypassed {
		via := "push option " + scanner.AllowOption
		if b.Via == "ignore-file" {
			via = "ignore file " + report.Sanitize(b.Source)
		}
		note := "recorded for the security team"
		if !recorded {
			note = "recorded once the push is accepted"
		}
		fmt.Fprintf(w, "nhiscan: allowed by %s: %s %s (%s)\n",
			via, report.Sanitize(b.Finding.RuleID), b.Finding.Fingerprint, note)
	}
	if len(passing) > 0 {
		fmt.Fprintf(w, "nhiscan: warning: the push adds %d secret(s) that this server lets through:\n", len(passing))
		writeSecrets(w, passing, pr.RefOf)
		fmt.Fprintln(w, "  Remove them anyway: a dead credential still tells an attacker where to look.")
	}
	if len(blocking) == 0 {
		if !g.quiet && len(pr.Findings) == 0 {
			g.log.Info("push scanned: no secrets", "commits", pr.Stats.Commits, "blobs", pr.Stats.Blobs, "elapsed", time.Since(start).Round(time.Millisecond))
		}
		return nil
	}
	// GitLab shows lines starting GL-HOOK-ERR: in its web interface too.
	if o.getenv("GL_PROTOCOL") != "" {
		fmt.Fprint(w, "GL-HOOK-ERR: ")
	}
	fmt.Fprintf(w, "nhiscan: push rejected: the pushed commits add %d secret(s):\n", len(blocking))
	writeSecrets(w, blocking, pr.RefOf)
	fmt.Fprintln(w, "What to do:")
	fmt.Fprintln(w, "  1. Revoke or rotate a real credential first: once pushed anywhere, treat it as leaked.")
	fmt.Fprintln(w, "  2. Remove it from every pushed commit (git rebase -i, git commit --amend), then push again;")
	fmt.Fprintln(w, "     a commit that deletes it later does not remove it from the history.")
	fmt.Fprintln(w, "  3. A false positive: add its fingerprint to .gitleaksignore in the pushed commit,")
	if o.pushOptBypass {
		fmt.Fprintln(w, "     or push with  git push -o nhiscan.allow=<fingerprint> -o nhiscan.reason=\"<why>\"")
	}
	fmt.Fprintln(w, "     (every allowed secret is recorded for the security team).")
	if forceReject {
		return exitCodeError{exitRejected}
	}
	return exitCodeError{g.exitCode}
}

// bypassEntries are the bypass-log lines of the allowed secrets.
func (o *preReceiveOpts) bypassEntries(entry func(string) bypassEntry, bypassed []scanner.Bypass, allow scanner.PushAllow, refs map[string]string) []bypassEntry {
	var lines []bypassEntry
	for _, b := range bypassed {
		e := entry("allowed-by-" + b.Via)
		e.Ref = refOf(refs, b.Finding)
		e.Fingerprint, e.Rule, e.Provider, e.Source = b.Finding.Fingerprint, b.Finding.RuleID, b.Finding.Provider, b.Source
		if b.Via == "push-option" {
			e.Reason = allow.Reason
		}
		for _, l := range b.Finding.Locations {
			e.Locations = append(e.Locations, bypassLoc{Commit: l.Commit, Path: l.Path, Line: l.Line})
		}
		lines = append(lines, e)
	}
	return lines
}

// serverIgnoreSource names the administrators' ignore list in the log.
func (g *globalOpts) serverIgnoreSource(repo string) string {
	if g.ignorePath != "" {
		return g.ignorePath
	}
	return filepath.Join(repo, ".gitleaksignore")
}

// timedOut applies --on-timeout.
func (o *preReceiveOpts) timedOut(w io.Writer, updates []scanner.RefUpdate, start time.Time, logPath string, e bypassEntry) error {
	elapsed := time.Since(start).Round(time.Millisecond)
	if o.onTimeout == failClosed {
		fmt.Fprintf(w, "nhiscan: push rejected: the secret scan did not finish within %s (--on-timeout closed).\n", o.timeout)
		fmt.Fprintln(w, "  Push fewer commits at a time, or ask the administrators to raise the hook's --timeout.")
		return exitCodeError{exitRejected}
	}
	e.Elapsed = elapsed.String()
	for _, u := range updates {
		e.Updates = append(e.Updates, pushedRef{Ref: u.Ref, Old: u.Old, New: u.New})
	}
	if err := appendBypassLog(logPath, w, []bypassEntry{e}); err != nil {
		fmt.Fprintf(w, "nhiscan: push rejected: the secret scan did not finish within %s, and the bypass log cannot record the unscanned push (%v).\n", o.timeout, err)
		return exitCodeError{exitRejected}
	}
	fmt.Fprintln(w, "nhiscan: ************************************************************")
	fmt.Fprintf(w, "nhiscan: WARNING: this push was NOT checked for secrets: the scan did not\n")
	fmt.Fprintf(w, "nhiscan: finish within %s. It is accepted (--on-timeout open) and recorded;\n", o.timeout)
	fmt.Fprintln(w, "nhiscan: the security team scans it later. Run `scan git --range OLD..NEW` yourself.")
	fmt.Fprintln(w, "nhiscan: ************************************************************")
	return nil
}

// appendBypassLog appends the entries as JSON lines to path ("-": w), in
// one write so that concurrent hooks do not interleave lines.
func appendBypassLog(path string, w io.Writer, entries []bypassEntry) error {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if path == "-" {
		_, err := io.WriteString(w, buf.String())
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link; refusing to write through it", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(buf.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (o *preReceiveOpts) writeReport(g *globalOpts, meta map[string]report.RuleInfo, fs []finding.Finding, stats finding.Stats) error {
	opts := report.Options{ShowSecrets: g.showSecrets, ToolVersion: toolVersion(), Rules: meta}
	return writeFileWhole(g.reportPath, func(w io.Writer) error {
		return report.Write(w, g.format, finding.Result{Findings: fs, Stats: stats}, opts)
	})
}

func bypassedFindings(bs []scanner.Bypass) []finding.Finding {
	out := make([]finding.Finding, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Finding)
	}
	return out
}

// refOf is the pushed ref that brings a finding's first located commit.
func refOf(m map[string]string, f finding.Finding) string {
	for _, l := range f.Locations {
		if r := m[l.Commit]; r != "" {
			return r
		}
	}
	return ""
}

// writeSecrets prints one short block per secret for the pusher's
// terminal. Secrets appear only redacted; names from the push are
// sanitized.
func writeSecrets(w io.Writer, fs []finding.Finding, refs map[string]string) {
	for i, f := range fs {
		if i == maxShownFindings {
			fmt.Fprintf(w, "  … and %d more secret(s)\n", len(fs)-i)
			break
		}
		red := f.Redacted
		if red == "" || red == f.Secret {
			red = finding.Redact(f.Secret)
		}
		fmt.Fprintf(w, "  - %s %s\n", report.Sanitize(f.RuleID), report.Sanitize(red))
		for j, l := range f.Locations {
			if j == maxShownLocations {
				fmt.Fprintf(w, "      … and %d more place(s)\n", len(f.Locations)-j)
				break
			}
			where := report.Sanitize(l.Path)
			if l.Line > 0 {
				where += fmt.Sprintf(":%d", l.Line)
			}
			at := ""
			if l.Commit != "" {
				at = "commit " + shortID(l.Commit) + " "
			}
			if r := refs[l.Commit]; r != "" {
				at = report.Sanitize(r) + " " + at
			}
			fmt.Fprintf(w, "      %s%s\n", at, where)
		}
		line := "      fingerprint " + f.Fingerprint
		if v := f.Verification; v != nil {
			line += "; verified " + string(v.Status)
			if v.Reason != "" && v.Status != finding.StatusLive {
				line += " (" + report.Sanitize(truncateRunes(v.Reason, 80)) + ")"
			}
		}
		fmt.Fprintln(w, line)
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

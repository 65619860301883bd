package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"nhiscan/providers/all"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"nhiscan/finding"
	"nhiscan/internal/report"
	"nhiscan/internal/termsafe"
	"nhiscan/rules"
	"nhiscan/scanner"
	"nhiscan/verifiers"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// toolVersion is the version written into reports: -ldflags' version, else
// the module version of the build, else "dev".
func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// versionLine is what `scan version` and `scan --version` print: the
// module version, the VCS revision and time of the build (from the build
// info, when built from a checkout with VCS stamping), and the Go version,
// e.g. "nhiscan v0.3.0, revision 2cdee84e1a2b (2026-12-04T16:36:13Z), go1.26.8".
func versionLine() string {
	line := "nhiscan " + toolVersion()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	var rev, at, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		line += ", revision " + rev
		if at != "" || modified != "" {
			line += " (" + strings.TrimPrefix(at+modified, ", ") + ")"
		}
	} else {
		line += ", no VCS revision recorded"
	}
	return line + ", " + bi.GoVersion
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// globalOpts are the flags the commands share (each command registers the
// groups it uses: see addCommandFlags).
type globalOpts struct {
	configPath  string
	format      string
	reportPath  string
	showSecrets bool
	redact      uint // gitleaks' --redact; secrets are always redacted unless --show-secrets
	exitCode    int
	workers     int
	quiet       bool
	verbose     bool
	baseline    string
	ignorePath  string
	maxTargetMB int
	maxDecode   int
	scanBinary  bool
	enableRules []string
	// ruleText, when set, limits the built-in rules to those that could
	// match it (scan staged: see rules.Options.ForText).
	ruleText []byte
	repoURL  string // --repo-url, or derived per scan (repoURLFor)
	progress string // --progress: auto, bar, lines, none
	source   string // what the command scans, for the text report: "" (history), "dir", "staged"
	target   string // the scanned repository or folder, named in HTML reports

	// verification (see verify.go)
	verify        bool
	onlyVerified  bool
	failOn        string
	verifyTimeout time.Duration // the whole verification phase
	verifyRequest time.Duration // one request
	verifyMax     int           // request budget
	verifyWorkers int
	verifyConfig  string              // operator config: self-hosted hosts, canary accounts
	registry      *verifiers.Registry // built by checkVerifyFlags
	verifyMu      sync.Mutex          // guards the lazy checker (org verifies repositories in parallel)
	checkerOnce   *verifiers.Checker  // one per run: its cache and request budget span the run

	fp    finding.Fingerprinter // the run's credential fingerprints (fpkey.go)
	fpSet bool

	noProxy     bool // --no-proxy (egress.go)
	proxyWarned sync.Once

	// read while validating, before any work
	baselineFPs  map[string]bool
	baselineLocs *scanner.IgnoreList

	display *progressDisplay // the running progress display, if any
	stderr  io.Writer        // the run's stderr, for progress displays and the one proxy warning
	// crawl: verification runs per repository, concurrently, under the
	// crawl's own progress display
	crawl bool
	log   *slog.Logger // set by setup
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Logs, progress lines and warnings reach stderr from several
	// goroutines (crawl workers, verifiers): one lock keeps lines whole.
	stderr = &lockedWriter{w: stderr}
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil {
		// Ctrl-C or SIGTERM: child processes were stopped with the
		// context, and nothing half-done was written (reports are written
		// whole, or not at all).
		fmt.Fprintln(stderr, "scan: interrupted")
		return exitInterrupted
	}
	if err != nil {
		var ec exitCodeError
		if !errors.As(err, &ec) {
			fmt.Fprintf(stderr, "scan: %s\n", termsafe.Line(err.Error()))
		}
	}
	return codeOf(err)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOpts{stderr: stderr}
	root := &cobra.Command{
		Use:   "scan",
		Short: "Find leaked non-human-identity credentials in git history, trees and staged changes",
		Long: `scan finds leaked non-human-identity credentials — API keys, bot and service
tokens, cloud access keys, service-account keys, private keys — in git history,
in a working tree, or in the changes staged for the next commit.

It reports one finding per secret, with every place the secret was added.
Secrets are redacted in every output unless --show-secrets is given.

With --verify, each secret is checked once against its own provider's
official API (live, dead or unknown) and the report shows who it belongs to
and what it may do.

Exit codes: 0 no findings, 1 findings (see --exit-code and --fail-on), 2 error,
130 interrupted.`,
		Example: `  scan git .                         # whole history of the repo here, every ref
  scan git --range origin/main..HEAD  # only the commits of a branch or PR
  scan dir ./deploy --format json     # files on disk
  scan staged                         # pre-commit: lines added in the index
  scan pre-receive                    # server hook: reject a push that adds a secret
  scan git . --verify --fail-on live  # check each secret; fail only on live ones
  scan verify old-report.json --repo . # re-check an earlier report`,
		Version:       versionLine(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)

	root.AddCommand(newGitCmd(g), newDirCmd(g), newStagedCmd(g), newVersionCmd(), newActionCmd(g), newInstallHookCmd(), newVerifyCmd(g), newRemediateCmd(g), newReportCmd())
	root.AddCommand(newOrgCmd(g))   // org.go: the nightly org crawl
	root.AddCommand(newRulesCmd(g)) // rules.go: scan rules list|test
	// prereceive.go, prepush.go: push protection on the server and before a push
	root.AddCommand(newPreReceiveCmd(g), newPrePushCmd(g))
	g.addCommandFlags(root)
	return root
}

// addCommandFlags gives each command the flag groups it uses, so that the
// help of version, rules, install-hook, report and remediate does not list
// scan flags. Every command not named here is a scan command and gets them
// all.
func (g *globalOpts) addCommandFlags(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "version", "install-hook", "report", "help", "completion":
		case "rules":
			for _, sc := range c.Commands() {
				f := sc.Flags()
				formats := "text, json or csv"
				if sc.Name() == "test" {
					formats = "text or json"
				}
				f.StringVarP(&g.format, "format", "f", "text", "output format: "+formats)
				f.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but the list and errors")
				if sc.Name() == "test" {
					f.BoolVar(&g.showSecrets, "show-secrets", false, "print the matched values raw (redacted by default)")
				}
				g.addRuleFlags(f)
			}
		case "remediate":
			f := c.Flags()
			g.addOutputFlags(f, false)
			f.StringVarP(&g.configPath, "config", "c", "", "gitleaks-format TOML rules `FILE` (the rules the report was made with)")
			f.StringVar(&g.verifyConfig, "verify-config", "", "operator `FILE` with a verify section, for the re-verification after each step")
			f.DurationVar(&g.verifyRequest, "verify-request-timeout", defaultVerifyRequest, "time allowed for one re-verification request")
			f.BoolVar(&g.noProxy, "no-proxy", false, "connect to providers directly, ignoring HTTPS_PROXY/NO_PROXY, so no proxy can see a credential")
		case "verify":
			f := c.Flags()
			g.addOutputFlags(f, true)
			g.addRuleFlags(f)
			f.IntVar(&g.exitCode, "exit-code", 1, "exit code when --fail-on holds; 0 never fails, 2 is kept for errors")
			g.addVerifyFlags(f)
		default:
			f := c.Flags()
			g.addOutputFlags(f, true)
			g.addRuleFlags(f)
			g.addScanFlags(f)
			g.addVerifyFlags(f)
			g.addRemediateFlags(f)
		}
	}
}

// addOutputFlags registers the one output vocabulary: --format and
// --report, and gitleaks' names for them (--report-format, --report-path,
// --redact) as hidden aliases.
func (g *globalOpts) addOutputFlags(f *pflag.FlagSet, secrets bool) {
	f.StringVarP(&g.format, "format", "f", "text", "output format: "+strings.Join(report.Formats, ", ")+"; "+report.HTMLNoSecrets)
	f.StringVarP(&g.reportPath, "report", "r", "", "write the report to this file (created 0600, written whole or not at all) instead of stdout; stderr then gets a short summary (never a secret) unless --quiet")
	f.StringVar(&g.format, "report-format", "text", "gitleaks' name for --format")
	f.StringVar(&g.reportPath, "report-path", "", "gitleaks' name for --report")
	_ = f.MarkHidden("report-format")
	_ = f.MarkHidden("report-path")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but the report and errors")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "log progress, skipped objects and what was suppressed to stderr")
	if secrets {
		f.BoolVar(&g.showSecrets, "show-secrets", false, "print raw secrets in text/json/jsonl/csv output (never in SARIF or HTML); off by default")
		f.UintVar(&g.redact, "redact", 0, "gitleaks' redaction flag; secrets are always redacted unless --show-secrets")
		f.Lookup("redact").NoOptDefVal = "100"
		_ = f.MarkHidden("redact")
	}
}

// addRuleFlags registers the flags that choose and tune the rules.
func (g *globalOpts) addRuleFlags(f *pflag.FlagSet) {
	f.StringVarP(&g.configPath, "config", "c", "", "gitleaks-format TOML rules `FILE`; with [extend] useDefault = true it adds to the built-in rules, otherwise it replaces them")
	f.StringSliceVar(&g.enableRules, "enable-rule", nil, "only use these rule ids (repeatable)")
	f.IntVar(&g.maxDecode, "max-decode-depth", 5, "decode base64/hex/percent-encoded text up to this many layers before matching (0 = off)")
}

// addScanFlags registers the flags of the commands that scan.
func (g *globalOpts) addScanFlags(f *pflag.FlagSet) {
	f.IntVar(&g.exitCode, "exit-code", 1, "exit code when --fail-on holds (by default: when findings exist); 0 never fails, 2 is kept for errors")
	f.IntVar(&g.workers, "workers", 0, "parallel scanning workers (default: number of CPUs)")
	f.StringVar(&g.baseline, "baseline", "", "JSON report of an earlier scan (nhiscan or gitleaks); report only secrets not in it")
	f.StringVar(&g.baseline, "baseline-path", "", "gitleaks' name for --baseline")
	_ = f.MarkHidden("baseline-path")
	f.StringVar(&g.ignorePath, "gitleaks-ignore-path", "", "a .gitleaksignore file or a folder holding one (default: the scanned folder)")
	f.IntVar(&g.maxTargetMB, "max-target-megabytes", 25, "skip blobs and files larger than this many megabytes (counted and reported; named with -v); 0 = no limit")
	f.BoolVar(&g.scanBinary, "scan-binary", false, "also scan binary files (NUL byte in the first 8000 bytes); by default they are counted and skipped")
	f.StringVar(&g.repoURL, "repo-url", "", "web address of the repository, for links to commit and line in reports (default: the origin remote, or the repository of a GitHub Actions run)")
	f.StringVar(&g.progress, "progress", "auto", "progress display on stderr: auto (a bar when stderr is a terminal, none with --quiet or in CI), bar, lines (a status line every few seconds), none")
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version (module version, VCS revision of the build, Go version)",
		Example: "  scan version\n  scan --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// validate checks every flag and every input file the run will need —
// before any work, so a typo never costs a whole scan.
func (g *globalOpts) validate() error {
	if !validFormat(g.format) {
		return fmt.Errorf("--format %q: choose one of %s", g.format, strings.Join(report.Formats, ", "))
	}
	if g.exitCode < 0 || g.exitCode > 255 {
		return fmt.Errorf("--exit-code %d: must be 0..255", g.exitCode)
	}
	if g.maxTargetMB < 0 || g.maxDecode < 0 || g.workers < 0 {
		return errors.New("--max-target-megabytes, --max-decode-depth and --workers must not be negative")
	}
	if g.redact > 100 {
		return fmt.Errorf("--redact %d: want a percentage, 0..100", g.redact)
	}
	if g.redact > 0 && g.showSecrets {
		return errors.New("--redact and --show-secrets contradict each other: choose one")
	}
	if g.progress != "" {
		if err := checkProgress(g.progress); err != nil {
			return err
		}
	}
	if err := g.checkVerifyFlags(); err != nil {
		return err
	}
	if err := g.checkRemediateFlags(); err != nil {
		return err
	}
	if g.baseline != "" && g.baselineFPs == nil {
		known, locs, err := loadBaseline(g.baseline)
		if err != nil {
			return err
		}
		g.baselineFPs, g.baselineLocs = known, locs
	}
	if g.reportPath != "" {
		if err := checkReportPath(g.reportPath); err != nil {
			return err
		}
	}
	return nil
}

// setup validates the flags and builds the scanner they describe. target is
// the scanned folder (or file), where a .gitleaksignore is looked for by
// default.
func (g *globalOpts) setup(cmd *cobra.Command, target string) (*scanner.Scanner, error) {
	log := g.logger(cmd)
	if err := g.validate(); err != nil {
		return nil, err
	}
	g.target = target
	rs, err := rules.Load(rules.Options{ConfigPath: g.configPath, EnableRules: g.enableRules, ForText: g.ruleText})
	if err != nil {
		return nil, err
	}
	ig, err := g.ignoreList(target)
	if err != nil {
		return nil, err
	}
	fp, err := g.fingerprinter(cmd.Context(), nil)
	if err != nil {
		return nil, err
	}
	parts := g.registry
	if parts == nil {
		parts = all.Default()
	}
	return &scanner.Scanner{
		Parts:        parts,
		Fingerprints: fp,
		Engine:       scanner.NewEngine(rs, g.maxDecode),
		Workers:      g.workers,
		MaxBlobBytes: int64(g.maxTargetMB) * 1_000_000,
		ScanBinary:   g.scanBinary,
		Ignore:       ig,
		Log:          log,
	}, nil
}

func validFormat(f string) bool {
	for _, v := range report.Formats {
		if strings.EqualFold(f, v) {
			return true
		}
	}
	return false
}

func (g *globalOpts) ignoreList(target string) (*scanner.IgnoreList, error) {
	p := g.ignorePath
	if p == "" {
		// The scanned folder's .gitleaksignore; for a single file, the one
		// beside it (never the scanned file itself).
		p = dirOf(target)
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		p = filepath.Join(p, ".gitleaksignore")
	} else if g.ignorePath != "" && err != nil {
		return nil, fmt.Errorf("--gitleaks-ignore-path: %w", err)
	}
	return scanner.LoadIgnoreFile(p)
}

// logger is the run's logger: warnings (or progress with -v) on stderr, in
// one style ("warning: message key=value"). setup sets g.log; commands that
// do not scan call it directly.
func (g *globalOpts) logger(cmd *cobra.Command) *slog.Logger {
	if g.log != nil {
		return g.log
	}
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	if g.quiet {
		level = slog.LevelError
	}
	g.log = slog.New(newLineHandler(cmd.ErrOrStderr(), level))
	return g.log
}

// finish applies the baseline, verifies the findings (--verify), keeps only
// live ones (--only-verified), writes the report and picks the exit code
// (--fail-on, --exit-code).
func (g *globalOpts) finish(cmd *cobra.Command, s *scanner.Scanner, res *finding.Result) error {
	g.stopProgress()
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	g.applyBaseline(res)
	if g.verify {
		if err := g.verifyFindings(cmd.Context(), res); err != nil {
			return err
		}
	}
	g.remediateScan(cmd, res)
	return g.output(cmd, ruleInfos(s.Engine.Rules()), res)
}

// applyBaseline drops the findings (and locations) the earlier report read
// by validate already holds, and counts them.
func (g *globalOpts) applyBaseline(res *finding.Result) {
	if g.baseline == "" {
		return
	}
	sup := &res.Stats.Suppressed
	dropped := func(f *finding.Finding) {
		sup.Baseline++
		if len(sup.Names) < finding.MaxSuppressedNames {
			l := f.FirstLocation()
			sup.Names = append(sup.Names, fmt.Sprintf("%s:%d %s (baseline)", l.Path, l.Line, f.RuleID))
		}
	}
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if g.baselineFPs[f.Fingerprint] || slices.ContainsFunc(f.Aliases, func(a string) bool { return g.baselineFPs[a] }) {
			dropped(&f)
			continue
		}
		// A redacted gitleaks baseline names locations, not secrets.
		locs := f.Locations[:0:0]
		for _, l := range f.Locations {
			if g.baselineLocs == nil || !g.baselineLocs.Ignored("", f.RuleID, l) {
				locs = append(locs, l)
			}
		}
		if len(locs) == 0 {
			dropped(&f)
			continue
		}
		f.Locations = locs
		kept = append(kept, f)
	}
	res.Findings = kept
}

// reportOptions are the writer options of this run.
func (g *globalOpts) reportOptions(meta map[string]report.RuleInfo) report.Options {
	return report.Options{
		ShowSecrets: g.showSecrets,
		ToolVersion: toolVersion(),
		Rules:       meta,
		RepoURL:     g.repoURL,
		Source:      g.source,
		Verbose:     g.verbose,
		GeneratedAt: time.Now(),
		Repository:  repoLabel(g.target),
	}
}

// repoLabel names a scanned folder for a report: its base name.
func repoLabel(target string) string {
	if target == "" {
		return ""
	}
	if abs, err := filepath.Abs(target); err == nil {
		target = abs
	}
	return filepath.Base(target)
}

// output applies --only-verified, writes the report (to --report or
// stdout) and returns the exit code --fail-on and --exit-code choose. With
// --report, stderr gets only a short summary: no secret ever reaches a
// terminal or a CI log that way.
func (g *globalOpts) output(cmd *cobra.Command, meta map[string]report.RuleInfo, res *finding.Result) error {
	g.stopProgress()
	if err := cmd.Context().Err(); err != nil {
		return err // interrupted: write nothing
	}
	if g.onlyVerified {
		res.Findings = onlyLive(res.Findings)
	}
	opts := g.reportOptions(meta)
	quietClean := len(res.Findings) == 0 && strings.EqualFold(g.format, "text") &&
		(g.quiet || (g.source == "staged" && !g.verbose)) // a clean commit prints nothing
	switch {
	case g.reportPath != "" && g.reportPath != "-":
		if err := writeFileWhole(g.reportPath, func(w io.Writer) error {
			return report.Write(w, g.format, *res, opts)
		}); err != nil {
			return err
		}
		if !g.quiet {
			if err := report.WriteSummary(cmd.ErrOrStderr(), *res, opts); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "report (%s) written to %s\n", strings.ToLower(g.format), termsafe.Clean(g.reportPath))
		}
	case !quietClean:
		if err := report.Write(cmd.OutOrStdout(), g.format, *res, opts); err != nil {
			return err
		}
	}
	if g.failing(res.Findings, meta) {
		return exitCodeError{g.exitCode}
	}
	return nil
}

// loadBaseline reads an earlier report: the fingerprints of its secrets,
// and, for findings read from a redacted gitleaks report (no secret, so no
// fingerprint), their locations in .gitleaksignore form.
func loadBaseline(path string) (map[string]bool, *scanner.IgnoreList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--baseline: %w", err)
	}
	defer f.Close()
	fs, err := report.ReadJSON(f)
	if err != nil {
		return nil, nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	known := make(map[string]bool, len(fs))
	var locs strings.Builder
	for _, x := range fs {
		if x.Fingerprint != "" {
			known[x.Fingerprint] = true
			for _, a := range x.Aliases {
				known[a] = true
			}
			continue
		}
		for _, l := range x.Locations {
			if strings.ContainsAny(l.Path, "\r\n") {
				continue // cannot be written as an ignore line
			}
			if l.Commit != "" {
				fmt.Fprintf(&locs, "%s:%s:%s:%d\n", l.Commit, l.Path, x.RuleID, l.Line)
			} else {
				fmt.Fprintf(&locs, "%s:%s:%d\n", l.Path, x.RuleID, l.Line)
			}
		}
	}
	il, err := scanner.ParseIgnore(strings.NewReader(locs.String()))
	if err != nil {
		return nil, nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return known, il, nil
}

// checkReportPath fails, before any work, when a report could not be
// written at path: a missing or unwritable folder, a folder or a symbolic
// link at the path.
func checkReportPath(path string) error {
	if path == "-" {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("--report %s: is a symbolic link; refusing to write through it", path)
		case fi.IsDir():
			return fmt.Errorf("--report %s: is a folder", path)
		}
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--report %s: %s is not a folder", path, dir)
	}
	f, err := os.CreateTemp(dir, ".nhiscan-report-*")
	if err != nil {
		return fmt.Errorf("--report %s: folder not writable: %w", path, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// writeFileWhole writes a report to path whole or not at all: into a
// temporary file (0600) beside it, renamed over path once complete. An
// interrupted or failed write leaves path as it was; a symbolic link or a
// hard link at path is replaced, never written through.
func writeFileWhole(path string, write func(io.Writer) error) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("report %s: is a symbolic link; refusing to write through it", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".nhiscan-report-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	ok = true
	return nil
}

func ruleInfos(rs *rules.Ruleset) map[string]report.RuleInfo {
	out := make(map[string]report.RuleInfo, len(rs.Config.Rules))
	for id, r := range rs.Config.Rules {
		m := rs.Meta(id)
		out[id] = report.RuleInfo{ID: id, Description: r.Description, Provider: m.Provider,
			Severity: m.Severity, Remediation: m.Remediation, Tags: append(append([]string{}, r.Tags...), m.Tags...)}
	}
	return out
}

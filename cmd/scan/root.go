package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/report"
	"nhiscan/rules"
	"nhiscan/scanner"
	"nhiscan/verifiers"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
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

// globalOpts are the flags every scan command shares.
type globalOpts struct {
	configPath  string
	format      string
	reportPath  string
	showSecrets bool
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
	ruleText      []byte
	noIgnoreFiles bool
	repoURL       string // --repo-url, or derived per scan (repoURLFor)

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

	log *slog.Logger // set by setup
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Logs, progress lines and warnings reach stderr from several
	// goroutines (crawl workers, verifiers): one lock keeps lines whole.
	stderr = &lockedWriter{w: stderr}
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ec exitCodeError
		if !errors.As(err, &ec) {
			fmt.Fprintf(stderr, "scan: %v\n", err)
		}
	}
	return codeOf(err)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOpts{}
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

Exit codes: 0 no findings, 1 findings (see --exit-code and --fail-on), 2 error.`,
		Example: `  scan git .                         # whole history of the repo here, every ref
  scan git --range origin/main..HEAD  # only the commits of a branch or PR
  scan dir ./deploy --format json     # files on disk
  scan staged                         # pre-commit: lines added in the index
  scan git . --verify --fail-on live  # check each secret; fail only on live ones
  scan verify old-report.json --repo . # re-check an earlier report`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.configPath, "config", "c", "", "gitleaks-format TOML rules `FILE`; with [extend] useDefault = true it adds to the built-in rules, otherwise it replaces them")
	pf.StringVarP(&g.format, "format", "f", "text", "output format: "+strings.Join(report.Formats, ", ")+"; "+report.HTMLNoSecrets)
	pf.StringVarP(&g.reportPath, "report", "r", "", "write the report to this file (created 0600) instead of stdout; a text summary still goes to stderr unless --quiet")
	pf.BoolVar(&g.showSecrets, "show-secrets", false, "print raw secrets in text/json/jsonl/csv output (never in SARIF or HTML); off by default")
	pf.IntVar(&g.exitCode, "exit-code", 1, "exit code when --fail-on holds (by default: when findings exist); 0 never fails, 2 is kept for errors")
	pf.IntVar(&g.workers, "workers", 0, "parallel scanning workers (default: number of CPUs)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print nothing but the report and errors")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log progress and skipped objects to stderr")
	pf.StringVar(&g.baseline, "baseline", "", "JSON report of an earlier scan (nhiscan or gitleaks); report only secrets not in it")
	pf.StringVar(&g.ignorePath, "gitleaks-ignore-path", "", "a .gitleaksignore file or a folder holding one (default: the scanned folder)")
	pf.IntVar(&g.maxTargetMB, "max-target-megabytes", 25, "skip blobs and files larger than this many megabytes (counted and reported); 0 = no limit")
	pf.IntVar(&g.maxDecode, "max-decode-depth", 5, "decode base64/hex/percent-encoded text up to this many layers before matching (0 = off)")
	pf.BoolVar(&g.scanBinary, "scan-binary", false, "also scan binary files (NUL byte in the first 8000 bytes); by default they are counted and skipped")
	pf.StringSliceVar(&g.enableRules, "enable-rule", nil, "only use these rule ids (repeatable)")
	pf.StringVar(&g.repoURL, "repo-url", "", "web address of the repository, for links to commit and line in reports (default: the origin remote, or the repository of a GitHub Actions run)")
	g.addVerifyFlags(pf)
	g.addRemediateFlags(pf)

	root.AddCommand(newGitCmd(g), newDirCmd(g), newStagedCmd(g), newVersionCmd(), newActionCmd(g), newInstallHookCmd(g), newVerifyCmd(g), newRemediateCmd(g), newReportCmd())
	root.AddCommand(newOrgCmd(g))   // org.go: the nightly org crawl (issue 6)
	root.AddCommand(newRulesCmd(g)) // rules.go: scan rules list|test (issue 3)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "  scan version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "nhiscan", toolVersion())
			return nil
		},
	}
}

// setup builds the scanner the flags describe. target is the scanned folder,
// where a .gitleaksignore is looked for by default.
func (g *globalOpts) setup(cmd *cobra.Command, target string) (*scanner.Scanner, error) {
	log := g.logger(cmd)
	if !validFormat(g.format) {
		return nil, fmt.Errorf("--format %q: choose one of %s", g.format, strings.Join(report.Formats, ", "))
	}
	if g.exitCode < 0 || g.exitCode > 255 {
		return nil, fmt.Errorf("--exit-code %d: must be 0..255", g.exitCode)
	}
	if g.maxTargetMB < 0 || g.maxDecode < 0 || g.workers < 0 {
		return nil, errors.New("--max-target-megabytes, --max-decode-depth and --workers must not be negative")
	}
	if err := g.checkVerifyFlags(); err != nil {
		return nil, err
	}
	rs, err := rules.Load(rules.Options{ConfigPath: g.configPath, EnableRules: g.enableRules, ForText: g.ruleText})
	if err != nil {
		return nil, err
	}
	ig, err := g.ignoreList(target)
	if err != nil {
		return nil, err
	}
	return &scanner.Scanner{
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
		p = target
	}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		p = filepath.Join(p, ".gitleaksignore")
	} else if g.ignorePath != "" && err != nil {
		return nil, fmt.Errorf("--gitleaks-ignore-path: %w", err)
	}
	return scanner.LoadIgnoreFile(p)
}

// logger is the run's logger (stderr; warnings, or progress with -v). setup
// sets g.log; commands that do not scan call it directly.
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
	g.log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	return g.log
}

// finish applies the baseline, verifies the findings (--verify), keeps only
// live ones (--only-verified), writes the report and picks the exit code
// (--fail-on, --exit-code).
func (g *globalOpts) finish(cmd *cobra.Command, s *scanner.Scanner, res *finding.Result) error {
	if err := g.applyBaseline(res); err != nil {
		return err
	}
	if g.verify {
		if err := g.verifyFindings(cmd.Context(), res); err != nil {
			return err
		}
	}
	g.remediateScan(cmd, res)
	return g.output(cmd, ruleInfos(s.Engine.Rules()), res)
}

// applyBaseline drops the findings (and locations) an earlier report
// already holds.
func (g *globalOpts) applyBaseline(res *finding.Result) error {
	if g.baseline != "" {
		known, knownLocs, err := loadBaseline(g.baseline)
		if err != nil {
			return err
		}
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if known[f.Fingerprint] {
				continue
			}
			// A redacted gitleaks baseline names locations, not secrets.
			locs := f.Locations[:0:0]
			for _, l := range f.Locations {
				if !knownLocs.Ignored("", f.RuleID, l) {
					locs = append(locs, l)
				}
			}
			if len(locs) == 0 {
				continue
			}
			f.Locations = locs
			kept = append(kept, f)
		}
		res.Findings = kept
	}
	return nil
}

// output applies --only-verified, writes the report (to --report or
// stdout) and returns the exit code --fail-on and --exit-code choose.
func (g *globalOpts) output(cmd *cobra.Command, meta map[string]report.RuleInfo, res *finding.Result) error {
	if g.onlyVerified {
		res.Findings = onlyLive(res.Findings)
	}
	opts := report.Options{
		ShowSecrets: g.showSecrets,
		ToolVersion: toolVersion(),
		Rules:       meta,
		RepoURL:     g.repoURL,
	}
	out := cmd.OutOrStdout()
	if g.reportPath != "" {
		f, err := createPrivate(g.reportPath)
		if err != nil {
			return err
		}
		if err := report.Write(f, g.format, *res, opts); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if !g.quiet {
			if err := report.Write(cmd.ErrOrStderr(), "text", *res, opts); err != nil {
				return err
			}
		}
	} else if !(g.quiet && len(res.Findings) == 0 && g.format == "text") {
		if err := report.Write(out, g.format, *res, opts); err != nil {
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

// createPrivate creates (or truncates) a report file readable only by its
// owner, refusing to write through a symbolic link.
func createPrivate(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("report %s: is a symbolic link; refusing to write through it", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|noFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("report: %w", err)
	}
	return f, nil
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

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"nhiscan/providers/all"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"nhiscan/finding"
	"nhiscan/internal/report"
	"nhiscan/rules"
	"nhiscan/verifiers"
)

// Verification defaults: a whole run's verification phase is bounded by
// --verify-timeout, each request by --verify-request-timeout, and the number
// of requests by --verify-max-requests.
const (
	defaultVerifyTimeout = 2 * time.Minute
	defaultVerifyRequest = 10 * time.Second
	defaultVerifyMax     = 1000
	defaultVerifyWorkers = 16
)

// failOnValues are the conditions --fail-on accepts (a comma-separated list
// fails when any one holds).
var failOnValues = []string{"any", "none", "live", "unknown", "unverified", "critical", "high", "medium", "low"}

var severityRank = map[string]int{"critical": 4, "high": 3, "medium": 2, "low": 1}

// verifyClientOptions, when set (by tests only, from _test files), adjusts
// the verifiers client options: tests point the client's dialer at the fake
// provider servers. No flag, environment variable or scanned content can
// reach it.
var verifyClientOptions func(*verifiers.ClientOptions)

func (g *globalOpts) addVerifyFlags(pf *pflag.FlagSet) {
	pf.BoolVar(&g.noProxy, "no-proxy", false, "connect to providers (verification, remediation) and to GitHub (scan org) directly, ignoring HTTPS_PROXY/NO_PROXY, so no proxy can see a credential")
	pf.BoolVar(&g.verify, "verify", false, "check each secret once against its own provider's official API (live, dead or unknown; identity and privileges of live ones). Secrets go only to their provider's fixed official hosts, over HTTPS")
	pf.BoolVar(&g.onlyVerified, "only-verified", false, "report only secrets verified live (needs --verify)")
	pf.StringVar(&g.failOn, "fail-on", "any", "exit with --exit-code when: any (a finding is reported), live (a secret is verified live), unknown (a verification could not decide), unverified (a secret that cannot be checked: no verifier, offline analysis only as for private keys, a companion value or self-hosted host missing), none, or a severity critical|high|medium|low (at least that severe); live, unknown and unverified need --verify. A comma-separated list fails when any one holds, e.g. live,unverified")
	pf.DurationVar(&g.verifyTimeout, "verify-timeout", defaultVerifyTimeout, "time allowed for the whole verification phase; secrets not answered by then are unknown")
	pf.DurationVar(&g.verifyRequest, "verify-request-timeout", defaultVerifyRequest, "time allowed for one verification request")
	pf.IntVar(&g.verifyMax, "verify-max-requests", defaultVerifyMax, "request budget of the run; once spent, the remaining secrets are unknown")
	pf.IntVar(&g.verifyWorkers, "verify-workers", defaultVerifyWorkers, "secrets checked at once (each provider also limits its own concurrency)")
	pf.StringVar(&g.verifyConfig, "verify-config", "", "operator `FILE` (TOML or YAML) with a verify section: the self-hosted hosts credentials may be sent to (verify.hosts: github, gitlab, vault, databricks, grafana, jira) and canary AWS accounts; needs --verify")
}

// failOnConditions parses --fail-on.
func (g *globalOpts) failOnConditions() ([]string, error) {
	var out []string
	for _, c := range strings.Split(strings.ToLower(g.failOn), ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !slices.Contains(failOnValues, c) {
			return nil, fmt.Errorf("--fail-on %q: choose from %s (comma-separated)", g.failOn, strings.Join(failOnValues, ", "))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		out = []string{"any"}
	}
	if slices.Contains(out, "none") && len(out) > 1 {
		return nil, fmt.Errorf("--fail-on %q: none cannot be combined", g.failOn)
	}
	return out, nil
}

// checkVerifyFlags validates the verification flags before any work.
func (g *globalOpts) checkVerifyFlags() error {
	conds, err := g.failOnConditions()
	if err != nil {
		return err
	}
	if !g.verify {
		for _, c := range conds {
			if c == "live" || c == "unknown" || c == "unverified" {
				return fmt.Errorf("--fail-on %s needs --verify", c)
			}
		}
		if g.onlyVerified {
			return errors.New("--only-verified needs --verify")
		}
	}
	if g.verifyTimeout <= 0 || g.verifyRequest <= 0 {
		return errors.New("--verify-timeout and --verify-request-timeout must be positive")
	}
	if g.verifyMax <= 0 || g.verifyWorkers <= 0 {
		return errors.New("--verify-max-requests and --verify-workers must be positive")
	}
	if g.verifyConfig != "" && !g.verify {
		return errors.New("--verify-config needs --verify")
	}
	if g.verify && g.registry == nil {
		reg, err := g.newRegistry()
		if err != nil {
			return err
		}
		g.registry = reg
	}
	return nil
}

// newRegistry builds the verifiers: the built-in ones, configured by
// --verify-config when given (the only source of self-hosted hosts).
func (g *globalOpts) newRegistry() (*verifiers.Registry, error) {
	if g.verifyConfig == "" {
		return all.Default(), nil
	}
	cfg, err := verifiers.LoadConfig(g.verifyConfig)
	if err != nil {
		return nil, fmt.Errorf("--verify-config: %w", err)
	}
	reg, err := all.Registry(cfg)
	if err != nil {
		return nil, fmt.Errorf("--verify-config %s: %w", g.verifyConfig, err)
	}
	return reg, nil
}

// unverifiable reports whether a finding's secret could not be checked at
// all — no verifier, offline analysis only (private keys, database URLs), a
// companion value or a self-hosted host missing, a kind that is never
// called — as opposed to a provider that did not answer conclusively this
// time (network, timeout, rate limit, server error: Endpoint is set, or
// the run's time or budget ran out).
func unverifiable(v *finding.Verification) bool {
	if v == nil {
		return true
	}
	if v.Status != finding.StatusUnknown || v.Endpoint != "" {
		return false
	}
	r := strings.ToLower(v.Reason)
	for _, transient := range []string{"budget exhausted", "deadline exceeded", "canceled", "timeout", "rate limit", "no such host", "connection", "network"} {
		if strings.Contains(r, transient) {
			return false
		}
	}
	return true
}

// failing applies --fail-on to the findings that are reported.
func (g *globalOpts) failing(fs []finding.Finding, meta map[string]report.RuleInfo) bool {
	conds, err := g.failOnConditions()
	if err != nil { // validated before the scan
		conds = []string{"any"}
	}
	for _, c := range conds {
		for i := range fs {
			f := &fs[i]
			switch c {
			case "none":
				return false
			case "any":
				return true
			case "live", "unknown":
				if string(f.Status()) == c {
					return true
				}
			case "unverified":
				if unverifiable(f.Verification) {
					return true
				}
			default:
				sev := f.Severity
				if sev == "" {
					sev = meta[f.RuleID].Severity
				}
				if severityRank[strings.ToLower(sev)] >= severityRank[c] {
					return true
				}
			}
		}
	}
	return false
}

// onlyLive keeps the findings verified live.
func onlyLive(fs []finding.Finding) []finding.Finding {
	out := fs[:0:0]
	for _, f := range fs {
		if f.Status() == finding.StatusLive {
			out = append(out, f)
		}
	}
	return out
}

// checker returns the run's verifier, built on first use: the registry
// (--verify-config) and the one guarded client, bounded by the --verify-*
// flags. It is shared by every verifyFindings call of the run, so each
// unique credential is checked once per run and the request budget is the
// run's. Safe for concurrent use.
func (g *globalOpts) checker() (*verifiers.Checker, error) {
	g.verifyMu.Lock()
	defer g.verifyMu.Unlock()
	if g.checkerOnce != nil {
		return g.checkerOnce, nil
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	opts := verifiers.ClientOptions{
		Timeout:     g.verifyRequest,
		MaxRequests: g.verifyMax,
		UserAgent:   "nhiscan/" + toolVersion(),
		Logger:      g.log,
		NoProxy:     g.egressNoProxy(),
	}
	if verifyClientOptions != nil {
		verifyClientOptions(&opts)
	}
	c, err := verifiers.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if g.registry == nil {
		if g.registry, err = g.newRegistry(); err != nil {
			return nil, err
		}
	}
	g.checkerOnce = verifiers.NewChecker(g.registry, c)
	return g.checkerOnce, nil
}

// verifyFindings checks every finding of res whose provider has a verifier
// (each unique secret once per run) within --verify-timeout, and logs a
// secret-free summary. A finding left unanswered when time runs out is
// unknown. Other commands call it after their scan; the org crawl calls it
// once per repository, concurrently (the timeout then bounds each call).
func (g *globalOpts) verifyFindings(ctx context.Context, res *finding.Result) error {
	if len(res.Findings) == 0 {
		return nil // nothing to check: no client is built (a clean commit stays instant)
	}
	k, err := g.checker()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.verifyTimeout)
	defer cancel()
	start := time.Now()
	if g.stderr != nil && g.source != "staged" && !g.crawl {
		var done atomic.Int64
		ctx = verifiers.WithProgress(ctx, &done)
		g.startCount(g.stderr, "verifying", "secrets", int64(k.Checkable(res.Findings)), &done)
	}
	k.VerifyFindings(ctx, res.Findings, g.verifyWorkers)
	g.stopProgress()
	timedOut := ctx.Err() != nil
	counts := map[finding.Status]int{}
	for i := range res.Findings {
		f := &res.Findings[i]
		counts[f.Status()]++
		if f.Verification != nil {
			g.log.Info("verified", "rule", f.RuleID, "fingerprint", f.Fingerprint, "status", f.Verification.Status,
				"reason", f.Verification.Reason, "endpoint", f.Verification.Endpoint)
		}
	}
	g.log.Info("verification done", "findings", len(res.Findings), "live", counts[finding.StatusLive],
		"unknown", counts[finding.StatusUnknown], "dead", counts[finding.StatusDead],
		"not_verified", counts[""], "elapsed", time.Since(start).Round(time.Millisecond))
	if timedOut && counts[finding.StatusUnknown] > 0 {
		res.Stats.Warnings = append(res.Stats.Warnings, fmt.Sprintf(
			"verification stopped after --verify-timeout %s: unanswered secrets are unknown", g.verifyTimeout))
	}
	return nil
}

func newVerifyCmd(g *globalOpts) *cobra.Command {
	var repo string
	cmd := &cobra.Command{
		Use:   "verify REPORT.json",
		Short: "Re-check the secrets of an earlier report against their providers",
		Long: `Verify again the findings of an earlier JSON or JSON-lines report (nhiscan's,
or a gitleaks report with raw secrets) and write a new report with their
current status: live, dead or unknown.

Reports are redacted by default, so the secret of each finding is taken
from, in order:
  - the report itself, when it was written with --show-secrets (the secret
    must match the finding's fingerprint);
  - the repository, with --repo PATH: the blob, or the file at the commit (or
    on disk, for dir and staged scans), is read at the recorded line and
    column, and a value is used only when its fingerprint matches the
    finding's.
A finding whose secret cannot be recovered either way is reported unknown,
with the reason. Exit codes follow --fail-on and --exit-code as for scans.`,
		Example: `  scan git . --format json --report scan.json
  scan verify scan.json --repo .                  # re-read secrets from the repository
  scan verify scan.json --repo . --fail-on live   # exit 1 only if one is still live
  scan verify raw.json --format json --report now.json   # raw.json: written with --show-secrets`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.verify = true
			target := repo
			if target == "" {
				target = "."
			}
			s, err := g.setup(cmd, target)
			if err != nil {
				return err
			}
			fs, err := readReport(args[0])
			if err != nil {
				return err
			}
			res := &finding.Result{Findings: fs}
			var src *secretSource
			if repo != "" {
				src = &secretSource{dir: repo}
			}
			if err := g.reverify(cmd.Context(), s.Engine.Rules(), src, res); err != nil {
				return err
			}
			return g.output(cmd, ruleInfos(s.Engine.Rules()), res)
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "the repository (or folder) the report was made from, to re-read redacted secrets at their recorded locations")
	return cmd
}

// readReport reads the findings of an earlier report.
func readReport(path string) ([]finding.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		// Even a clean scan's json report holds a findings list: an empty
		// file is a failed or truncated write, not "nothing to check".
		return nil, fmt.Errorf("%s is empty (0 bytes): not a report written by scan --format json or jsonl", path)
	}
	js, err := report.ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	fs := make([]finding.Finding, 0, len(js))
	for i := range js {
		fs = append(fs, js[i].Finding())
	}
	return fs, nil
}

// reverify recovers the secret of each finding (from the report or src),
// checks it, and records why when it could not.
func (g *globalOpts) reverify(ctx context.Context, rs *rules.Ruleset, src *secretSource, res *finding.Result) error {
	if g.registry == nil {
		reg, err := g.newRegistry()
		if err != nil {
			return err
		}
		g.registry = reg
	}
	reg := g.registry
	before := map[int]*finding.Verification{}
	for i := range res.Findings {
		before[i] = res.Findings[i].Verification
		res.Findings[i].Verification = nil // the old answer is replaced
	}
	refused, missing, err := g.takeIn(ctx, rs, reg, src, res.Findings)
	if err != nil {
		return err
	}
	for i, why := range refused {
		missing[i] = why
		g.log.Warn("finding refused", "rule", res.Findings[i].RuleID, "reason", why)
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if _, ok := reg.Lookup(f.Provider); !ok {
			f.Secret = "" // no verifier: reported as not verified
			if _, ok := refused[i]; !ok {
				delete(missing, i)
			}
		}
	}
	for i, why := range missing {
		if _, refusedToo := refused[i]; !refusedToo {
			g.log.Warn("secret not recovered", "rule", res.Findings[i].RuleID, "fingerprint", res.Findings[i].Fingerprint, "reason", why)
		}
	}
	if err := g.verifyFindings(ctx, res); err != nil {
		return err
	}
	now := time.Now().UTC()
	for i, why := range missing {
		reason := "secret not available: " + why
		if _, ok := refused[i]; ok {
			reason = why + "; nothing was sent"
		}
		if old := before[i]; old != nil && old.Status != "" {
			reason += "; the report said " + string(old.Status)
			if !old.CheckedAt.IsZero() {
				reason += " at " + old.CheckedAt.UTC().Format(time.RFC3339)
			}
		}
		res.Findings[i].Verification = &finding.Verification{Status: finding.StatusUnknown, Reason: reason, CheckedAt: now}
	}
	res.Stats.Warnings = append(res.Stats.Warnings, fmt.Sprintf("re-verified %d findings of an earlier report; nothing was scanned", len(res.Findings)))
	return nil
}

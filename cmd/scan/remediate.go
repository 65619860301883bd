package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"nhiscan/providers/all"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"nhiscan/finding"
	"nhiscan/internal/store"
	"nhiscan/internal/termsafe"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// remediateClientOptions lets tests point remediation traffic at the fakes.
var remediateClientOptions func(*remediate.ClientOptions)

func newRemediateCmd(g *globalOpts) *cobra.Command {
	var (
		plan, apply           bool
		policyPath, auditPath string
		repo, state           string
	)
	cmd := &cobra.Command{
		Use:   "remediate REPORT.json",
		Short: "Plan (default) or apply revocation, rotation and tickets for the secrets of a report",
		Long: `Remediate the findings of an earlier JSON report, as the policy says.

--plan (the default) makes no call to any provider or tracker: it prints,
finding by finding, exactly which API calls would be made and why, and
records the plan in the audit trail. --apply executes it: revoke (or
rotate) each credential, re-verify it, open or update its ticket, and record
every step with its evidence. Applying twice does no harm.

Without --policy the built-in policy is used: live → revoke (ticket when that
is refused), unknown → ticket, dead but still in the tree → ticket (low); its
mode is plan, so --apply needs a policy file that says mode = "apply".

Secrets come from a report written with --show-secrets, or are re-read from
the repository with --repo (only values matching the finding's fingerprint).
The audit trail (--audit, created 0600; nhiscan-audit.jsonl by default with
--apply, and only when asked for a plan) never holds a secret; it also
queues deferred (rate-limited) steps for the next run. --state records the
actions and tickets in the state store as well.

Exit codes: 0 planned or applied, 1 a step failed, 2 error.`,
		Example: `  scan git . --verify --show-secrets --format json --report raw.json
  scan remediate raw.json                          # the plan, nothing changes
  scan remediate raw.json --policy policy.toml --apply --audit audit.jsonl
  scan remediate scan.json --repo . --policy policy.toml --apply`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if plan && apply {
				return errors.New("--plan and --apply: choose one")
			}
			if cmd.Flags().Changed("output") {
				fmt.Fprintln(cmd.ErrOrStderr(), "scan: --output is deprecated: use --format")
			}
			if f := strings.ToLower(g.format); f != "text" && f != "json" {
				return fmt.Errorf("--format %q: remediate writes text or json", g.format)
			}
			if apply && auditPath == "" {
				auditPath = defaultAudit
			}
			var pol *remediate.Policy
			if policyPath != "" {
				// Read the policy before anything else: a typo costs nothing.
				p, err := remediate.LoadPolicy(policyPath)
				if err != nil {
					return err
				}
				pol = p
			}
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
			rs := s.Engine.Rules()
			var src *secretSource
			if repo != "" {
				src = &secretSource{dir: repo}
			}
			reg := g.registry
			if reg == nil {
				reg = all.Default()
			}
			refused, _, err := g.takeIn(cmd.Context(), rs, reg, src, fs)
			if err != nil {
				return err
			}
			// A refused finding is left out: no call, no ticket, no record.
			kept := fs[:0]
			for i := range fs {
				if why, ok := refused[i]; ok {
					fmt.Fprintf(cmd.ErrOrStderr(), "scan remediate: finding %d (rule %s) left out: %s\n", i+1, termsafe.Clean(fs[i].RuleID), termsafe.Clean(why))
					continue
				}
				kept = append(kept, fs[i])
			}
			fs = kept
			o := remediateOpts{apply: apply, policy: policyPath, pol: pol, audit: auditPath, repo: repo, format: strings.ToLower(g.format), state: state}
			if g.reportPath == "" || g.reportPath == "-" {
				return g.remediateRun(cmd, fs, o, cmd.OutOrStdout())
			}
			var runErr error
			if err := writeFileWhole(g.reportPath, func(w io.Writer) error {
				runErr = g.remediateRun(cmd, fs, o, w)
				var ec exitCodeError
				if runErr != nil && !errors.As(runErr, &ec) {
					return runErr
				}
				return nil
			}); err != nil {
				return err
			}
			if !g.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "remediation %s (%s) written to %s\n", map[bool]string{true: "results", false: "plan"}[apply], o.format, termsafe.Clean(g.reportPath))
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.BoolVar(&plan, "plan", false, "print what would be done; change nothing (the default)")
	f.BoolVar(&apply, "apply", false, "do it: revoke, rotate, ticket, re-verify, record (needs a policy with mode = \"apply\")")
	f.StringVar(&policyPath, "policy", "", "policy TOML `FILE` (rules, provider endpoints, tracker, rotation destination); default: built-in, plan only")
	f.StringVar(&auditPath, "audit", "", "audit trail `FILE` (JSON lines, 0600, appended); it also queues deferred work for the next run (default with --apply: "+defaultAudit+"; a plan is recorded only when this is given)")
	f.StringVar(&repo, "repo", "", "the repository the report was made from: re-read redacted secrets, and CODEOWNERS for assignees")
	// --output was this command's name for --format (text or json).
	f.StringVar(&g.format, "output", "text", "text or json")
	_ = f.MarkHidden("output")
	f.StringVar(&state, "state", "", "also record actions and tickets in the state store (an SQLite file or postgres://…, as scan org --state)")
	return cmd
}

// verifierFor re-verifies through the guarded verification client (with
// the --verify-* limits and the operator's verify config), with a fresh
// Checker, so a fresh answer, for every check: the run's own checker caches
// the answers given before a revocation.
func (g *globalOpts) verifierFor() (remediate.Verifier, error) {
	opts := verifiers.ClientOptions{Timeout: g.verifyRequest, UserAgent: "nhiscan/" + toolVersion(), Logger: g.log, NoProxy: g.egressNoProxy()}
	if verifyClientOptions != nil {
		verifyClientOptions(&opts)
	}
	c, err := verifiers.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	reg := g.registry
	if reg == nil {
		reg = all.Default()
	}
	return remediate.FreshVerifier(reg, c), nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeResults(w io.Writer, rs []remediate.Result) {
	// Targets (identities), details, evidence and ticket URLs come from
	// providers, trackers and the scanned repository: the one sanitiser.
	c := termsafe.Clean
	last := ""
	for _, r := range rs {
		if r.Step.Fingerprint != last {
			last = r.Step.Fingerprint
			fmt.Fprintf(w, "\n%s  %s  %s\n", c(r.Step.Fingerprint), c(r.Step.Provider), c(r.Step.Target))
		}
		fmt.Fprintf(w, "  %-7s %-8s %s\n", c(string(r.Step.Kind)), c(string(r.Outcome)), c(r.Detail))
		for _, e := range r.Evidence {
			fmt.Fprintf(w, "          %s\n", c(e))
		}
		if r.After != nil && r.Step.Kind != remediate.Ticket && !strings.Contains(r.Detail, "re-verified") {
			fmt.Fprintf(w, "          re-verified: %s\n", c(string(r.After.Status)))
		}
		if r.TicketURL != "" {
			fmt.Fprintf(w, "          ticket: %s\n", c(r.TicketURL))
		}
	}
	counts := map[remediate.Outcome]int{}
	for _, r := range rs {
		counts[r.Outcome]++
	}
	var parts []string
	for _, o := range []remediate.Outcome{remediate.Done, remediate.Already, remediate.Deferred, remediate.Denied, remediate.Skipped, remediate.Failed} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	fmt.Fprintf(w, "\nremediation: %s\n", strings.Join(parts, ", "))
}

// remediateOpts are the settings of one remediation run.
type remediateOpts struct {
	apply                              bool
	policy, audit, repo, format, state string
	pol                                *remediate.Policy // already loaded (else read from policy)
}

// remediateRun plans (and with o.apply applies) remediation of fs, writing
// the plan or the results to out. Each finding's Remediation is set.
func (g *globalOpts) remediateRun(cmd *cobra.Command, fs []finding.Finding, o remediateOpts, out io.Writer) error {
	apply, policyPath, auditPath, repo, format, state := o.apply, o.policy, o.audit, o.repo, o.format, o.state
	var err error
	pol := remediate.DefaultPolicy()
	if o.pol != nil {
		pol = o.pol
	} else if policyPath != "" {
		if pol, err = remediate.LoadPolicy(policyPath); err != nil {
			return err
		}
	}
	if apply && pol.Mode != remediate.ModeApply {
		return fmt.Errorf("--apply: policy %s is in mode %q; set mode = \"apply\" in a policy file to act", pol.Source, pol.Mode)
	}
	opts := remediate.ClientOptions{UserAgent: "nhiscan/" + toolVersion(), Logger: g.log, NoProxy: g.egressNoProxy()}
	if remediateClientOptions != nil {
		remediateClientOptions(&opts)
	}
	client, err := remediate.NewClient(opts)
	if err != nil {
		return err
	}
	env := remediate.NewEnv(client, &pol.Providers)
	env.Registry = all.RemediationRegistry()
	if g.log != nil {
		env.Log = g.log
	}
	audit, err := remediate.OpenAudit(auditPath)
	if err != nil {
		return err
	}
	defer audit.Close()
	env.Budget = audit
	recorder := remediate.Recorders{audit}
	if state != "" {
		st, err := store.Open(cmd.Context(), state)
		if err != nil {
			return fmt.Errorf("--state %s: %w", store.Redact(state), err)
		}
		defer st.Close()
		recorder = append(recorder, remediate.StoreRecorder{Store: st, System: pol.Ticket.System})
	}
	planner := &remediate.Planner{Policy: pol, Env: env, Audit: audit}
	// Trackers and destinations need operator tokens only to act.
	if planner.Tracker, planner.TrackerErr = remediate.NewTracker(env, &pol.Ticket); planner.TrackerErr != nil && apply {
		return planner.TrackerErr
	}
	if env.Destination, env.DestinationErr = remediate.NewDestination(env, pol.Rotate); env.DestinationErr != nil && apply {
		return env.DestinationErr
	}
	applier := &remediate.Applier{Planner: planner, RepoDir: repo, Recorder: recorder}
	pl := planner.Plan(fs)
	if err := applier.RecordPlan(cmd.Context(), pl); err != nil {
		return err
	}
	if !apply {
		if format == "json" {
			return writeJSONTo(out, pl)
		}
		return pl.WriteText(out)
	}
	if applier.Verifier, err = g.verifierFor(); err != nil {
		return err
	}
	results, err := applier.Apply(cmd.Context(), pl)
	if format == "json" {
		if werr := writeJSONTo(out, results); werr != nil {
			return werr
		}
	} else {
		writeResults(out, results)
	}
	if err != nil {
		return fmt.Errorf("remediate: %w", err)
	}
	for _, r := range results {
		if r.Outcome == remediate.Failed {
			return exitCodeError{1}
		}
	}
	return nil
}

// scanRemediations holds each root command's --remediate flags (kept here,
// not in globalOpts, so that root.go only registers them).
var scanRemediations sync.Map // *globalOpts → *scanRemediation

// defaultAudit is the audit trail of an applying run when --audit is not
// given.
const defaultAudit = "nhiscan-audit.jsonl"

// remediate flags of the scan commands (scan git|dir --remediate plan|apply).
type scanRemediation struct {
	mode, policy, audit, state string
	pol                        *remediate.Policy // loaded by checkRemediateFlags
}

// remediation is g's --remediate settings (nil before addRemediateFlags).
func (g *globalOpts) remediation() *scanRemediation {
	v, _ := scanRemediations.Load(g)
	r, _ := v.(*scanRemediation)
	return r
}

// checkRemediateFlags validates --remediate and loads its policy, before
// any work.
func (g *globalOpts) checkRemediateFlags() error {
	r := g.remediation()
	if r == nil {
		return nil
	}
	if r.mode == "" {
		if r.policy != "" || r.state != "" || r.audit != "" {
			return errors.New("--remediate-policy, --remediate-audit and --remediate-state need --remediate plan|apply")
		}
		return nil
	}
	if r.mode != "plan" && r.mode != "apply" {
		return fmt.Errorf("--remediate %q: want plan or apply", r.mode)
	}
	if r.policy != "" && r.pol == nil {
		pol, err := remediate.LoadPolicy(r.policy)
		if err != nil {
			return fmt.Errorf("--remediate-policy: %w", err)
		}
		r.pol = pol
	}
	if r.mode == "apply" {
		pol := r.pol
		if pol == nil {
			pol = remediate.DefaultPolicy()
		}
		if pol.Mode != remediate.ModeApply {
			return fmt.Errorf("--remediate apply: policy %s is in mode %q; set mode = \"apply\" in a policy file to act", pol.Source, pol.Mode)
		}
	}
	return nil
}

// addRemediateFlags registers --remediate and its companions on the scan
// commands' flag set.
func (g *globalOpts) addRemediateFlags(pf *pflag.FlagSet) {
	v, _ := scanRemediations.LoadOrStore(g, &scanRemediation{})
	r := v.(*scanRemediation)
	pf.StringVar(&r.mode, "remediate", "", "after the scan (and --verify), remediate the findings: plan (print what would be done) or apply (needs a policy with mode = \"apply\"); output goes to stderr")
	pf.StringVar(&r.policy, "remediate-policy", "", "policy TOML `FILE` for --remediate (default: built-in, plan only)")
	pf.StringVar(&r.audit, "remediate-audit", "", "audit trail `FILE` for --remediate (default with apply: "+defaultAudit+"; a plan is recorded only when this is given)")
	pf.StringVar(&r.state, "remediate-state", "", "state store for --remediate actions and tickets (SQLite file or postgres://…)")
}

// remediateScan runs --remediate on a scan's findings, before the report is
// written (so it carries each finding's remediation). The scan's own result
// and exit code stand: a remediation error is printed, not returned.
func (g *globalOpts) remediateScan(cmd *cobra.Command, res *finding.Result) {
	r := g.remediation()
	if r == nil || r.mode == "" || len(res.Findings) == 0 {
		return
	}
	w := cmd.ErrOrStderr()
	target := "."
	if len(cmd.Flags().Args()) > 0 {
		target = cmd.Flags().Arg(0)
	}
	audit := r.audit
	if audit == "" && r.mode == "apply" {
		audit = defaultAudit
	}
	o := remediateOpts{apply: r.mode == "apply", policy: r.policy, pol: r.pol, audit: audit, repo: target, format: "text", state: r.state}
	if err := g.remediateRun(cmd, res.Findings, o, w); err != nil {
		var ec exitCodeError
		if !errors.As(err, &ec) {
			fmt.Fprintf(w, "scan: remediate: %v\n", err)
		}
	}
}

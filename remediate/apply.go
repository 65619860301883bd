package remediate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"nhiscan/finding"
	"slices"
	"strings"
	"time"
)

// Verifier re-checks a credential at its provider. Contract: every call
// asks the provider again (no cache across calls), returns nil when the
// provider cannot be checked, and never puts the secret in the result.
type Verifier interface {
	Verify(ctx context.Context, f *finding.Finding) *finding.Verification
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, f *finding.Finding) *finding.Verification

// Verify implements Verifier.
func (fn VerifierFunc) Verify(ctx context.Context, f *finding.Finding) *finding.Verification {
	return fn(ctx, f)
}

// Applier executes plans.
type Applier struct {
	Planner  *Planner // its Env, Policy, Tracker and Audit are used
	Recorder Recorder // receives every record (the Audit, the store); nil: Planner.Audit
	Verifier Verifier // re-verification; providers' own Checkers are used when it answers nil
	Run      string   // run id; default random
	// RepoDir is the scanned repository's folder, for CODEOWNERS; optional.
	RepoDir string
}

// Record writes the plan's steps to the audit trail (phase "plan").
func (a *Applier) RecordPlan(ctx context.Context, pl *Plan) error {
	var errs []error
	for _, s := range pl.Steps {
		errs = append(errs, a.record(ctx, pl, s, Record{Phase: "plan", Outcome: Planned}))
	}
	return errors.Join(errs...)
}

func (a *Applier) recorder() Recorder {
	if a.Recorder != nil {
		return a.Recorder
	}
	if a.Planner.Audit != nil {
		return a.Planner.Audit
	}
	return Recorders{}
}

func (a *Applier) run() string {
	if a.Run == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		a.Run = hex.EncodeToString(b)
	}
	return a.Run
}

func (a *Applier) record(ctx context.Context, pl *Plan, s Step, r Record) error {
	r.Time = a.Planner.Env.now().UTC()
	r.Run = a.run()
	r.Policy, r.Mode = pl.Policy, pl.Mode
	r.Fingerprint, r.Provider, r.Kind, r.Target = s.Fingerprint, s.Provider, s.Kind, s.Target
	r.Rule, r.Why, r.Calls, r.Targets = s.Rule, s.Why, s.Calls, s.Targets
	if r.Detail == "" && s.Blocked != "" {
		r.Detail = s.Blocked
	}
	if f := pl.findings[s.Fingerprint]; f != nil {
		r = scrubRecord(r, f.Secret, f.Context)
	}
	return a.recorder().Record(ctx, r)
}

// Apply executes pl and returns one Result per executed step (fallbacks
// included), recording each. With a plan-mode policy nothing is executed
// and every step is recorded as skipped. Each finding's Remediation is set.
func (a *Applier) Apply(ctx context.Context, pl *Plan) ([]Result, error) {
	env := a.Planner.Env
	var results []Result
	var errs []error
	if pl.Mode != ModeApply {
		for _, s := range pl.Steps {
			r := Result{Step: s, Outcome: Skipped, Detail: "policy mode is plan: nothing applied"}
			results = append(results, r)
			errs = append(errs, a.record(ctx, pl, s, Record{Phase: "apply", Outcome: Skipped, Detail: r.Detail}))
		}
		return results, errors.Join(errs...)
	}
	// Steps grouped by finding, in plan order.
	var order []string
	byFP := map[string][]Step{}
	for _, s := range pl.Steps {
		if _, ok := byFP[s.Fingerprint]; !ok {
			order = append(order, s.Fingerprint)
		}
		byFP[s.Fingerprint] = append(byFP[s.Fingerprint], s)
	}
	// Before: a fresh verification of each finding with a revoke, rotate
	// or ticket step (idempotence starts from the provider's current answer).
	// Only these answers, never the report's, prove a credential live (for
	// operator actions) or dead (to close its ticket).
	before := map[string]*finding.Verification{}
	fresh := map[string]*finding.Verification{}
	for _, fp := range order {
		f := pl.findings[fp]
		before[fp] = f.Verification
		if v := a.verify(ctx, f); v != nil {
			before[fp], fresh[fp] = v, v
			f.Verification = v
		}
	}
	batch := a.applyBatches(ctx, pl, byFP, before, fresh)
	written := map[string]string{} // destination target -> fingerprint rotated into it in this run
	for _, fp := range order {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		f := pl.findings[fp]
		steps := slices.Clone(byFP[fp])
		rule := a.Planner.policy().rule(byFP[fp][0].Rule)
		var done []string
		remediated := false
		for i := 0; i < len(steps); i++ {
			s := steps[i]
			var r Result
			if s.Kind == Ticket {
				r = a.ticket(ctx, f, s, rule, done, remediated, fresh[fp])
			} else {
				env.Progress = func(ctx context.Context, note string) {
					_ = a.record(ctx, pl, s, Record{Phase: "progress", Detail: note})
				}
				r = a.act(ctx, f, s, before[fp], fresh[fp], batch, written)
				env.Progress = nil
				if r.After != nil {
					fresh[fp] = r.After
				}
			}
			if r.Outcome == Done || r.Outcome == Already {
				done = append(done, string(s.Kind))
				if s.Kind != Ticket {
					remediated = true
				}
			}
			if (r.Outcome == Denied || (r.Outcome == Skipped && r.Step.Blocked != "") || r.Outcome == Failed) && s.Kind != Ticket {
				for _, k := range s.Fallback {
					if !slices.ContainsFunc(steps, func(x Step) bool { return x.Kind == k }) && rule != nil {
						fb := a.Planner.step(f, rule, s.Why+"; fallback after "+string(s.Kind)+" "+string(r.Outcome), k)
						steps = append(steps, fb)
					}
				}
			}
			results = append(results, r)
			errs = append(errs, a.record(ctx, pl, r.Step, Record{Phase: "apply", Outcome: r.Outcome, Detail: r.Detail,
				Evidence: r.Evidence, RetryAt: r.RetryAt, TicketURL: r.TicketURL, TicketKey: r.TicketKey, TicketState: r.TicketState, Before: r.Before, After: r.After}))
			setRemediation(f, r, env.now())
		}
	}
	return results, errors.Join(errs...)
}

func (p *Planner) policy() *Policy {
	if p.Policy == nil {
		return DefaultPolicy()
	}
	return p.Policy
}

// verify asks the verifier, then the provider's own checker.
func (a *Applier) verify(ctx context.Context, f *finding.Finding) *finding.Verification {
	if f.Secret == "" {
		return nil
	}
	var v *finding.Verification
	if a.Verifier != nil {
		v = a.Verifier.Verify(ctx, f)
	}
	if v != nil && v.Status != "" && v.Status != finding.StatusUnknown {
		return v
	}
	if reg, ok := a.Planner.Env.Lookup(f.Provider); ok && reg.Check != nil {
		if own := reg.Check.Check(ctx, a.Planner.Env, f); own != nil && (v == nil || own.Status != finding.StatusUnknown) {
			return own
		}
	}
	if v != nil && v.Status == "" {
		return nil
	}
	return v
}

type batchKey struct {
	fp   string
	kind Kind
}

// applyBatches runs batchable revocations (GitHub) in as few calls as the
// provider allows, before the per-finding loop uses their results.
func (a *Applier) applyBatches(ctx context.Context, pl *Plan, byFP map[string][]Step, before, fresh map[string]*finding.Verification) map[batchKey]BatchResult {
	out := map[batchKey]BatchResult{}
	groups := map[string][]*finding.Finding{}
	var provs []string
	for fp, steps := range byFP {
		for _, s := range steps {
			if s.Kind != Revoke || s.Blocked != "" || statusIs(before[fp], finding.StatusDead) || a.stillDeferred(fp, s.Kind) {
				continue
			}
			reg, ok := a.Planner.Env.Lookup(s.Provider)
			if !ok {
				continue
			}
			if _, ok := reg.Revoke.(BatchAction); !ok || proofMissing(reg.Revoke, fresh[fp]) != "" {
				continue
			}
			if _, seen := groups[s.Provider]; !seen {
				provs = append(provs, s.Provider)
			}
			groups[s.Provider] = append(groups[s.Provider], pl.findings[fp])
		}
	}
	slices.Sort(provs)
	for _, p := range provs {
		reg, _ := a.Planner.Env.Lookup(p)
		fs := groups[p]
		slices.SortFunc(fs, func(x, y *finding.Finding) int { return strings.Compare(x.Fingerprint, y.Fingerprint) })
		res := reg.Revoke.(BatchAction).ApplyBatch(ctx, a.Planner.Env, fs)
		for i, f := range fs {
			out[batchKey{f.Fingerprint, Revoke}] = res[i]
		}
	}
	return out
}

func statusIs(v *finding.Verification, st finding.Status) bool { return v != nil && v.Status == st }

// stillDeferred: an earlier run deferred this step and its retry time has
// not come yet.
func (a *Applier) stillDeferred(fp string, k Kind) bool {
	r, ok := a.deferred(fp, k)
	return ok && a.Planner.Env.now().Before(r.RetryAt)
}

func (a *Applier) deferred(fp string, k Kind) (Record, bool) {
	if a.Planner.Audit == nil {
		return Record{}, false
	}
	r, ok := a.Planner.Audit.LastApplied(fp, k)
	return r, ok && r.Outcome == Deferred
}

// proofMissing says why act may not run an action with an operator
// credential on this credential; "" when it may. The one proof accepted
// is this run's own verification of the leaked credential, with its
// secret, answering live: a report's status, a key id, or an identity
// lookup with the operator's credential prove nothing about a leak.
func proofMissing(act Action, fresh *finding.Verification) string {
	op := act.OperatorCredential()
	switch {
	case op == "":
		return ""
	case fresh == nil:
		return fmt.Sprintf("not applied: this would use the %s, and this run could not verify the leaked credential itself (no secret, or no verifier for it); the report's word is not proof that it leaked", op)
	case fresh.Status != finding.StatusLive:
		return fmt.Sprintf("not applied: this would use the %s, and this run's verification of the leaked credential itself answered %s, not live (%s)", op, fresh.Status, orDash(fresh.Reason))
	}
	return ""
}

// act applies a revoke or rotate step.
func (a *Applier) act(ctx context.Context, f *finding.Finding, s Step, before, fresh *finding.Verification, batch map[batchKey]BatchResult, written map[string]string) Result {
	r := Result{Step: s, Before: before}
	if s.Blocked != "" {
		r.Outcome, r.Detail = Skipped, s.Blocked
		return r
	}
	if statusIs(before, finding.StatusDead) {
		r.Outcome, r.Detail = Already, "verified dead before acting: nothing to "+string(s.Kind)
		r.After = before
		return r
	}
	action, _ := a.Planner.Env.actionFor(s.Provider, s.Kind)
	if action == nil {
		r.Outcome, r.Detail = Skipped, fmt.Sprintf("%s has no %s API", providerName(s.Provider), s.Kind)
		r.Step.Blocked = r.Detail
		return r
	}
	if why := proofMissing(action, fresh); why != "" {
		r.Outcome, r.Detail = Skipped, why
		r.Step.Blocked = why // falls back like a step blocked at plan time
		return r
	}
	if s.Kind == Rotate {
		// fallbacks are planned at apply time: the destination check again
		for _, t := range s.Targets {
			if other, ok := written[t]; ok && other != f.Fingerprint {
				r.Outcome = Skipped
				r.Detail = "rotation destination " + a.Planner.Env.destinationName() + " already received the credential rotated for " + shortFPs([]string{other}) + " in this run"
				r.Step.Blocked = r.Detail
				return r
			}
		}
	}
	if d, ok := a.deferred(f.Fingerprint, s.Kind); ok && a.Planner.Env.now().Before(d.RetryAt) {
		r.Outcome, r.RetryAt = Deferred, d.RetryAt
		r.Detail = "still deferred by an earlier run until " + d.RetryAt.UTC().Format(time.RFC3339) + " (" + d.Detail + ")"
		return r
	}
	var evidence []string
	var err error
	if br, ok := batch[batchKey{f.Fingerprint, s.Kind}]; ok {
		evidence, err = br.Evidence, br.Err
	} else {
		evidence, err = action.Apply(ctx, a.Planner.Env, f)
	}
	r.Evidence = evidence
	if s.Kind == Rotate { // attempted: the destination may hold its new secret
		for _, t := range s.Targets {
			written[t] = f.Fingerprint
		}
	}
	var rl *RateLimitError
	var be *BlockedError
	switch {
	case err == nil:
		r.Outcome = Done
	case errors.Is(err, ErrAlreadyDone):
		r.Outcome, r.Detail = Already, err.Error()
	case errors.As(err, &rl):
		r.Outcome, r.Detail = Deferred, err.Error()
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Hour
		}
		r.RetryAt = a.Planner.Env.now().Add(wait).UTC()
		return r
	case errors.Is(err, ErrDenied):
		r.Outcome, r.Detail = Denied, err.Error()
		return r
	case errors.As(err, &be):
		// Blocked while applying (the object to act on could not be
		// identified): like a plan-time block, the fallback applies.
		r.Outcome, r.Detail = Skipped, be.Reason
		r.Step.Blocked = be.Reason
		return r
	default:
		r.Outcome, r.Detail = Failed, err.Error()
		if s.Kind != Rotate {
			return r
		}
	}
	after := a.verify(ctx, f)
	if st, ok := action.(Settler); ok && s.Kind == Revoke && r.Outcome == Done {
		after = a.settle(ctx, f, after, st)
	}
	r.After = after
	if after != nil {
		f.Verification = after
		switch {
		case after.Status == finding.StatusDead && r.Detail == "":
			r.Detail = "re-verified: dead"
		case after.Status == finding.StatusLive && s.Kind == Revoke && r.Outcome == Done:
			r.Detail = "provider accepted the revocation but the credential still answers live (revocation may be asynchronous; the next run checks again)"
		case after.Status == finding.StatusLive && s.Kind == Rotate && r.Outcome == Done:
			r.Outcome, r.Detail = Failed, "rotation reported done but the old credential still answers live"
		}
	} else if r.Outcome == Done {
		r.Detail = "no re-verification available for " + providerName(s.Provider) + "; provider's answer is the evidence"
	}
	return r
}

func setRemediation(f *finding.Finding, r Result, now time.Time) {
	rem := f.Remediation
	if rem == nil {
		rem = &finding.Remediation{State: "planned"}
		f.Remediation = rem
	}
	rem.At = now.UTC()
	if !slices.Contains(rem.Actions, string(r.Step.Kind)) {
		rem.Actions = append(rem.Actions, string(r.Step.Kind))
	}
	if r.TicketURL != "" {
		rem.TicketURL = r.TicketURL
	}
	switch {
	case r.Outcome == Done || r.Outcome == Already:
		switch r.Step.Kind {
		case Revoke:
			rem.State = "revoked"
		case Rotate:
			rem.State = "rotated"
		case Ticket:
			if rem.State != "revoked" && rem.State != "rotated" {
				rem.State = "ticketed"
			}
		}
	case r.Outcome == Failed || r.Outcome == Denied:
		if rem.State == "planned" {
			rem.State = "failed"
		}
	}
	if r.Detail != "" {
		rem.Detail = fmt.Sprintf("%s %s: %s", r.Step.Kind, r.Outcome, r.Detail)
	} else {
		rem.Detail = fmt.Sprintf("%s %s", r.Step.Kind, r.Outcome)
	}
}

// scrubRecord is defence in depth: no string of r may hold the secret or
// its raw context.
func scrubRecord(r Record, secrets ...string) Record {
	clean := func(s string) string {
		for _, x := range secrets {
			if len(x) >= 8 && strings.Contains(s, x) {
				s = strings.ReplaceAll(s, x, "[REDACTED]")
			}
		}
		return s
	}
	r.Target, r.Detail, r.Why = clean(r.Target), clean(r.Detail), clean(r.Why)
	r.Evidence = slices.Clone(r.Evidence)
	for i := range r.Evidence {
		r.Evidence[i] = clean(r.Evidence[i])
	}
	r.Calls = slices.Clone(r.Calls)
	for i := range r.Calls {
		r.Calls[i].URL, r.Calls[i].Why = clean(r.Calls[i].URL), clean(r.Calls[i].Why)
	}
	return r
}

// Settler is an Action whose provider accepts a revocation before it takes
// effect (GitHub answers 202 Accepted): a credential still live right after
// it is checked again after SettleDelay, a few times, before the step says
// "still answers live".
type Settler interface {
	SettleDelay() time.Duration
}

// settleTries is how many times a settling revocation is re-verified.
const settleTries = 3

// settle re-verifies f while it still answers live, waiting st's delay (or
// Env.SettleWait) between checks.
func (a *Applier) settle(ctx context.Context, f *finding.Finding, after *finding.Verification, st Settler) *finding.Verification {
	wait := st.SettleDelay()
	if a.Planner.Env.SettleWait > 0 {
		wait = a.Planner.Env.SettleWait
	}
	for i := 0; i < settleTries && after != nil && after.Status == finding.StatusLive; i++ {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return after
		case <-t.C:
		}
		after = a.verify(ctx, f)
	}
	return after
}

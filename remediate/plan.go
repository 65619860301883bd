package remediate

import (
	"errors"
	"fmt"
	"io"
	"nhiscan/finding"
	"nhiscan/internal/termsafe"
	"slices"
	"strings"
	"time"
)

// Planner turns findings into a Plan. It makes no network call and changes
// nothing anywhere: it reads the findings, the policy, the registrations
// and (for deferred work) the audit trail.
type Planner struct {
	Policy  *Policy
	Env     *Env
	Tracker Tracker // nil: ticket steps are blocked
	// TrackerErr says why the configured tracker could not be built (a
	// missing token): ticket steps are blocked with it.
	TrackerErr error
	Audit      *Audit // nil: no memory of earlier runs
}

// Plan returns the steps for fs, finding by finding in the order given.
func (p *Planner) Plan(fs []finding.Finding) *Plan {
	pol := p.Policy
	if pol == nil {
		pol = DefaultPolicy()
	}
	pl := &Plan{CreatedAt: p.Env.now().UTC(), Policy: pol.Source, Mode: pol.Mode, findings: map[string]*finding.Finding{}}
	for i := range fs {
		f := &fs[i]
		if !ValidFingerprint(f.Fingerprint) {
			// an edited report: the value would reach JQL, markers, labels
			pl.Refused = append(pl.Refused, Refusal{Fingerprint: quoteShort(f.Fingerprint),
				Reason: "the fingerprint is not 32 or 64 lowercase hex characters (an edited report?): nothing is done for this finding"})
			continue
		}
		if pl.findings[f.Fingerprint] != nil {
			pl.Refused = append(pl.Refused, Refusal{Fingerprint: f.Fingerprint, Reason: "the same fingerprint twice in the input: only the first finding is acted on"})
			continue
		}
		rule, why := pol.Match(f)
		kinds := []Kind(nil)
		if rule != nil {
			kinds = rule.Actions
		}
		// Work an earlier run deferred stays queued even when no rule
		// matches any more (e.g. the status is unknown tonight).
		if p.Audit != nil {
			for _, k := range []Kind{Revoke, Rotate, Ticket} {
				if r, ok := p.Audit.LastApplied(f.Fingerprint, k); ok && r.Outcome == Deferred && !slices.Contains(kinds, k) {
					if rule == nil {
						rule, why = pol.rule(r.Rule), "deferred by an earlier run"
					}
					kinds = append(slices.Clone(kinds), k)
				}
			}
		}
		if rule == nil {
			continue
		}
		pl.findings[f.Fingerprint] = f
		for _, k := range kinds {
			pl.Steps = append(pl.Steps, p.step(f, rule, why, k))
		}
	}
	p.refuseSharedDestinations(pl)
	return pl
}

// refuseSharedDestinations blocks every rotation whose destination place
// another credential's rotation writes too (in this plan, or done by an
// earlier run): one place holds one credential, and the second write
// would silently replace the first one's new secret.
func (p *Planner) refuseSharedDestinations(pl *Plan) {
	users := map[int][]string{} // step index -> other fingerprints sharing a target
	for i, s := range pl.Steps {
		if s.Kind != Rotate || s.Blocked != "" {
			continue
		}
		for j, o := range pl.Steps {
			if j == i || o.Kind != Rotate || o.Blocked != "" || o.Fingerprint == s.Fingerprint {
				continue
			}
			if overlapping(s.Targets, o.Targets) && !slices.Contains(users[i], o.Fingerprint) {
				users[i] = append(users[i], o.Fingerprint)
			}
		}
	}
	for i := range pl.Steps {
		s := &pl.Steps[i]
		if s.Kind != Rotate || s.Blocked != "" {
			continue
		}
		if others := users[i]; len(others) > 0 {
			s.Blocked = fmt.Sprintf("rotation destination %s would receive the new credentials of %d leaked credentials (this one and %s): one destination holds one credential; give each its own [rotate] destination, or rotate by hand",
				p.Env.destinationName(), len(others)+1, shortFPs(others))
			continue
		}
		if p.Audit != nil {
			for _, t := range s.Targets {
				if other, ok := p.Audit.RotatedInto(t, s.Fingerprint); ok {
					s.Blocked = fmt.Sprintf("rotation destination %s already holds the credential rotated for %s by an earlier run: rotating this one into it would replace that one; give it its own [rotate] destination, or rotate by hand",
						p.Env.destinationName(), shortFPs([]string{other}))
					break
				}
			}
		}
	}
}

func (e *Env) destinationName() string {
	if e.Destination == nil {
		return "(none)"
	}
	return e.Destination.Describe()
}

func shortFPs(fps []string) string {
	out := make([]string, len(fps))
	for i, fp := range fps {
		out[i] = fp[:min(12, len(fp))]
	}
	return strings.Join(out, ", ")
}

// targetsOverlap: the same place, or a whole-repository wildcard.
func targetsOverlap(a, b string) bool {
	if a == b {
		return true
	}
	if pa, ok := strings.CutSuffix(a, ":*"); ok && strings.HasPrefix(b, pa+":") {
		return true
	}
	if pb, ok := strings.CutSuffix(b, ":*"); ok && strings.HasPrefix(a, pb+":") {
		return true
	}
	return false
}

func overlapping(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if targetsOverlap(x, y) {
				return true
			}
		}
	}
	return false
}

// actionFor returns the registered action of kind k for provider, or nil.
func (e *Env) actionFor(provider string, k Kind) (Action, *Registration) {
	reg, ok := e.Lookup(provider)
	if !ok {
		return nil, nil
	}
	switch k {
	case Revoke:
		return reg.Revoke, reg
	case Rotate:
		return reg.Rotate, reg
	}
	return nil, reg
}

// rotationTargets are the destination places a rotation by a writes.
func (e *Env) rotationTargets(a Action) []string {
	if e.Destination == nil {
		return nil
	}
	var names []string
	if vn, ok := a.(valueNamer); ok {
		names = vn.ValueNames()
	}
	return e.Destination.Targets(names)
}

// step plans one action; it is also used for fallbacks at apply time.
func (p *Planner) step(f *finding.Finding, rule *Rule, why string, k Kind) Step {
	s := Step{Fingerprint: f.Fingerprint, Provider: f.Provider, Target: target(f), Kind: k, Rule: rule.Name, Why: why,
		Fallback: slices.DeleteFunc(slices.Clone(rule.Fallback), func(x Kind) bool { return x == k })}
	switch k {
	case Revoke, Rotate:
		a, reg := p.Env.actionFor(f.Provider, k)
		if a != nil {
			s.Operator = a.OperatorCredential()
			if k == Rotate {
				s.Targets = p.Env.rotationTargets(a)
			}
		}
		switch {
		case a == nil:
			s.Blocked = fmt.Sprintf("%s has no %s API", providerName(f.Provider), k)
			if reg != nil && reg.Manual != "" {
				s.Blocked += ": " + reg.Manual
			}
		case f.Secret == "":
			s.Blocked = "the raw secret is not in the report: write it with --show-secrets, or give --repo to re-read it"
		default:
			calls, err := a.Plan(p.Env, f)
			var be *BlockedError
			switch {
			case errors.As(err, &be):
				s.Blocked = be.Reason
			case err != nil:
				s.Blocked = err.Error()
			}
			s.Calls = calls
		}
	case Ticket:
		if p.Tracker == nil && p.TrackerErr != nil {
			s.Blocked = "ticket system: " + p.TrackerErr.Error()
		} else if p.Tracker == nil {
			s.Blocked = "no ticket system configured ([ticket] system = \"github\" or \"jira\")"
		} else {
			s.Calls = p.Tracker.Plan(f)
		}
	}
	if p.Audit != nil && s.Blocked == "" {
		if r, ok := p.Audit.LastApplied(f.Fingerprint, k); ok && r.Outcome == Deferred {
			s.Why += fmt.Sprintf("; deferred by an earlier run (%s)", r.Detail)
		}
	}
	return s
}

func providerName(p string) string {
	if p == "" {
		return "this credential's provider (unknown)"
	}
	return p
}

// target describes a finding for plans, audit and tickets: its redacted
// secret and identity.
func target(f *finding.Finding) string {
	red := f.Redacted
	if red == "" {
		red = finding.Redact(f.Secret)
	}
	s := red
	if f.Verification != nil {
		var ids []string
		for _, k := range []string{"login", "user", "username", "arn", "account", "email", "name", "team"} {
			if v := f.Verification.Identity[k]; v != "" {
				ids = append(ids, k+" "+v)
				break
			}
		}
		if len(ids) > 0 {
			s += " (" + strings.Join(ids, ", ") + ")"
		}
	}
	return s
}

// WriteText writes the plan for people: one block per finding, each step
// with its calls, in the order Apply follows.
func (pl *Plan) WriteText(w io.Writer) error {
	// Paths, targets (identities), reasons and calls hold text from the
	// scanned repository and from providers: each goes through the one
	// terminal sanitiser. A reason shared by many blocked steps is printed
	// once, as a numbered note at the end.
	c := termsafe.Clean
	var b strings.Builder
	fmt.Fprintf(&b, "remediation plan (policy %s, mode %s): %d step(s)\n", c(pl.Policy), c(string(pl.Mode)), len(pl.Steps))
	if len(pl.Steps) == 0 {
		b.WriteString("nothing to do: no finding matched a policy rule\n")
	}
	// A reason shared by several blocked steps is printed once, as a
	// numbered note at the end; a reason of one step stays in place.
	shared := map[string]int{}
	for _, s := range pl.Steps {
		if s.Blocked != "" {
			shared[s.Blocked]++
		}
	}
	notes := map[string]int{}
	var noteText []string
	last := ""
	for _, s := range pl.Steps {
		if s.Fingerprint != last {
			last = s.Fingerprint
			f := pl.findings[s.Fingerprint]
			st, where := "unverified", ""
			if f != nil {
				st = statusOf(f)
				if l := f.FirstLocation(); l.Path != "" {
					where = fmt.Sprintf(", first at %s:%d", c(l.Path), l.Line)
				}
			}
			fmt.Fprintf(&b, "\n%s  %s  %s  [%s%s]\n", c(s.Fingerprint), c(providerName(s.Provider)), c(s.Target), c(st), where)
			fmt.Fprintf(&b, "  rule %q matched: %s\n", s.Rule, c(s.Why))
		}
		fmt.Fprintf(&b, "  %s\n", c(string(s.Kind)))
		if s.Blocked != "" {
			if shared[s.Blocked] == 1 {
				fmt.Fprintf(&b, "    blocked: %s\n", c(s.Blocked))
			} else {
				n, ok := notes[s.Blocked]
				if !ok {
					noteText = append(noteText, s.Blocked)
					n = len(noteText)
					notes[s.Blocked] = n
				}
				fmt.Fprintf(&b, "    blocked: see [%d] below\n", n)
			}
			if len(s.Fallback) > 0 {
				fmt.Fprintf(&b, "    then: %s\n", kinds(s.Fallback))
			}
			continue
		}
		for i, call := range s.Calls {
			fmt.Fprintf(&b, "    %d. %s\n", i+1, c(call.String()))
		}
		if s.Operator != "" {
			fmt.Fprintf(&b, "    uses the %s: only if this run verifies the leaked credential itself live\n", s.Operator)
		}
		if len(s.Fallback) > 0 {
			fmt.Fprintf(&b, "    if denied: %s\n", kinds(s.Fallback))
		}
	}
	if len(noteText) > 0 {
		b.WriteString("\nblocked:\n")
		for i, t := range noteText {
			fmt.Fprintf(&b, "  [%d] %s (%d steps)\n", i+1, c(t), shared[t])
		}
	}
	for _, r := range pl.Refused {
		fmt.Fprintf(&b, "\nrefused %s: %s\n", c(r.Fingerprint), c(r.Reason))
	}
	if pl.Mode != ModeApply {
		b.WriteString("\nmode plan: nothing will be applied; set mode = \"apply\" in the policy and run with --apply\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func kinds(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

var _ = time.Now

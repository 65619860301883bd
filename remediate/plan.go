package remediate

import (
	"errors"
	"fmt"
	"io"
	"nhiscan/finding"
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
		if f.Fingerprint == "" {
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
	return pl
}

// step plans one action; it is also used for fallbacks at apply time.
func (p *Planner) step(f *finding.Finding, rule *Rule, why string, k Kind) Step {
	s := Step{Fingerprint: f.Fingerprint, Provider: f.Provider, Target: target(f), Kind: k, Rule: rule.Name, Why: why,
		Fallback: slices.DeleteFunc(slices.Clone(rule.Fallback), func(x Kind) bool { return x == k })}
	switch k {
	case Revoke, Rotate:
		reg, ok := p.Env.Lookup(f.Provider)
		var a Action
		if ok {
			a = reg.Revoke
			if k == Rotate {
				a = reg.Rotate
			}
		}
		switch {
		case a == nil:
			s.Blocked = fmt.Sprintf("%s has no %s API", providerName(f.Provider), k)
			if ok && reg.Manual != "" {
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
	var b strings.Builder
	fmt.Fprintf(&b, "remediation plan (policy %s, mode %s): %d step(s)\n", pl.Policy, pl.Mode, len(pl.Steps))
	if len(pl.Steps) == 0 {
		b.WriteString("nothing to do: no finding matched a policy rule\n")
	}
	last := ""
	for _, s := range pl.Steps {
		if s.Fingerprint != last {
			last = s.Fingerprint
			f := pl.findings[s.Fingerprint]
			st, where := "unverified", ""
			if f != nil {
				st = statusOf(f)
				if l := f.FirstLocation(); l.Path != "" {
					where = fmt.Sprintf(", first at %s:%d", l.Path, l.Line)
				}
			}
			fmt.Fprintf(&b, "\n%s  %s  %s  [%s%s]\n", s.Fingerprint, providerName(s.Provider), s.Target, st, where)
			fmt.Fprintf(&b, "  rule %q matched: %s\n", s.Rule, s.Why)
		}
		fmt.Fprintf(&b, "  %s\n", s.Kind)
		if s.Blocked != "" {
			fmt.Fprintf(&b, "    blocked: %s\n", s.Blocked)
			if len(s.Fallback) > 0 {
				fmt.Fprintf(&b, "    then: %s\n", kinds(s.Fallback))
			}
			continue
		}
		for i, c := range s.Calls {
			fmt.Fprintf(&b, "    %d. %s\n", i+1, c)
		}
		if len(s.Fallback) > 0 {
			fmt.Fprintf(&b, "    if denied: %s\n", kinds(s.Fallback))
		}
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

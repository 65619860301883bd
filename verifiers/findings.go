package verifiers

import (
	"context"
	"nhiscan/finding"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// VerifyFindings verifies every finding of fs that has a provider with a
// verifier and sets its Verification; findings without one are left nil
// (not verified). Each finding is paired first (see Pairer) with its
// Context and the findings that share a blob (or, without blobs, a file)
// with it, so an AWS key id and its secret found apart still make one
// credential. At most parallel checks run at once (default 16); each
// unique credential is sent only once (see Checker). Secrets and
// contexts are never copied into the result.
func (k *Checker) VerifyFindings(ctx context.Context, fs []finding.Finding, parallel int) {
	if parallel <= 0 {
		parallel = 16
	}
	done, _ := ctx.Value(progressKey{}).(*atomic.Int64)
	sibs := siblings(fs)
	var g errgroup.Group
	g.SetLimit(parallel)
	for i := range fs {
		f := &fs[i]
		if f.Secret == "" || f.Provider == "" {
			continue
		}
		v, ok := k.reg.Lookup(f.Provider)
		if !ok {
			continue
		}
		s := Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context, Siblings: sibs(i)}
		g.Go(func() error {
			r := k.VerifyCredential(ctx, f.Provider, PairSighting(v, s))
			f.Verification = ToFinding(r)
			if done != nil {
				done.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// siblings lists, for fs[i], the other findings that share a blob or file
// with it.
func siblings(fs []finding.Finding) func(i int) []Sibling {
	idx := finding.SiblingIndex(len(fs), func(i int) []finding.Location { return fs[i].Locations })
	return func(i int) []Sibling {
		var out []Sibling
		for _, j := range idx(i) {
			out = append(out, Sibling{RuleID: fs[j].RuleID, Provider: fs[j].Provider, Secret: fs[j].Secret})
		}
		return out
	}
}

// ToFinding converts a Result to the scanner model.
func ToFinding(r Result) *finding.Verification {
	return &finding.Verification{
		Status:    finding.Status(r.Status.String()),
		Reason:    r.Reason,
		CheckedAt: r.CheckedAt,
		Identity:  r.Identity,
		Privileges: finding.Privileges{
			Level: r.Privileges.Level, Scopes: r.Privileges.Scopes, Flags: r.Privileges.Flags,
		},
		Endpoint: r.Endpoint,
	}
}

// CredentialParts finds the parts of the credential f belongs to with its
// provider's Pairer (scanner.PartFinder): the primary secret (an AWS
// secret key when f is its key id) and the other named parts, secret or
// not. ok is false when f's provider has no Pairer.
func (r *Registry) CredentialParts(f *finding.Finding, siblings []*finding.Finding) (string, map[string]string, bool) {
	v, ok := r.Lookup(f.Provider)
	if !ok || f.Secret == "" {
		return "", nil, false
	}
	p, ok := v.(Pairer)
	if !ok {
		return "", nil, false
	}
	s := Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context}
	for _, sb := range siblings {
		s.Siblings = append(s.Siblings, Sibling{RuleID: sb.RuleID, Provider: sb.Provider, Secret: sb.Secret})
		for _, o := range sb.OtherRules { // a sibling merged from several rules answers to each
			s.Siblings = append(s.Siblings, Sibling{RuleID: o, Provider: sb.Provider, Secret: sb.Secret})
		}
	}
	cred := p.Pair(s)
	parts := map[string]string{}
	for k, v := range cred.Companions {
		if v != "" && k != "host" { // a host is operator configuration, not a part
			parts[k] = v
		}
	}
	for k, v := range cred.SecretCompanions {
		if v != "" {
			parts[k] = v
		}
	}
	return cred.Secret, parts, true
}

type progressKey struct{}

// WithProgress returns a context under which VerifyFindings adds one to
// done for each finding it has checked, for a progress display.
func WithProgress(ctx context.Context, done *atomic.Int64) context.Context {
	return context.WithValue(ctx, progressKey{}, done)
}

// Checkable counts the findings of fs that VerifyFindings would check.
func (k *Checker) Checkable(fs []finding.Finding) int {
	n := 0
	for i := range fs {
		if fs[i].Secret == "" || fs[i].Provider == "" {
			continue
		}
		if _, ok := k.reg.Lookup(fs[i].Provider); ok {
			n++
		}
	}
	return n
}

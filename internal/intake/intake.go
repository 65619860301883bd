// Package intake reads the findings of an earlier report back in for
// `scan verify` and `scan remediate`. A report is input, not truth: it can
// have been edited. So each finding's provider is re-derived from its rule,
// its fingerprint must have a fingerprint's form and belong to its secret,
// and the secret must have the form of that provider's credentials — and of
// no other provider's. A finding that fails is refused with a reason, and
// nothing is ever sent for it.
package intake

import (
	"fmt"
	"strings"

	"nhiscan/finding"
	"nhiscan/rules"
	"nhiscan/verifiers"
)

// Shapes answers what a secret's form says about its provider
// (*verifiers.Registry implements it).
type Shapes interface {
	// Shape is provider's answer for secret; ok is false when provider
	// has no verifier (then nothing is ever sent for it).
	Shape(provider, secret string) (s verifiers.Shape, ok bool)
	// StrongOwner is a provider other than except whose form secret
	// unmistakably has, "" when none.
	StrongOwner(secret, except string) string
}

// Checker checks findings read from a report.
type Checker struct {
	Rules        *rules.Ruleset
	Shapes       Shapes
	Fingerprints finding.Fingerprinter
}

// Refusal is why a finding of a report is not acted on.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return "refused: " + r.Reason }

func refuse(format string, a ...any) error { return &Refusal{Reason: fmt.Sprintf(format, a...)} }

// Claims checks what f claims before its secret is looked at, and sets its
// provider to the one its rule says (whatever the report said):
//   - the fingerprint and aliases have a fingerprint's form;
//   - a provider the report names is the provider of the finding's rule;
//   - a finding that names a provider has a rule this rule set knows.
func (c *Checker) Claims(f *finding.Finding) error {
	if f.Fingerprint != "" && !finding.ValidFingerprint(f.Fingerprint) {
		return refuse("%s is not a fingerprint (32 hex digits)", quote(f.Fingerprint))
	}
	for _, a := range f.Aliases {
		if !finding.ValidFingerprint(a) {
			return refuse("alias %s is not a fingerprint", quote(a))
		}
	}
	_, known := c.Rules.Config.Rules[f.RuleID]
	derived := ""
	if known {
		derived = c.Rules.Meta(f.RuleID).Provider
	}
	switch {
	case !known && f.Provider != "":
		return refuse("rule %s is unknown to this rule set, so its provider %s cannot be checked", quote(f.RuleID), quote(f.Provider))
	case f.Provider != "" && f.Provider != derived:
		return refuse("the report says provider %s, but rule %s finds %s credentials", quote(f.Provider), quote(f.RuleID), providerName(derived))
	}
	f.Provider = derived
	var others []string
	for _, r := range f.OtherRules { // listed only; they steer nothing
		if _, ok := c.Rules.Config.Rules[r]; ok {
			others = append(others, r)
		}
	}
	f.OtherRules = others
	return nil
}

// FingerprintOf reports whether secret is the secret of f: its credential
// fingerprint (keyed: this installation's) or a per-rule alias form of one
// of its rules (reports of earlier versions). A finding without a
// fingerprint (a gitleaks report) matches any secret.
func (c *Checker) FingerprintOf(f *finding.Finding, secret string) (match, keyed bool) {
	if secret == "" {
		return false, false
	}
	if f.Fingerprint == "" {
		return true, false
	}
	if c.Fingerprints.Of(secret) == f.Fingerprint {
		return true, true
	}
	for _, r := range append([]string{f.RuleID}, f.OtherRules...) {
		if finding.Fingerprint(r, secret) == f.Fingerprint {
			return true, false
		}
	}
	return false, false
}

// Secret checks secret as f's: it belongs to f's fingerprint and has the
// form of f's provider's credentials and of no other provider's. reread
// says the secret was read again from the repository at f's location
// (rather than taken from the report's text): a secret whose form does not
// identify its provider by itself is accepted from a report's text only
// when the report's fingerprint is this installation's keyed one.
func (c *Checker) Secret(f *finding.Finding, secret string, reread bool) error {
	match, keyed := c.FingerprintOf(f, secret)
	if !match {
		return refuse("the secret does not match the finding's fingerprint")
	}
	if f.Provider == "" || c.Shapes == nil {
		return nil
	}
	shape, ok := c.Shapes.Shape(f.Provider, secret)
	if !ok {
		return nil // no verifier: nothing is sent
	}
	if shape == verifiers.ShapeNone {
		return refuse("the secret does not have the form of a %s credential", f.Provider)
	}
	if other := c.Shapes.StrongOwner(secret, f.Provider); other != "" {
		return refuse("the secret has the form of a %s credential, not of a %s one", other, f.Provider)
	}
	if shape == verifiers.ShapeWeak && !reread && !keyed && f.Fingerprint != "" {
		return refuse("the secret's form does not identify %s and the report's fingerprint is of an older form: re-read it from the repository with --repo", f.Provider)
	}
	return nil
}

func providerName(p string) string {
	if p == "" {
		return "no provider's"
	}
	return p
}

// quote shows a value read from a report: quoted, at most 40 characters,
// control characters escaped.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", strings.ToValidUTF8(s, "?"))
}

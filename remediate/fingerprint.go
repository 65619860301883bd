package remediate

import (
	"fmt"
	"nhiscan/finding"
	"slices"
)

// ValidFingerprint says whether fp is what nhiscan writes as a credential's
// fingerprint (finding.ValidFingerprint: 32 or 64 lowercase hex). Anything
// else — an edited report, a tampered audit line, a tracker label — is
// refused before it reaches a query, a marker, a label or a record.
func ValidFingerprint(fp string) bool { return finding.ValidFingerprint(fp) }

// checkFingerprint returns an error naming what is wrong with fp, quoted
// and cut short so that a hostile value cannot fill a terminal.
func checkFingerprint(fp string) error {
	if ValidFingerprint(fp) {
		return nil
	}
	return fmt.Errorf("fingerprint %s is not 32 or 64 lowercase hex characters: refused", quoteShort(fp))
}

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%+q", s)
}

// ticketFingerprints returns the fingerprints a ticket of f may carry: f's
// own, then the aliases an earlier version wrote (one per rule that matched
// the secret or one of its parts). An alias is used only when one of f's
// rules and its secret (or a part) give it, so a report cannot claim
// another credential's ticket by listing its fingerprint as an alias;
// without the secret no alias is used.
func ticketFingerprints(f *finding.Finding) []string {
	out := []string{f.Fingerprint}
	if f.Secret == "" {
		return out
	}
	// the per-rule forms of the secret and of its assembled parts (an AWS
	// key id found by its own rule had its own ticket)
	rules := append([]string{f.RuleID}, f.OtherRules...)
	values := []string{f.Secret}
	for _, v := range f.Parts {
		values = append(values, v)
	}
	known := map[string]bool{}
	for _, r := range rules {
		for _, v := range values {
			if r != "" && v != "" {
				known[finding.Fingerprint(r, v)] = true
			}
		}
	}
	for _, a := range f.Aliases {
		if known[a] && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

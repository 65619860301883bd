package remediate

import (
	"fmt"
	"nhiscan/finding"
	"slices"
)

// ValidFingerprint says whether fp is what nhiscan writes as a credential's
// fingerprint: 32 or 64 lowercase hex characters. Anything else — an
// edited report, a tampered audit line, a tracker label — is refused
// before it reaches a query, a marker, a label or a record, since it is
// then written into JQL, markdown and file lines.
func ValidFingerprint(fp string) bool {
	if len(fp) != 32 && len(fp) != 64 {
		return false
	}
	for i := 0; i < len(fp); i++ {
		c := fp[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

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
// the secret). An alias is used only when it is what that rule and f's
// secret give, so a report cannot claim another credential's ticket by
// listing its fingerprint as an alias; without the secret no alias is used.
func ticketFingerprints(f *finding.Finding) []string {
	out := []string{f.Fingerprint}
	if f.Secret == "" {
		return out
	}
	rules := append([]string{f.RuleID}, f.OtherRules...)
	for _, a := range f.Aliases {
		if !ValidFingerprint(a) || slices.Contains(out, a) {
			continue
		}
		if slices.ContainsFunc(rules, func(r string) bool { return r != "" && finding.Fingerprint(r, f.Secret) == a }) {
			out = append(out, a)
		}
	}
	return out
}

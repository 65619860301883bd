package scanner

import (
	"slices"
	"strings"

	"nhiscan/finding"
	"nhiscan/rules"
)

// PartFinder knows, provider by provider, the parts of a multi-part
// credential (an AWS key id beside its secret, a GCP key file's
// client_email and private key): verifiers.Registry implements it with each
// provider's Pair.
type PartFinder interface {
	// CredentialParts returns the primary secret of the credential f is
	// part of and its other named parts, read from f (its secret and
	// context) and from siblings, the other findings of the same blob or
	// file. ok is false when f's provider has no parts to find. It does no
	// I/O.
	CredentialParts(f *finding.Finding, siblings []*finding.Finding) (secret string, parts map[string]string, ok bool)
}

// credentials turns the per-rule findings of a scan into one finding per
// credential:
//
//  1. findings of one secret, whatever number of rules matched it, become
//     one, named by the most specific rule (a provider rule over a
//     file-format rule over generic-api-key; see ruleRank); the others are
//     listed in OtherRules;
//  2. the parts of a multi-part credential (an AWS key id and its secret, a
//     GCP key file's key id and private key) found by separate rules
//     become one finding, named by the finding whose provider assembled
//     them, with the parts in Parts;
//  3. each finding is fingerprinted by its credential (fp), its per-rule
//     fingerprints kept as Aliases.
//
// legacy[i] is the per-rule fingerprint of fs[i].
func credentials(fs []*finding.Finding, legacy []string, rs *rules.Ruleset, parts PartFinder, fp finding.Fingerprinter) []*finding.Finding {
	for i, f := range fs {
		f.Aliases = append(f.Aliases, legacy[i])
	}
	// 1. One finding per secret.
	bySecret := map[string]*finding.Finding{}
	var merged []*finding.Finding
	for _, f := range fs {
		if f.Secret == "" {
			merged = append(merged, f)
			continue
		}
		key := secretKey(f.Secret)
		g, ok := bySecret[key]
		if !ok {
			bySecret[key] = f
			merged = append(merged, f)
			continue
		}
		absorb(g, f, ruleRank(rs, f.RuleID) > ruleRank(rs, g.RuleID))
	}
	// 2. Multi-part credentials.
	if parts != nil {
		sibs := siblingIndex(merged)
		idx := map[*finding.Finding]int{}
		for i, f := range merged {
			idx[f] = i
		}
		gone := map[*finding.Finding]bool{}
		for i, f := range merged {
			if gone[f] || f.Secret == "" {
				continue
			}
			var others []*finding.Finding
			for _, j := range sibs(i) {
				if !gone[merged[j]] {
					others = append(others, merged[j])
				}
			}
			secret, ps, ok := parts.CredentialParts(f, others)
			if !ok {
				continue
			}
			if secret != "" && secretKey(secret) != secretKey(f.Secret) {
				if g := bySecret[secretKey(secret)]; g != nil && g != f && !gone[g] && mutual(parts, g, f, merged, sibs, idx) {
					// f is a part of g's credential (a key id beside its
					// secret): one finding, named by f's provider.
					absorb(g, f, true)
					gone[f] = true
					f = g
				} else {
					// The provider found a value beside f that no rule
					// reported: a guess from the text around it, kept as a
					// part (for verification and remediation), never as the
					// finding's secret.
					ps = mergeParts(ps, map[string]string{"secret": secret})
				}
			}
			f.Parts = mergeParts(f.Parts, ps)
		}
		merged = slices.DeleteFunc(merged, func(f *finding.Finding) bool { return gone[f] })
	}
	// 3. Credential kinds and fingerprints.
	for _, f := range merged {
		f.Kind = f.Provider
		if k := f.Parts["kind"]; k != "" && f.Kind != "" {
			f.Kind += ":" + k
		}
		id := f.Secret
		if id == "" && len(f.Locations) > 0 {
			id = "path:" + f.Locations[0].Path
		}
		f.Fingerprint = fp.Of(id)
		slices.Sort(f.Aliases)
		f.Aliases = slices.Compact(f.Aliases)
		slices.Sort(f.OtherRules)
		f.OtherRules = slices.Compact(f.OtherRules)
	}
	return merged
}

// secretKey is the form in which two sightings of one secret compare equal:
// a PEM block written with escaped newlines (a JSON key file) and the same
// block with real ones are one key.
func secretKey(s string) string {
	if strings.Contains(s, `\n`) && strings.Contains(s, "-----BEGIN") {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	return strings.TrimSpace(s)
}

// ruleRank orders rules by how much their match says about the secret:
// a provider's own format (3) over a file-format rule that knows the
// provider but not the token's shape (2) over a rule that knows the kind of
// value but no provider (1) over generic-api-key (0).
func ruleRank(rs *rules.Ruleset, ruleID string) int {
	if ruleID == "generic-api-key" {
		return 0
	}
	m := rs.Meta(ruleID)
	switch {
	case m.Provider == "":
		return 1
	case m.Weak:
		return 2
	}
	return 3
}

// absorb merges from into into: one credential seen by two rules or made
// of two parts. With rename, from's rule names the result (into keeps its
// secret). Locations, rules, aliases, tags and parts are united; the
// severity is the higher of the two.
func absorb(into, from *finding.Finding, rename bool) {
	if rename {
		into.OtherRules = append(into.OtherRules, into.RuleID)
		into.RuleID, into.Description, into.Provider = from.RuleID, from.Description, from.Provider
		if from.Context != "" {
			into.Context = from.Context
		}
	} else {
		into.OtherRules = append(into.OtherRules, from.RuleID)
	}
	into.OtherRules = append(into.OtherRules, from.OtherRules...)
	into.OtherRules = slices.DeleteFunc(into.OtherRules, func(r string) bool { return r == into.RuleID })
	if finding.SeverityRank(from.Severity) < finding.SeverityRank(into.Severity) {
		into.Severity = from.Severity
	}
	into.Aliases = append(into.Aliases, from.Aliases...)
	for _, t := range from.Tags {
		if !slices.Contains(into.Tags, t) {
			into.Tags = append(into.Tags, t)
		}
	}
	have := map[locKey]bool{}
	for _, l := range into.Locations {
		have[locKey{l.Commit, l.Blob, l.Path, l.Line, l.Column}] = true
	}
	for _, l := range from.Locations {
		if !have[locKey{l.Commit, l.Blob, l.Path, l.Line, l.Column}] {
			into.Locations = append(into.Locations, l)
		}
	}
	into.InHead = into.InHead || from.InHead
	into.Parts = mergeParts(into.Parts, from.Parts)
	if into.Context == "" {
		into.Context = from.Context
	}
}

// mutual reports whether g, which f's provider names as the rest of f's
// credential, agrees: its own provider names f's secret among its parts
// (an AWS secret's nearest key id is f), or has no parts to name (a
// private key found inside a GCP key file). Two key pairs written side by
// side are so never crossed.
func mutual(parts PartFinder, g, f *finding.Finding, all []*finding.Finding, sibs func(int) []int, idx map[*finding.Finding]int) bool {
	var others []*finding.Finding
	for _, j := range sibs(idx[g]) {
		others = append(others, all[j])
	}
	_, ps, ok := parts.CredentialParts(g, others)
	if !ok {
		return true
	}
	for _, v := range ps {
		if secretKey(v) == secretKey(f.Secret) {
			return true
		}
	}
	return false
}

func mergeParts(into, from map[string]string) map[string]string {
	for k, v := range from {
		if v == "" {
			continue
		}
		if into == nil {
			into = map[string]string{}
		}
		if _, ok := into[k]; !ok {
			into[k] = v
		}
	}
	return into
}

// siblingIndex lists, for fs[i], the indexes of the findings that share a
// blob or file with it.
func siblingIndex(fs []*finding.Finding) func(i int) []int {
	return finding.SiblingIndex(len(fs), func(i int) []finding.Location { return fs[i].Locations })
}

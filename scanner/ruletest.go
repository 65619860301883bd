package scanner

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"

	"nhiscan/rules"
)

// RuleTrace is what one rule did at one place of a file: reported it, or
// matched it and was stopped, and by what. It backs `scan rules test`.
type RuleTrace struct {
	RuleID string
	Line   int
	Column int
	Secret string // raw: callers redact it
	Fired  bool
	// Why says why a match was not reported (an allowlist, the entropy
	// threshold, a checksum, a path condition, a more specific rule), or
	// how a finding was made ("reported", "reported (decoded base64)").
	Why string
}

// maxTraceBytes bounds the file size `rules test` explains match by match.
const maxTraceBytes = 8 << 20

// Trace runs the engine on one file as `scan dir` would and explains, for
// every rule whose regular expression matches the raw text, whether it was
// reported and, if not, why. path is the file's path as the rules see it
// (path conditions and path allowlists apply to it).
func (e *Engine) Trace(ctx context.Context, path string, data []byte) []RuleTrace {
	cfg := &e.rules.Config
	path = strings.ReplaceAll(path, "\\", "/")
	t := splitLines(data, nil)
	var out []RuleTrace
	fired := map[[2]string]bool{}
	hits := dedupHits(e.scanLines(ctx, t, 0, t.lines()-1, path, nil))
	for _, h := range hits {
		tr := RuleTrace{RuleID: h.RuleID, Line: h.StartLine, Column: h.StartCol, Secret: h.Secret, Fired: true, Why: "reported"}
		if !literal(t, h) {
			tr.Why = "reported (found in decoded text)"
		}
		if why := locationWhy(cfg, h, path); why != "" {
			tr.Fired, tr.Why = false, why
		} else if rules.NoisyPath(path) {
			tr.Why += "; vendored or generated path: severity lowered one level"
		}
		fired[[2]string{h.RuleID, h.Secret}] = true
		out = append(out, tr)
	}
	for _, r := range pathOnlyRules(cfg) {
		if path != "" && r.Path.MatchString(path) {
			h := hit{RuleID: r.RuleID}
			tr := RuleTrace{RuleID: r.RuleID, Fired: true, Why: "reported: the file's path is the finding"}
			if why := locationWhy(cfg, h, path); why != "" {
				tr.Fired, tr.Why = false, why
			}
			out = append(out, tr)
		}
	}
	if len(data) <= maxTraceBytes && !isBinary(data) {
		out = append(out, e.explainMisses(t, path, hits, fired)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}

// locationWhy is locationAllowed with its reason ("" = allowed).
func locationWhy(cfg *config.Config, h hit, path string) string {
	rule, ok := cfg.Rules[h.RuleID]
	if !ok {
		return "unknown rule"
	}
	if rule.Path != nil && !rule.Path.MatchString(path) {
		return fmt.Sprintf("the rule only applies to paths matching %s", rule.Path)
	}
	if strings.Contains(h.RuleID, "generic") && rules.NoisyPath(path) {
		return "the generic rule is not applied in vendored, generated or lock files"
	}
	for _, set := range []struct {
		name string
		als  []*config.Allowlist
	}{{"global allowlist", cfg.Allowlists}, {"rule allowlist", rule.Allowlists}} {
		for _, a := range set.als {
			if allowedBy(a, h, path, "") {
				return fmt.Sprintf("%s %q: path", set.name, a.Description)
			}
		}
	}
	return ""
}

// explainMisses finds the regex matches of every rule in the raw text that
// did not become a finding and says why.
func (e *Engine) explainMisses(t text, path string, hits []hit, fired map[[2]string]bool) []RuleTrace {
	cfg := &e.rules.Config
	raw := string(t.data)
	low := strings.ToLower(raw)
	var out []RuleTrace
	for _, id := range cfg.OrderedRules {
		r := cfg.Rules[id]
		if r.Regex == nil {
			continue
		}
		ms := r.Regex.FindAllStringSubmatchIndex(raw, 50)
		for _, m := range ms {
			secret := raw[m[0]:m[1]]
			if len(m) > 2 {
				secret = ""
				if r.SecretGroup > 0 && 2*r.SecretGroup+1 < len(m) && m[2*r.SecretGroup] >= 0 {
					secret = raw[m[2*r.SecretGroup]:m[2*r.SecretGroup+1]]
				} else {
					for g := 1; 2*g+1 < len(m); g++ {
						if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
							secret = raw[m[2*g]:m[2*g+1]]
							break
						}
					}
				}
				if secret == "" {
					secret = raw[m[0]:m[1]]
				}
			}
			secret = strings.Trim(secret, "\n")
			if fired[[2]string{id, secret}] {
				continue
			}
			l := t.lineOf(m[0])
			h := hit{RuleID: id, Secret: secret, Match: raw[m[0]:m[1]], Line: string(t.line(l)), StartLine: l + 1, StartCol: m[0] - t.starts[l] + 1}
			h.EndLine, h.EndCol = h.StartLine, h.StartCol+len(h.Match)
			out = append(out, RuleTrace{RuleID: id, Line: h.StartLine, Column: h.StartCol, Secret: secret,
				Why: e.whyNot(cfg, r, h, path, low, hits)})
		}
	}
	return out
}

// whyNot names the first check a match failed, in the order gitleaks and
// the engine apply them.
func (e *Engine) whyNot(cfg *config.Config, r config.Rule, h hit, path, low string, hits []hit) string {
	if len(r.Keywords) > 0 {
		found := false
		for _, k := range r.Keywords {
			if strings.Contains(low, strings.ToLower(k)) {
				found = true
				break
			}
		}
		if !found {
			return "none of the rule's keywords is in the file"
		}
	}
	if bytes.Contains([]byte(h.Line), []byte("gitleaks:allow")) {
		return "the line carries gitleaks:allow"
	}
	if r.Entropy > 0 {
		if en := entropy(h.Secret); en <= r.Entropy {
			return fmt.Sprintf("entropy %.2f is not above the rule's %.2f", en, r.Entropy)
		}
	}
	for _, set := range []struct {
		name string
		als  []*config.Allowlist
	}{{"global allowlist", cfg.Allowlists}, {"rule allowlist", r.Allowlists}} {
		for _, a := range set.als {
			if why := contentAllowed(a, h); why != "" {
				return fmt.Sprintf("%s %q: %s", set.name, a.Description, why)
			}
		}
	}
	if why := locationWhy(cfg, h, path); why != "" {
		return why
	}
	if !rules.ChecksumOK(h.Secret) {
		return "the token's checksum is wrong: it was never issued"
	}
	if e.weak(r.RuleID) {
		for _, s := range hits {
			if s.StartLine == h.StartLine && !e.weak(s.RuleID) {
				return "a more specific rule (" + s.RuleID + ") reports this line"
			}
		}
	}
	return "matched only outside what the rule's keyword window reaches (multi-line match), or by a different capture"
}

// contentAllowed reports which content criterion of an allowlist holds.
func contentAllowed(a *config.Allowlist, h hit) string {
	if a.MatchCondition == config.AllowlistMatchAnd && (len(a.Paths) > 0 || len(a.Commits) > 0) {
		return ""
	}
	target := h.Secret
	switch a.RegexTarget {
	case "match":
		target = h.Match
	case "line":
		target = h.Line
	}
	if len(a.Regexes) > 0 && a.RegexAllowed(target) {
		return "regex (a placeholder or documented example)"
	}
	if ok, w := a.ContainsStopWord(h.Secret); ok {
		return fmt.Sprintf("stopword %q", w)
	}
	return ""
}

// entropy is the Shannon entropy of s in bits per byte, as gitleaks
// computes it.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var n [256]int
	for i := 0; i < len(s); i++ {
		n[s[i]]++
	}
	var h float64
	for _, c := range n {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

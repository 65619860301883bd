package verifiers

import (
	"slices"
	"strings"
)

// Helpers for Pairers: they read companion values from a Sighting's raw
// Context and Siblings. Nothing here logs, and nothing here ever turns
// content into a host that the operator did not configure.

// Nearest returns capture group 1 of the match of re in text closest to
// the first occurrence of anchor (any match when anchor is absent),
// skipping values equal to skip. "" when none.
func Nearest(text, anchor string, re *LazyRE, skip ...string) string {
	at := strings.Index(text, anchor)
	if anchor == "" || at < 0 {
		at = 0
	}
	best, bestDist := "", -1
	for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
		lo, hi := m[0], m[1]
		if len(m) >= 4 && m[2] >= 0 {
			lo, hi = m[2], m[3]
		}
		v := text[lo:hi]
		if v == "" || slices.Contains(skip, v) {
			continue
		}
		d := lo - at
		if d < 0 {
			d = -d
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// Labelled compiles a pattern for `label ... = value` assignments in code,
// env files, YAML and JSON: labels is an alternation matched case
// insensitively inside an identifier, value the value's own pattern.
func Labelled(labels, value string) *LazyRE {
	return LazyRegexp(`(?i)[\w.-]{0,40}(?:` + labels + `)[\w.-]{0,20}["']?\s{0,5}(?:=|:|=>|:=|,)\s{0,5}["']?(` + value + `)(?:[^\w/+=.~-]|$)`)
}

// SiblingSecret returns the secret of the first sibling of s (other than
// s.Secret itself) for which ok is true; "" when none.
func SiblingSecret(s Sighting, ok func(Sibling) bool) string {
	for _, sb := range s.Siblings {
		if sb.Secret != "" && sb.Secret != s.Secret && ok(sb) {
			return sb.Secret
		}
	}
	return ""
}

var hostName = LazyRegexp(`(?i)\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?::(\d{1,5}))?\b`)

// ConfiguredHost returns the host of configured that text names (the one
// nearest to anchor); failing that, when orOnly is set and exactly one host
// is configured, that host; else "". A host named in text but not
// configured is never returned.
func ConfiguredHost(text, anchor string, configured []string, orOnly bool) string {
	if len(configured) == 0 {
		return ""
	}
	at := max(strings.Index(text, anchor), 0)
	best, bestDist := "", -1
	for _, m := range hostName.FindAllStringSubmatchIndex(text, -1) {
		h := strings.ToLower(text[m[2]:m[3]])
		cand := h
		if m[4] >= 0 && text[m[4]:m[5]] != "443" {
			cand = h + ":" + text[m[4]:m[5]]
		}
		if !slices.Contains(configured, cand) {
			if !slices.Contains(configured, h) {
				continue
			}
			cand = h
		}
		d := m[0] - at
		if d < 0 {
			d = -d
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" && orOnly && len(configured) == 1 {
		return configured[0]
	}
	return best
}

// Companions builds a companion map from name, value pairs, without empty
// values (nil when all are empty).
func Companions(kv ...string) map[string]string {
	var m map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Package finding is the model every stage shares: a Finding (one leaked
// credential with every place it was seen), its Locations, its
// Verification and its Remediation, with the typed status enums, the
// fingerprint and the redaction rule. It imports nothing of nhiscan, so the
// scanner, verifiers, remediate, the store and the report writers can all
// use it without importing each other.
package finding

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// Finding is one leaked secret. A secret committed in 40 commits is one
// Finding with 40 Locations: verification and remediation act once per secret.
//
// Secret holds the raw value and is never serialised by this package; writers
// decide (with --show-secrets) whether to print it. Everything else is safe to
// print.
type Finding struct {
	// Fingerprint is the credential's stable id: a keyed hash of its
	// primary secret (see Fingerprinter), whatever rule found it.
	Fingerprint string
	// Aliases are other fingerprints of the same credential that earlier
	// versions wrote (the per-rule form Fingerprint(rule, secret) of every
	// rule that matched it, the unkeyed form): baselines, ignore files,
	// tickets and stores that hold one of them still match this finding.
	Aliases []string
	// RuleID is the most specific rule that matched (a provider rule over a
	// file-format rule over generic-api-key); OtherRules the others.
	RuleID     string
	OtherRules []string
	// Kind is the credential kind: its provider, and the provider's own
	// kind when it has several ("gcp:api-key"); "" when no provider
	// claims the secret.
	Kind string
	// Parts are the further named parts of a multi-part credential (an AWS
	// key id and session token, a GCP key file's client_email and
	// private_key_id, an Azure tenant and client id), assembled where the
	// secret was found. As sensitive as Secret: never log, print or store.
	Parts       map[string]string
	Description string
	Provider    string   // provider id (the key verifiers and remediators use); "" when unknown
	Severity    string   // critical, high, medium, low
	Tags        []string // rule tags
	Secret      string   // raw secret: never log it, never store it
	// Context is raw text around the first sighting of the secret (a few
	// lines), for verifiers that need a companion value (an AWS key id beside
	// its secret, an Azure tenant id beside a client secret). It is as
	// sensitive as Secret: never log, print or store it.
	Context   string
	Redacted  string // Redact(Secret)
	Entropy   float32
	Locations []Location
	// InHead is true when the secret is still present at the tip of the
	// default branch (history scans) or in the scanned tree (dir, staged).
	InHead bool
	// Verification is the provider's answer about the secret, nil when it
	// was not verified (package verifiers fills it).
	Verification *Verification
	// Remediation is what was planned or done about the secret, nil when
	// nothing was (package remediate fills it).
	Remediation *Remediation
}

// Status is a verification status: three-valued, never guessed. The empty
// Status means "not verified".
type Status string

// Verification statuses.
const (
	StatusLive    Status = "live"
	StatusDead    Status = "dead"
	StatusUnknown Status = "unknown"
)

// Valid reports whether s is one of the three statuses.
func (s Status) Valid() bool { return s == StatusLive || s == StatusDead || s == StatusUnknown }

// RemediationState is where the remediation of a credential stands.
type RemediationState string

// Remediation states, from least to most done (see Rank).
const (
	StatePlanned  RemediationState = "planned"
	StateFailed   RemediationState = "failed"
	StateTicketed RemediationState = "ticketed"
	StateRotated  RemediationState = "rotated"
	StateRevoked  RemediationState = "revoked"
)

// Rank orders states by how far the credential's exposure is closed: a
// revoked or rotated credential outranks a ticket, which outranks a plan
// or a failure. Unknown states rank lowest.
func (s RemediationState) Rank() int {
	switch s {
	case StateRevoked:
		return 5
	case StateRotated:
		return 4
	case StateTicketed:
		return 3
	case StateFailed:
		return 2
	case StatePlanned:
		return 1
	}
	return 0
}

// Verification is the outcome of checking a secret against its provider.
// No field ever holds the secret.
type Verification struct {
	Status     Status            `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	CheckedAt  time.Time         `json:"checked_at,omitzero"`
	Identity   map[string]string `json:"identity,omitempty"` // login, account, ARN, team, email…
	Privileges Privileges        `json:"privileges,omitzero"`
	Endpoint   string            `json:"endpoint,omitempty"` // "METHOD https://host/path"
}

// Privileges is what a live credential may do (its blast radius).
type Privileges struct {
	Level  string   `json:"level,omitempty"`  // admin, write, read, unknown
	Scopes []string `json:"scopes,omitempty"` // as the provider reports them
	Flags  []string `json:"flags,omitempty"`  // org-admin, root-account, can-manage-keys…
}

// Remediation is the state of what was done about a secret.
type Remediation struct {
	State RemediationState `json:"state"`
	// Actions are the planned or applied actions, in order, e.g. "revoke", "ticket".
	Actions   []string  `json:"actions,omitempty"`
	TicketURL string    `json:"ticket_url,omitempty"`
	At        time.Time `json:"at,omitzero"`
	Detail    string    `json:"detail,omitempty"` // secret-free
}

// Status is the verification status, "" when the secret was not verified.
func (f *Finding) Status() Status {
	if f.Verification == nil {
		return ""
	}
	return f.Verification.Status
}

// Location is one place a secret was found. For history scans it is the
// commit that added the line holding the secret to Path.
type Location struct {
	Commit    string    `json:"commit,omitempty"`
	Blob      string    `json:"blob,omitempty"`
	Path      string    `json:"path"`
	Line      int       `json:"line"`
	Column    int       `json:"column"`
	EndLine   int       `json:"end_line"`
	EndColumn int       `json:"end_column"`
	Author    string    `json:"author,omitempty"`
	Email     string    `json:"email,omitempty"`
	Date      time.Time `json:"date,omitzero"`
	// Unreachable is set for blobs no ref's history adds (dangling objects,
	// or only added by a merge): the secret is in the object store but no
	// commit could be named.
	Unreachable bool `json:"unreachable,omitempty"`
}

// Fingerprint is the per-rule fingerprint earlier versions gave a finding:
// the first 16 bytes of SHA-256(ruleID NUL secret), hex encoded. It is kept
// as an alias (Finding.Aliases) so that baselines, ignore files, tickets and
// stores written before credential fingerprints (Fingerprinter) still match.
func Fingerprint(ruleID, secret string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SecretHash is the hash the store keeps instead of a secret: SHA-256 of the
// secret alone (no rule), hex encoded, so the same value found by two rules
// can be matched.
func SecretHash(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Redact hides a secret for display: at most the first four characters of a
// long secret (enough to recognise a provider prefix such as "ghp_" or
// "AKIA") stay visible, never more than a quarter of it.
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	keep := len(secret) / 4
	if keep > 4 {
		keep = 4
	}
	if len(secret) < 12 {
		keep = 0
	}
	// never cut a multi-byte rune in half
	for keep > 0 && keep < len(secret) && !utf8Start(secret[keep]) {
		keep--
	}
	return secret[:keep] + "*****"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// FirstLocation is the earliest dated location (the commit that first leaked
// the secret), or the first one when none is dated.
func (f *Finding) FirstLocation() Location {
	if len(f.Locations) == 0 {
		return Location{}
	}
	best := f.Locations[0]
	for _, l := range f.Locations[1:] {
		if !l.Date.IsZero() && (best.Date.IsZero() || l.Date.Before(best.Date)) {
			best = l
		}
	}
	return best
}

// SortLocations orders locations by date, then path, line and commit, so
// output is deterministic whatever order the parallel scan produced.
func (f *Finding) SortLocations() {
	sort.SliceStable(f.Locations, func(i, j int) bool {
		a, b := f.Locations[i], f.Locations[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Commit < b.Commit
	})
}

// SortFindings orders findings by severity, then rule and fingerprint.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		si, sj := SeverityRank(fs[i].Severity), SeverityRank(fs[j].Severity)
		if si != sj {
			return si < sj
		}
		if fs[i].RuleID != fs[j].RuleID {
			return fs[i].RuleID < fs[j].RuleID
		}
		return fs[i].Fingerprint < fs[j].Fingerprint
	})
}

// SeverityRank orders severities, most severe first: critical 0, high 1,
// medium 2, low 3, anything else 4.
func SeverityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 0
	case "high":
		return 1
	case "medium":
		return 2
	case "low":
		return 3
	}
	return 4
}

// Stats counts what a scan read and what it skipped, so a partial scan is
// never mistaken for a clean one.
type Stats struct {
	Commits        int   `json:"commits"`
	Blobs          int   `json:"blobs"`
	Bytes          int64 `json:"bytes"`
	MissingObjects int   `json:"missing_objects"`
	// CorruptObjects are objects present but unreadable (a truncated or
	// damaged object file), skipped; missing ones are MissingObjects.
	CorruptObjects int `json:"corrupt_objects,omitempty"`
	SkippedLarge   int `json:"skipped_large"`
	SkippedBinary  int `json:"skipped_binary"`
	Errors         int `json:"errors"`
	// Warnings are human-readable notes about what was not scanned and why.
	// They never contain a secret.
	Warnings []string `json:"warnings,omitempty"`
	// Suppressed counts what was found but not reported, and by what.
	Suppressed Suppressed `json:"suppressed,omitzero"`
}

// Suppressed counts the matches a scan dropped on purpose, by cause, so a
// summary can say what was hidden and by what.
type Suppressed struct {
	Baseline   int `json:"baseline,omitempty"`    // secrets an earlier report (--baseline) already holds
	IgnoreFile int `json:"ignore_file,omitempty"` // locations listed in .gitleaksignore
	Inline     int `json:"inline,omitempty"`      // matches on a line carrying gitleaks:allow
	Allowlist  int `json:"allowlist,omitempty"`   // locations a rule's or the config's path/commit allowlist drops
	// Names says what was suppressed ("path:line rule (cause)"), for -v; at
	// most MaxSuppressedNames. It never holds a secret.
	Names []string `json:"-"`
}

// MaxSuppressedNames caps Suppressed.Names.
const MaxSuppressedNames = 200

// Total is the number of suppressed matches of every cause.
func (s Suppressed) Total() int { return s.Baseline + s.IgnoreFile + s.Inline + s.Allowlist }

// Result is what a scan returns.
type Result struct {
	Findings []Finding
	Stats    Stats
}

// Fingerprinter computes credential fingerprints: the first 16 bytes of
// HMAC-SHA-256(key, secret), hex encoded. The key keeps a weak secret (a
// short password) from being guessed back from a fingerprint that travels
// to SARIF, annotations, ticket titles and tracker labels; it is an
// installation's (config, environment or the store), so fingerprints are
// stable within an installation and across a crawl's shards. The
// credential's kind is not hashed: a secret's value identifies it, and a
// rule that later names a generic secret's provider must not change its id.
// The zero Fingerprinter uses an empty key (tests and libraries only).
type Fingerprinter struct{ key []byte }

// NewFingerprinter returns a Fingerprinter keyed with key.
func NewFingerprinter(key []byte) Fingerprinter {
	return Fingerprinter{key: append([]byte(nil), key...)}
}

// Of returns the fingerprint of a credential whose primary secret is
// secret. A finding without a secret (a key file detected by its path) is
// fingerprinted by "path:" and its path.
func (fp Fingerprinter) Of(secret string) string {
	m := hmac.New(sha256.New, fp.key)
	m.Write([]byte("nhiscan-credential\x00"))
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// ValidFingerprint reports whether s has a fingerprint's form: 32 (or, for
// store hashes, 64) lowercase hex digits. Every fingerprint read from a
// report, a baseline, a ticket or the store is checked with it before it is
// used in a query or a lookup.
func ValidFingerprint(s string) bool {
	if len(s) != 32 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Matches reports whether fp is f's fingerprint or one of its aliases.
func (f *Finding) Matches(fp string) bool {
	if fp == "" {
		return false
	}
	if f.Fingerprint == fp {
		return true
	}
	for _, a := range f.Aliases {
		if a == fp {
			return true
		}
	}
	return false
}

// SiblingIndex indexes n findings by the blob (history) or the commit and
// path (trees) each was seen in; locs(i) are the locations of finding i.
// The returned function lists the indexes of the other findings that share
// a blob or file with finding i: the values a multi-part credential's
// parts are looked for among.
func SiblingIndex(n int, locs func(i int) []Location) func(i int) []int {
	groups := map[string][]int{}
	keys := make([][]string, n)
	for i := 0; i < n; i++ {
		seen := map[string]bool{}
		for _, l := range locs(i) {
			key := "b:" + l.Blob
			if l.Blob == "" {
				key = "p:" + l.Commit + "\x00" + l.Path
			}
			if !seen[key] {
				seen[key] = true
				groups[key] = append(groups[key], i)
				keys[i] = append(keys[i], key)
			}
		}
	}
	return func(i int) []int {
		var out []int
		done := map[int]bool{i: true}
		for _, key := range keys[i] {
			for _, j := range groups[key] {
				if !done[j] {
					done[j] = true
					out = append(out, j)
				}
			}
		}
		return out
	}
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"nhiscan/finding"
	"sort"
	"strconv"
	"strings"

	"nhiscan/internal/termsafe"
)

// maxTextLocations caps the locations printed per finding in text output.
const maxTextLocations = 10

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// sanitize makes a string from scanned content (a path, an author, a
// warning) safe to print on a terminal: termsafe.Clean, the one sanitiser of
// human-facing output.
func sanitize(s string) string { return termsafe.Clean(s) }

type textWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) severity(sev string) string {
	label := strings.ToUpper(sev)
	if label == "" {
		label = "UNKNOWN"
	}
	label = sanitize(label)
	switch sev {
	case "critical":
		return t.paint(ansiBold+ansiRed, label)
	case "high":
		return t.paint(ansiRed, label)
	case "medium":
		return t.paint(ansiYellow, label)
	case "low":
		return t.paint(ansiCyan, label)
	}
	return label
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func writeText(w io.Writer, res finding.Result, opts Options) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color}
	locations := 0
	blobs := map[string]bool{}
	verified := anyVerified(res.Findings)
	order := make([]*finding.Finding, 0, len(res.Findings))
	counts := map[string]int{}
	if verified {
		// grouped by status: live first, then unknown, dead, not verified
		for _, g := range statusOrder {
			for i := range res.Findings {
				if f := &res.Findings[i]; statusGroup(f) == g {
					order = append(order, f)
					counts[g]++
				}
			}
		}
	} else {
		// The team's own findings first, then those only in vendored
		// trees and dependency caches (tagged "vendored"), under a header,
		// so a committed cache cannot bury a real finding.
		for _, vend := range []bool{false, true} {
			for i := range res.Findings {
				if f := &res.Findings[i]; isVendored(f) == vend {
					order = append(order, f)
					if vend {
						counts[vendoredGroup]++
					}
				}
			}
		}
	}
	group := ""
	explained := map[string]bool{} // rules whose what:/fix: text was printed
	for _, f := range order {
		if g := statusGroup(f); verified && g != group {
			group = g
			t.groupHeader(g, counts[g])
		}
		if !verified && isVendored(f) && group != vendoredGroup {
			group = vendoredGroup
			fmt.Fprintf(t.w, "== %s (%d) ==\n\n", t.paint(ansiBold, "VENDORED OR CACHED: only in dependency caches, vendored trees or bundles (severity lowered one level)"), counts[vendoredGroup])
		}
		t.finding(f, opts, !explained[f.RuleID])
		explained[f.RuleID] = true
		locations += len(f.Locations)
		for _, l := range f.Locations {
			key := l.Blob
			if key == "" {
				key = l.Commit + "\x00" + l.Path
			}
			blobs[key] = true
		}
	}
	if len(res.Findings) == 0 {
		fmt.Fprintln(t.w, "No secrets found.")
	} else {
		t.byRule(res.Findings, opts)
	}
	fmt.Fprintln(t.w, statsLine(res, opts, locations, len(blobs)))
	if verified {
		fmt.Fprintf(t.w, "verification: %d live, %d unknown, %d dead, %d not verified\n",
			counts[string(finding.StatusLive)], counts[string(finding.StatusUnknown)], counts[string(finding.StatusDead)], counts[notVerified])
	}
	t.suppressed(res.Stats.Suppressed, opts)
	for _, warn := range res.Stats.Warnings {
		fmt.Fprintf(t.w, "%s %s\n", t.paint(ansiYellow, "warning:"), sanitize(warn))
	}
	return t.w.Flush()
}

// shownValue is the secret column of text output: a file that is a secret
// as a whole (a Rails master key, a keystore) says so instead of repeating
// its path.
func shownValue(f *finding.Finding, opts Options) string {
	if f.Secret == "" && f.Redacted != "" {
		for _, l := range f.Locations {
			if l.Path == f.Redacted || strings.HasSuffix(l.Path, "/"+f.Redacted) {
				return "(the whole file)"
			}
		}
	}
	return shownSecret(f, opts)
}

// statsLine says how much was found and scanned, in the words of the
// source: blobs and objects for history, files for a folder or the index.
func statsLine(res finding.Result, opts Options, locations, places int) string {
	s := res.Stats
	unit, units := "blob", "blobs"
	if opts.Source == "dir" || opts.Source == "staged" {
		unit, units = "file", "files"
	}
	line := fmt.Sprintf("%s (%s) in %s; scanned ",
		plural(len(res.Findings), "secret", "secrets"),
		plural(locations, "location", "locations"),
		plural(places, unit, units))
	if opts.Source == "" && s.Commits > 0 {
		line += plural(s.Commits, "commit", "commits") + ", "
	}
	line += fmt.Sprintf("%s, %.1f MB", plural(s.Blobs, unit, units), float64(s.Bytes)/1e6)
	if s.MissingObjects > 0 {
		line += fmt.Sprintf("; missing objects: %d", s.MissingObjects)
	}
	if s.SkippedLarge > 0 || s.SkippedBinary > 0 {
		line += fmt.Sprintf("; skipped: %d large, %d binary", s.SkippedLarge, s.SkippedBinary)
	}
	if s.Errors > 0 {
		line += fmt.Sprintf("; errors: %d", s.Errors)
	}
	return line
}

// byRule is the closing summary of a report: secrets by severity, then by
// rule (most first), so a noisy repository reads from the end.
func (t *textWriter) byRule(fs []finding.Finding, opts Options) {
	sev := map[string]int{}
	type row struct {
		rule, severity string
		n              int
	}
	rows := map[string]*row{}
	for i := range fs {
		f := &fs[i]
		s := severityOf(f, opts)
		if s == "" {
			s = "unknown"
		}
		sev[s]++
		r := rows[f.RuleID]
		if r == nil {
			r = &row{rule: f.RuleID, severity: s}
			rows[f.RuleID] = r
		}
		r.n++
	}
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "unknown"} {
		if sev[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", sev[s], s))
		}
	}
	fmt.Fprintf(t.w, "by severity: %s\n", strings.Join(parts, ", "))
	list := make([]*row, 0, len(rows))
	for _, r := range rows {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].rule < list[j].rule
	})
	fmt.Fprintln(t.w, "by rule:")
	for _, r := range list {
		fmt.Fprintf(t.w, "  %4d  %-8s  %s\n", r.n, r.severity, sanitize(r.rule))
	}
}

// suppressed says what was found but not reported, and by what; with
// Verbose, which ones.
func (t *textWriter) suppressed(s finding.Suppressed, opts Options) {
	if s.Total() == 0 {
		return
	}
	fmt.Fprintf(t.w, "suppressed: %s\n", suppressedText(s))
	if opts.Verbose {
		for _, n := range s.Names {
			fmt.Fprintf(t.w, "  %s\n", sanitize(n))
		}
		if len(s.Names) < s.Total() && len(s.Names) == finding.MaxSuppressedNames {
			fmt.Fprintf(t.w, "  … and more\n")
		}
	} else {
		fmt.Fprintln(t.w, "  (-v lists them)")
	}
}

func suppressedText(s finding.Suppressed) string {
	var parts []string
	if s.Baseline > 0 {
		parts = append(parts, plural(s.Baseline, "secret", "secrets")+" in the baseline")
	}
	if s.IgnoreFile > 0 {
		parts = append(parts, plural(s.IgnoreFile, "location", "locations")+" in .gitleaksignore")
	}
	if s.Inline > 0 {
		parts = append(parts, plural(s.Inline, "match", "matches")+" marked gitleaks:allow")
	}
	if s.Allowlist > 0 {
		parts = append(parts, plural(s.Allowlist, "location", "locations")+" by allowlists")
	}
	return strings.Join(parts, ", ")
}

// WriteSummary writes the short summary that goes to stderr when the report
// itself goes to a file: counts by status, severity and rule, what was
// suppressed and the warnings. It never holds a secret, a path or an
// identity: only counts and rule ids.
func WriteSummary(w io.Writer, res finding.Result, opts Options) error {
	res = normalize(res)
	t := &textWriter{w: bufio.NewWriter(w)}
	locations := 0
	places := map[string]bool{}
	for _, f := range res.Findings {
		locations += len(f.Locations)
		for _, l := range f.Locations {
			places[l.Blob+"\x00"+l.Commit+"\x00"+l.Path] = true
		}
	}
	if len(res.Findings) == 0 {
		fmt.Fprintln(t.w, "No secrets found.")
	} else {
		t.byRule(res.Findings, opts)
	}
	fmt.Fprintln(t.w, statsLine(res, opts, locations, len(places)))
	if anyVerified(res.Findings) {
		n := map[string]int{}
		for i := range res.Findings {
			n[statusGroup(&res.Findings[i])]++
		}
		fmt.Fprintf(t.w, "verification: %d live, %d unknown, %d dead, %d not verified\n",
			n[string(finding.StatusLive)], n[string(finding.StatusUnknown)], n[string(finding.StatusDead)], n[notVerified])
	}
	if s := res.Stats.Suppressed; s.Total() > 0 {
		fmt.Fprintf(t.w, "suppressed: %s\n", suppressedText(s))
	}
	for _, warn := range res.Stats.Warnings {
		fmt.Fprintf(t.w, "warning: %s\n", sanitize(warn))
	}
	return t.w.Flush()
}

func (t *textWriter) finding(f *finding.Finding, opts Options, explain bool) {
	ri := ruleInfo(f, opts)
	provider := ri.Provider
	if provider == "" {
		provider = "-"
	}
	head := "history only"
	switch {
	case opts.Source == "staged":
		head = t.paint(ansiBold, "staged")
	case opts.Source == "dir":
		head = "on disk"
	case f.InHead:
		head = t.paint(ansiBold, "in HEAD")
	}
	fmt.Fprintf(t.w, "%s  %s  %s  %s  fingerprint %s  %s  %s\n",
		t.severity(strings.ToLower(ri.Severity)),
		t.paint(ansiBold, sanitize(f.RuleID)),
		sanitize(provider),
		sanitize(shownValue(f, opts)),
		sanitize(f.Fingerprint),
		head,
		plural(len(f.Locations), "location", "locations"))
	t.verification(f.Verification)
	for i, l := range f.Locations {
		if i == maxTextLocations {
			fmt.Fprintf(t.w, "    … and %d more\n", len(f.Locations)-maxTextLocations)
			break
		}
		t.location(l, opts)
	}
	if r := f.Remediation; r != nil {
		line := "    remediation: " + sanitize(string(r.State))
		if len(r.Actions) > 0 {
			line += " (" + sanitize(strings.Join(r.Actions, ", ")) + ")"
		}
		if r.TicketURL != "" {
			line += "  ticket " + sanitize(r.TicketURL)
		}
		if r.Detail != "" {
			line += "  " + sanitize(r.Detail)
		}
		fmt.Fprintln(t.w, line)
	}
	if !explain {
		// what: and fix: were printed with this rule's first finding.
		fmt.Fprintln(t.w)
		return
	}
	if ri.Description != "" || len(ri.Tags) > 0 {
		what := sanitize(ri.Description)
		if len(ri.Tags) > 0 {
			what = strings.TrimSpace(what + " [" + sanitize(strings.Join(ri.Tags, ", ")) + "]")
		}
		fmt.Fprintf(t.w, "    what: %s\n", what)
	}
	if ri.Remediation != "" {
		fmt.Fprintf(t.w, "    fix: %s\n", sanitize(ri.Remediation))
	}
	fmt.Fprintln(t.w)
}

func (t *textWriter) location(l finding.Location, opts Options) {
	commit := l.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	switch {
	case commit != "":
	case l.Unreachable:
		commit = "(unreachable)"
	default:
		commit = "-"
	}
	path := l.Path
	if path == "" {
		path = "(blob " + l.Blob + ")"
	}
	where := sanitize(path)
	if l.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", where, l.Line, l.Column)
	}
	parts := []string{
		where,
		sanitize(commit),
	}
	if l.Author != "" {
		parts = append(parts, sanitize(l.Author))
	}
	if !l.Date.IsZero() {
		parts = append(parts, l.Date.Format("2006-01-02"))
	}
	if u := locationURL(opts, l); u != "" {
		parts = append(parts, t.paint(ansiDim, sanitize(u)))
	}
	fmt.Fprintf(t.w, "    %s\n", strings.Join(parts, "  "))
}

// groupTitles explain each verification group in a few words.
var groupTitles = map[string]string{
	string(finding.StatusLive):    "LIVE: the provider accepted these credentials; revoke or rotate them now",
	string(finding.StatusUnknown): "UNKNOWN: no conclusive answer from the provider; treat as live until checked",
	string(finding.StatusDead):    "DEAD: the provider rejected these credentials; still remove them from the code",
	notVerified:                   "NOT VERIFIED: no verifier for the provider, or no secret to check",
}

func (t *textWriter) groupHeader(group string, n int) {
	title := groupTitles[group]
	switch finding.Status(group) {
	case finding.StatusLive:
		title = t.paint(ansiBold+ansiRed, title)
	case finding.StatusUnknown:
		title = t.paint(ansiYellow, title)
	default:
		title = t.paint(ansiBold, title)
	}
	fmt.Fprintf(t.w, "== %s (%d) ==\n\n", title, n)
}

// verification prints what the provider said: status and reason, identity,
// privileges, and the endpoint asked. Every value comes from a provider's
// answer, so each is sanitized like scanned content.
func (t *textWriter) verification(v *finding.Verification) {
	if v == nil {
		return
	}
	line := "    verified: " + sanitize(string(v.Status))
	if v.Reason != "" {
		line += " (" + sanitize(v.Reason) + ")"
	}
	if !v.CheckedAt.IsZero() {
		line += "  at " + v.CheckedAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	if v.Endpoint != "" {
		line += "  via " + sanitize(v.Endpoint)
	}
	fmt.Fprintln(t.w, line)
	if len(v.Identity) > 0 {
		fmt.Fprintf(t.w, "    identity: %s\n", sanitize(identityString(v.Identity)))
	}
	p := v.Privileges
	if p.Level != "" || len(p.Scopes) > 0 || len(p.Flags) > 0 {
		level := p.Level
		if level == "" {
			level = "unknown"
		}
		line := "    privileges: " + sanitize(level)
		if level == "admin" {
			line = "    privileges: " + t.paint(ansiBold+ansiRed, "admin")
		}
		if len(p.Scopes) > 0 {
			line += "  scopes: " + sanitize(strings.Join(p.Scopes, ", "))
		}
		if len(p.Flags) > 0 {
			line += "  flags: " + sanitize(strings.Join(p.Flags, ", "))
		}
		fmt.Fprintln(t.w, line)
	}
}

// vendoredGroup groups findings tagged "vendored" (every location in a
// vendored tree, dependency cache or generated bundle).
const vendoredGroup = "vendored"

func isVendored(f *finding.Finding) bool {
	for _, tg := range f.Tags {
		if tg == vendoredGroup {
			return true
		}
	}
	return false
}

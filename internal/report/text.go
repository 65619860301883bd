package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"nhiscan/scanner"
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
// warning) safe to print on a terminal. A string holding anything that is
// not printable — newlines, escape sequences, bidirectional overrides,
// invalid UTF-8 — is printed quoted and escaped like a Go string literal, so
// a hostile file name can neither drive the terminal nor fake a line.
func sanitize(s string) string {
	if !utf8.ValidString(s) || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

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

func writeText(w io.Writer, res scanner.Result, opts Options) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color}
	locations := 0
	blobs := map[string]bool{}
	for i := range res.Findings {
		f := &res.Findings[i]
		t.finding(f, opts)
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
	}
	s := res.Stats
	fmt.Fprintf(t.w, "%s (%s) in %s; scanned %s, %.1f MB; missing objects: %d; skipped: %d large, %d binary; errors: %d\n",
		plural(len(res.Findings), "secret", "secrets"),
		plural(locations, "location", "locations"),
		plural(len(blobs), "blob", "blobs"),
		plural(s.Blobs, "blob", "blobs"),
		float64(s.Bytes)/1e6,
		s.MissingObjects, s.SkippedLarge, s.SkippedBinary, s.Errors)
	for _, warn := range s.Warnings {
		fmt.Fprintf(t.w, "%s %s\n", t.paint(ansiYellow, "warning:"), sanitize(warn))
	}
	return t.w.Flush()
}

func (t *textWriter) finding(f *scanner.Finding, opts Options) {
	ri := ruleInfo(f, opts)
	provider := ri.Provider
	if provider == "" {
		provider = "-"
	}
	head := "history only"
	if f.InHead {
		head = t.paint(ansiBold, "in HEAD")
	}
	fmt.Fprintf(t.w, "%s  %s  %s  %s  fingerprint %s  %s  %s\n",
		t.severity(strings.ToLower(ri.Severity)),
		t.paint(ansiBold, sanitize(f.RuleID)),
		sanitize(provider),
		sanitize(shownSecret(f, opts)),
		sanitize(f.Fingerprint),
		head,
		plural(len(f.Locations), "location", "locations"))
	for i, l := range f.Locations {
		if i == maxTextLocations {
			fmt.Fprintf(t.w, "    … and %d more\n", len(f.Locations)-maxTextLocations)
			break
		}
		t.location(l, opts)
	}
	if ri.Remediation != "" {
		fmt.Fprintf(t.w, "    fix: %s\n", sanitize(ri.Remediation))
	}
	fmt.Fprintln(t.w)
}

func (t *textWriter) location(l scanner.Location, opts Options) {
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
	parts := []string{
		fmt.Sprintf("%s:%d:%d", sanitize(path), l.Line, l.Column),
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

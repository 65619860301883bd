// Package report holds the writers that turn a scan result into text, json,
// jsonl, sarif and csv. Writers never re-derive findings: they format what
// the scanner found, in a stable order. They never print a raw secret unless
// Options.ShowSecrets asks for it, and SARIF (uploaded to third parties such
// as GitHub code scanning) never carries one at all.
package report

import (
	"fmt"
	"io"
	"net/url"
	"nhiscan/finding"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RuleInfo is the metadata of a rule that a report may show: SARIF rule
// descriptors, remediation hints in text output.
type RuleInfo struct {
	ID, Description, Provider, Severity, Remediation string
	Tags                                             []string
}

// Options control how a result is written.
type Options struct {
	ShowSecrets bool                // print Finding.Secret; otherwise Finding.Redacted everywhere (never in SARIF)
	ToolVersion string              // nhiscan's version, for json and sarif
	Rules       map[string]RuleInfo // rule metadata for SARIF / text; may be nil or partial
	RepoURL     string              // optional, e.g. https://github.com/o/r, used for links in text/json when set
	Color       bool                // ANSI color in text output
	// Source is what was scanned, for the wording of text output: "dir"
	// (files on disk), "staged" (the index), or "" for git history.
	Source string
	// Verbose lists, in text output and summaries, what was suppressed.
	Verbose bool
	// GeneratedAt is when the report was made (HTML shows it); zero: not shown.
	GeneratedAt time.Time
	// Repository names the scanned repository or folder (HTML shows it).
	Repository string
}

// Formats lists the formats Write accepts.
var Formats = []string{"text", "json", "jsonl", "sarif", "csv", "html"}

// ToolName is the tool name written in json and sarif reports.
const ToolName = "nhiscan"

// InformationURI is the tool's home page written to SARIF
// tool.driver.informationUri; empty leaves it out. The CLI may set it.
var InformationURI = ""

// Write writes res to w in format, one of Formats.
func Write(w io.Writer, format string, res finding.Result, opts Options) error {
	res = normalize(res)
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "text":
		return writeText(w, res, opts)
	case "json":
		return writeJSON(w, res, opts)
	case "jsonl":
		return writeJSONL(w, res, opts)
	case "sarif":
		return writeSARIF(w, res, opts)
	case "csv":
		return writeCSV(w, res, opts)
	case "html":
		return writeHTML(w, res, opts)
	}
	return fmt.Errorf("report: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// normalize copies the findings and their locations and puts them in the
// canonical order, so every writer is deterministic whatever order the
// parallel scan produced, and the caller's slices are never reordered.
func normalize(res finding.Result) finding.Result {
	fs := make([]finding.Finding, len(res.Findings))
	for i, f := range res.Findings {
		f.Locations = append([]finding.Location(nil), f.Locations...)
		f.Tags = append([]string(nil), f.Tags...)
		f.Verification = copyVerification(f.Verification)
		f.Remediation = copyRemediation(f.Remediation)
		f.SortLocations()
		if f.Fingerprint == "" && f.Secret != "" {
			f.Fingerprint = finding.Fingerprint(f.RuleID, f.Secret)
		}
		fs[i] = f
	}
	finding.SortFindings(fs)
	res.Findings = fs
	res.Stats.Warnings = append([]string(nil), res.Stats.Warnings...)
	return res
}

// redacted is the display form of a finding's secret. It trusts
// Finding.Redacted only when it is set and is not the raw secret itself.
func redacted(f *finding.Finding) string {
	if f.Redacted != "" && (f.Secret == "" || f.Redacted != f.Secret) {
		return f.Redacted
	}
	return finding.Redact(f.Secret)
}

// shownSecret is what text, csv, json and jsonl print as "the secret".
func shownSecret(f *finding.Finding, opts Options) string {
	if opts.ShowSecrets && f.Secret != "" {
		return f.Secret
	}
	return redacted(f)
}

// ruleInfo merges rule metadata from opts.Rules with what the finding carries;
// the finding wins where it has a value.
func ruleInfo(f *finding.Finding, opts Options) RuleInfo {
	ri := opts.Rules[f.RuleID]
	ri.ID = f.RuleID
	if f.Description != "" {
		ri.Description = f.Description
	}
	if f.Provider != "" {
		ri.Provider = f.Provider
	}
	if f.Severity != "" {
		ri.Severity = f.Severity
	}
	if len(f.Tags) > 0 {
		ri.Tags = f.Tags
	}
	return ri
}

func severityOf(f *finding.Finding, opts Options) string {
	return strings.ToLower(ruleInfo(f, opts).Severity)
}

// defaultRemediation is the hint given when a rule has none of its own.
const defaultRemediation = "Revoke or rotate this credential at its provider first, then remove it from the code. " +
	"Deleting the line or rewriting history does not make a leaked credential safe: it stays valid until revoked."

// locationURL links to a location in the repository browser when
// opts.RepoURL is set and the location names a commit; "" otherwise.
func locationURL(opts Options, l finding.Location) string {
	base := strings.TrimSpace(opts.RepoURL)
	if base == "" || l.Commit == "" || l.Path == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), ".git")
	link := base + "/blob/" + url.PathEscape(l.Commit) + "/" + escapePath(l.Path)
	if l.Line > 0 {
		link += "#L" + strconv.Itoa(l.Line)
	}
	return link
}

// escapePath percent-encodes a slash-separated path so that it is a valid
// relative URI reference: every byte outside RFC 3986's unreserved set is
// encoded (spaces, unicode, control characters, and ':' which would
// otherwise read as a scheme), and '/' stays the separator.
func escapePath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Verification groups, in the order text output shows them: what is live
// first, then what could not be decided, then what the provider rejected,
// then what was not checked.
const notVerified = "not verified"

var statusOrder = []string{string(finding.StatusLive), string(finding.StatusUnknown), string(finding.StatusDead), notVerified}

// statusGroup is the verification group of a finding: its status, or
// notVerified when it was not checked (or carries a status this version does
// not know).
func statusGroup(f *finding.Finding) string {
	switch s := f.Status(); s {
	case finding.StatusLive, finding.StatusUnknown, finding.StatusDead:
		return string(s)
	}
	return notVerified
}

// anyVerified reports whether verification ran for at least one finding.
func anyVerified(fs []finding.Finding) bool {
	for i := range fs {
		if fs[i].Verification != nil {
			return true
		}
	}
	return false
}

// identityString is a verification's identity as "k=v, k=v", keys sorted.
func identityString(id map[string]string) string {
	keys := make([]string, 0, len(id))
	for k := range id {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+id[k])
	}
	return strings.Join(parts, ", ")
}

// copyVerification returns a deep copy of v (nil for nil), so that a report
// never shares maps or slices with the caller's findings.
func copyVerification(v *finding.Verification) *finding.Verification {
	if v == nil {
		return nil
	}
	c := *v
	if v.Identity != nil {
		c.Identity = make(map[string]string, len(v.Identity))
		for k, x := range v.Identity {
			c.Identity[k] = x
		}
	}
	c.Privileges.Scopes = append([]string(nil), v.Privileges.Scopes...)
	c.Privileges.Flags = append([]string(nil), v.Privileges.Flags...)
	return &c
}

// copyRemediation returns a copy of r (nil for nil).
func copyRemediation(r *finding.Remediation) *finding.Remediation {
	if r == nil {
		return nil
	}
	c := *r
	c.Actions = append([]string(nil), r.Actions...)
	return &c
}

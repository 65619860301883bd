package action

import (
	"fmt"
	"io"
	"nhiscan/finding"
	"nhiscan/internal/termsafe"
	"strconv"
	"strings"
	"unicode"
)

// escapeData escapes a workflow-command message: %, CR and LF. Other
// control characters and escape sequences (ESC, OSC, bidi overrides) are
// neutralised first by the one terminal sanitiser, as the log shows them.
func escapeData(s string) string {
	return termsafe.Line(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s))
}

// escapeProperty escapes a workflow-command property value: as data, plus
// ':' and ',' which separate properties.
func escapeProperty(s string) string {
	return termsafe.Line(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s))
}

// MaxAnnotations caps the annotations written; GitHub shows only the first
// few of a step anyway, and the SARIF upload and summary carry the rest.
const MaxAnnotations = 50

// AllowHint tells how to allow a false positive.
const AllowHint = "To allow a false positive: add `gitleaks:allow` in a comment on the line, or its fingerprint to .gitleaksignore."

// WriteAnnotations writes one ::error workflow command per location (at
// most MaxAnnotations). Secrets appear only redacted.
func WriteAnnotations(w io.Writer, fs []finding.Finding) error {
	n := 0
	for _, f := range fs {
		red := f.Redacted
		if red == "" || red == f.Secret {
			red = finding.Redact(f.Secret)
		}
		for _, l := range f.Locations {
			if n == MaxAnnotations {
				_, err := fmt.Fprintf(w, "::warning title=nhiscan::%s\n", escapeData(fmt.Sprintf("more locations than the %d annotated: see the job summary and the SARIF report", MaxAnnotations)))
				return err
			}
			n++
			var props []string
			if l.Path != "" {
				props = append(props, "file="+escapeProperty(l.Path))
				if l.Line > 0 {
					props = append(props, "line="+strconv.Itoa(l.Line))
					if l.EndLine >= l.Line {
						props = append(props, "endLine="+strconv.Itoa(l.EndLine))
					}
				}
				if l.Column > 0 && (l.EndLine == 0 || l.EndLine == l.Line) {
					props = append(props, "col="+strconv.Itoa(l.Column))
					if l.EndColumn > l.Column {
						props = append(props, "endColumn="+strconv.Itoa(l.EndColumn))
					}
				}
			}
			props = append(props, "title="+escapeProperty("nhiscan: "+f.RuleID))
			msg := fmt.Sprintf("%s leaked (%s, fingerprint %s)", describe(f), red, f.Fingerprint)
			if v := f.Verification; v != nil {
				msg += "; verified " + string(v.Status)
				if v.Status == finding.StatusLive {
					msg += ": the provider accepted it"
				} else if v.Reason != "" {
					msg += " (" + v.Reason + ")"
				}
			}
			if l.Commit != "" {
				msg += " in commit " + shortSHA(l.Commit)
			}
			msg += ". Revoke or rotate it at its provider first, then remove it. " + AllowHint
			if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(msg)); err != nil {
				return err
			}
		}
	}
	return nil
}

func describe(f finding.Finding) string {
	if f.Description != "" {
		return f.Description
	}
	return "A secret matching rule " + f.RuleID
}

// mdEscape makes text from the repository (paths, rule ids) inert in
// GitHub-flavoured markdown: every ASCII punctuation character is
// but '/' and '-' is backslash-escaped (so no emphasis, link, table cell break or HTML tag can
// start) and control characters become spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || unicode.IsControl(r):
			b.WriteByte(' ')
		case r == '/' || r == '-':
			b.WriteRune(r) // inert in a table cell; keeps paths readable
		case r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MaxSummaryRows caps the rows of the summary table (the summary is limited
// to 1 MiB per step).
const MaxSummaryRows = 200

// WriteSummary writes the job summary in markdown: what was scanned and a
// table of findings (rule, file:line, commit, redacted secret).
func WriteSummary(w io.Writer, p Plan, fs []finding.Finding, stats finding.Stats) error {
	var b strings.Builder
	b.WriteString("## nhiscan secret scan\n\n")
	b.WriteString(mdEscape(p.Description) + "\n\n")
	for _, n := range p.Notes {
		b.WriteString("> " + mdEscape("warning: "+n) + "\n\n")
	}
	if p.Empty {
		b.WriteString("**Nothing was scanned.**\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	locs := 0
	for _, f := range fs {
		locs += len(f.Locations)
	}
	fmt.Fprintf(&b, "Scanned %d commits, %d blobs (%.1f MB); missing objects: %d; skipped: %d large, %d binary.\n\n",
		stats.Commits, stats.Blobs, float64(stats.Bytes)/1e6, stats.MissingObjects, stats.SkippedLarge, stats.SkippedBinary)
	for _, warn := range stats.Warnings {
		b.WriteString("> " + mdEscape("warning: "+warn) + "\n\n")
	}
	if len(fs) == 0 {
		b.WriteString("**No secrets found.**\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "**%d secrets found** (%d locations).\n\n", len(fs), locs)
	verified := false
	for _, f := range fs {
		if f.Verification != nil {
			verified = true
		}
	}
	if verified {
		b.WriteString("| Status | Rule | Location | Commit | Secret (redacted) | Identity | Privileges |\n|---|---|---|---|---|---|---|\n")
	} else {
		b.WriteString("| Rule | Location | Commit | Secret (redacted) |\n|---|---|---|---|\n")
	}
	rows := 0
outer:
	for _, f := range fs {
		red := f.Redacted
		if red == "" || red == f.Secret {
			red = finding.Redact(f.Secret)
		}
		for _, l := range f.Locations {
			if rows == MaxSummaryRows {
				fmt.Fprintf(&b, "\n… and %d more locations: see the SARIF report.\n", locs-rows)
				break outer
			}
			rows++
			where := mdEscape(l.Path)
			if l.Path == "" {
				where = mdEscape("(blob " + l.Blob + ")")
			}
			if l.Line > 0 {
				where += ":" + strconv.Itoa(l.Line)
			}
			commit := shortSHA(l.Commit)
			if commit == "" {
				commit = "-"
			}
			if verified {
				status, identity, priv := "not verified", "", ""
				if v := f.Verification; v != nil {
					status = string(v.Status)
					identity = identityOf(v)
					priv = v.Privileges.Level
					if len(v.Privileges.Flags) > 0 {
						priv = strings.TrimSpace(priv + " " + strings.Join(v.Privileges.Flags, ", "))
					}
				}
				if status == string(finding.StatusLive) {
					status = "**live**"
				} else {
					status = mdEscape(status)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", status, mdEscape(f.RuleID), where, mdEscape(commit), mdEscape(red),
					mdEscape(identity), mdEscape(priv))
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(f.RuleID), where, mdEscape(commit), mdEscape(red))
		}
	}
	b.WriteString("\n" + AllowHint + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// identityOf is the most telling identity value of a verification: the
// login, name, account or email, whichever the provider gave first.
func identityOf(v *finding.Verification) string {
	for _, k := range []string{"login", "user", "name", "account", "arn", "email", "team", "id"} {
		if x := v.Identity[k]; x != "" {
			return k + "=" + x
		}
	}
	return ""
}

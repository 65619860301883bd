package report

import (
	"encoding/csv"
	"io"
	"nhiscan/finding"
	"strconv"
	"strings"
	"time"
)

var csvHeader = []string{
	"fingerprint", "rule_id", "provider", "severity", "secret",
	"path", "line", "column", "commit", "author", "email", "date", "in_head",
	// verification: empty when the secret was not verified
	"status", "status_reason", "checked_at", "identity", "privilege_level", "scopes", "flags",
}

// csvCell guards a cell against formula injection: a spreadsheet evaluates
// a cell that starts with = + - @ (or a tab or carriage return before one),
// so such a cell gets a leading single quote.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func writeCSV(w io.Writer, res finding.Result, opts Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		ri := ruleInfo(f, opts)
		locs := f.Locations
		if len(locs) == 0 {
			locs = []finding.Location{{}} // one row even without a location
		}
		for _, l := range locs {
			row := []string{
				f.Fingerprint, f.RuleID, ri.Provider, ri.Severity, shownSecret(f, opts),
				l.Path, itoa(l.Line), itoa(l.Column), l.Commit, l.Author, l.Email,
				"", strconv.FormatBool(f.InHead),
			}
			if !l.Date.IsZero() {
				row[11] = l.Date.Format(time.RFC3339)
			}
			row = append(row, verificationCells(f.Verification)...)
			for j := range row {
				row[j] = csvCell(row[j])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// verificationCells are the status columns of a row: status, reason,
// checked_at, identity (k=v; k=v), privilege level, scopes and flags.
func verificationCells(v *finding.Verification) []string {
	if v == nil {
		return []string{"", "", "", "", "", "", ""}
	}
	checked := ""
	if !v.CheckedAt.IsZero() {
		checked = v.CheckedAt.UTC().Format(time.RFC3339)
	}
	return []string{string(v.Status), v.Reason, checked, strings.ReplaceAll(identityString(v.Identity), ", ", "; "),
		v.Privileges.Level, strings.Join(v.Privileges.Scopes, " "), strings.Join(v.Privileges.Flags, " ")}
}

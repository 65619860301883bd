package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"nhiscan/finding"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var checkedAt = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// verifiedFixture is newFixture with verification results: github live
// (with identity and privileges), aws unknown, generic dead, low-thing not
// verified.
func verifiedFixture() fixture {
	fx := newFixture()
	for i := range fx.res.Findings {
		f := &fx.res.Findings[i]
		switch f.RuleID {
		case "github-pat":
			f.Verification = &finding.Verification{
				Status: finding.StatusLive, CheckedAt: checkedAt,
				Identity:   map[string]string{"login": "deploy-bot", "id": "42", "hostile": "x\x1b[31m\nFAKE"},
				Privileges: finding.Privileges{Level: "admin", Scopes: []string{"repo", "admin:org"}, Flags: []string{"org-admin"}},
				Endpoint:   "GET https://api.github.com/user",
			}
		case "aws-access-key":
			f.Verification = &finding.Verification{Status: finding.StatusUnknown, Reason: "rate limited, retry after 30s", CheckedAt: checkedAt,
				Endpoint: "POST https://sts.amazonaws.com/"}
		case "generic-api-key":
			f.Verification = &finding.Verification{Status: finding.StatusDead, Reason: "401 Unauthorized", CheckedAt: checkedAt}
			f.Remediation = &finding.Remediation{State: "planned", Actions: []string{"ticket"}, TicketURL: "https://jira.example.com/browse/SEC-1"}
		}
	}
	return fx
}

func TestTextGroupsByStatus(t *testing.T) {
	fx := verifiedFixture()
	out := string(write(t, "text", fx.res, Options{Rules: fx.rules}))
	heads := []string{"== LIVE", "== UNKNOWN", "== DEAD", "== NOT VERIFIED"}
	last := -1
	for _, h := range heads {
		i := strings.Index(out, h)
		if i < 0 {
			t.Fatalf("no %q group:\n%s", h, out)
		}
		if i < last {
			t.Errorf("group %q out of order (live, unknown, dead, not verified):\n%s", h, out)
		}
		last = i
	}
	// each finding sits in its group
	for _, tc := range []struct{ rule, after, before string }{
		{"github-pat", "== LIVE", "== UNKNOWN"},
		{"aws-access-key", "== UNKNOWN", "== DEAD"},
		{"generic-api-key", "== DEAD", "== NOT VERIFIED"},
		{"low-thing", "== NOT VERIFIED", "secrets ("},
	} {
		i := strings.Index(out, "  "+tc.rule+"  ")
		if i < strings.Index(out, tc.after) || i > strings.Index(out, tc.before) {
			t.Errorf("%s is not between %q and %q", tc.rule, tc.after, tc.before)
		}
	}
	for _, want := range []string{
		"verified: live  at 2026-11-26 09:30:00Z  via GET https://api.github.com/user",
		`identity: "hostile=x\x1b[31m\nFAKE, id=42, login=deploy-bot"`,
		"privileges: admin  scopes: repo, admin:org  flags: org-admin",
		"verified: unknown (rate limited, retry after 30s)",
		"verified: dead (401 Unauthorized)",
		"remediation: planned (ticket)  ticket https://jira.example.com/browse/SEC-1",
		"verification: 1 live, 1 unknown, 1 dead, 1 not verified",
		"(1) ==",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "FAKE") {
			t.Errorf("a provider's identity started a line: %q", line)
		}
	}
	for _, s := range fx.secrets {
		if len(s) >= 12 && strings.Contains(out, s[4:]) {
			t.Error("raw secret in text output")
		}
	}
}

func TestTextUnverifiedHasNoGroups(t *testing.T) {
	fx := newFixture()
	out := string(write(t, "text", fx.res, Options{Rules: fx.rules}))
	for _, bad := range []string{"==", "verified:", "verification:"} {
		if strings.Contains(out, bad) {
			t.Errorf("unverified text output holds %q", bad)
		}
	}
}

func TestVerificationJSONRoundTrip(t *testing.T) {
	fx := verifiedFixture()
	want := map[string]*finding.Verification{}
	for _, f := range fx.res.Findings {
		want[f.RuleID] = f.Verification
	}
	for _, format := range []string{"json", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			out := write(t, format, fx.res, Options{})
			if format == "json" {
				var doc struct {
					Findings []map[string]json.RawMessage `json:"findings"`
				}
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
				var v map[string]any
				if err := json.Unmarshal(doc.Findings[0]["verification"], &v); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"status", "checked_at", "identity", "privileges", "endpoint"} {
					if _, ok := v[k]; !ok {
						t.Errorf("verification lacks %q: %v", k, v)
					}
				}
				if _, ok := doc.Findings[3]["verification"]; ok {
					t.Error("an unverified finding carries a verification")
				}
			}
			got, err := ReadJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range got {
				f := j.Finding()
				if !reflect.DeepEqual(f.Verification, want[j.RuleID]) {
					t.Errorf("%s: read back %+v, want %+v", j.RuleID, f.Verification, want[j.RuleID])
				}
				if j.RuleID == "generic-api-key" && (f.Remediation == nil || f.Remediation.TicketURL == "") {
					t.Errorf("remediation not read back: %+v", f.Remediation)
				}
			}
		})
	}
}

func TestVerificationSARIF(t *testing.T) {
	fx := verifiedFixture()
	// a low-severity rule verified live is still an error
	for i := range fx.res.Findings {
		if fx.res.Findings[i].RuleID == "low-thing" {
			fx.res.Findings[i].Verification = &finding.Verification{Status: finding.StatusLive, CheckedAt: checkedAt}
		}
	}
	out := write(t, "sarif", fx.res, Options{Rules: fx.rules})
	if err := validateSARIF(t, out); err != nil {
		t.Fatalf("schema: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID     string `json:"ruleId"`
				Level      string `json:"level"`
				Message    struct{ Text string }
				Properties struct {
					Verification *finding.Verification `json:"verification"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range log.Runs[0].Results {
		v := r.Properties.Verification
		switch r.RuleID {
		case "github-pat":
			if v == nil || v.Status != "live" || v.Identity["login"] != "deploy-bot" || v.Privileges.Level != "admin" ||
				v.Endpoint == "" || !v.CheckedAt.Equal(checkedAt) || !strings.Contains(r.Message.Text, "verified live") {
				t.Errorf("github result: %+v %+v", r, v)
			}
		case "aws-access-key":
			if v == nil || v.Status != "unknown" || v.Reason == "" {
				t.Errorf("aws result: %+v", v)
			}
		case "low-thing":
			if r.Level != "error" {
				t.Errorf("a live low-severity secret has level %q, want error", r.Level)
			}
		}
		seen++
	}
	if seen != 4 {
		t.Fatalf("%d results", seen)
	}
}

func TestVerificationCSV(t *testing.T) {
	fx := verifiedFixture()
	rows, err := csv.NewReader(bytes.NewReader(write(t, "csv", fx.res, Options{Rules: fx.rules}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	for _, name := range []string{"status", "status_reason", "checked_at", "identity", "privilege_level", "scopes", "flags"} {
		if col(name) < 0 {
			t.Fatalf("no %q column in %v", name, rows[0])
		}
	}
	byRule := map[string][]string{}
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			t.Fatalf("row of %d cells, header of %d", len(r), len(rows[0]))
		}
		byRule[r[1]] = r
	}
	gh := byRule["github-pat"]
	if gh[col("status")] != "live" || gh[col("privilege_level")] != "admin" || gh[col("scopes")] != "repo admin:org" ||
		gh[col("flags")] != "org-admin" || gh[col("checked_at")] != "2026-11-26T09:30:00Z" ||
		!strings.Contains(gh[col("identity")], "login=deploy-bot") {
		t.Errorf("github row: %v", gh)
	}
	if r := byRule["aws-access-key"]; r[col("status")] != "unknown" || r[col("status_reason")] == "" {
		t.Errorf("aws row: %v", r)
	}
	if r := byRule["low-thing"]; r[col("status")] != "" {
		t.Errorf("unverified row has status %q", r[col("status")])
	}
}

// The writers copy verification and remediation: the caller's finding is
// not shared with (or changed by) the report.
func TestVerificationNotAliased(t *testing.T) {
	fx := verifiedFixture()
	out := write(t, "json", fx.res, Options{})
	got, err := ReadJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	f := got[0].Finding()
	f.Verification.Identity["login"] = "changed"
	f.Verification.Privileges.Scopes[0] = "changed"
	if got[0].Verification.Identity["login"] == "changed" || got[0].Verification.Privileges.Scopes[0] == "changed" {
		t.Error("Finding() shares the verification with the JSONFinding")
	}
}

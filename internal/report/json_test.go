package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"nhiscan/finding"
	"strings"
	"testing"
	"time"
)

// gitleaksReport builds a gitleaks JSON report (its report.Finding field
// names) in the test, with secrets generated at run time.
func gitleaksReport(t *testing.T, entries []map[string]any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(entries, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadJSONGitleaks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tok := fakeSecret(rng, "ghp_", 36, alnum)
	other := fakeSecret(rng, "xoxb-", 40, alnum)
	entry := func(rule, secret, file, commit string, line int, date string) map[string]any {
		return map[string]any{
			"RuleID": rule, "Description": "desc " + rule, "StartLine": line, "EndLine": line,
			"StartColumn": 3, "EndColumn": 40, "Match": "token=" + secret, "Secret": secret, "File": file,
			"SymlinkFile": "", "Commit": commit, "Entropy": 4.5, "Author": "A", "Email": "a@x",
			"Date": date, "Message": "m", "Tags": []string{}, "Fingerprint": commit + ":" + file + ":" + rule + ":" + "1",
		}
	}
	in := gitleaksReport(t, []map[string]any{
		entry("github-pat", tok, "b.go", "c2", 9, "2024-03-02T00:00:00Z"),
		entry("github-pat", tok, "a.go", "c1", 4, "2024-03-01T00:00:00Z"),
		entry("slack-bot-token", "REDACTED", "s.go", "c3", 1, "not a date"),
		entry("slack-bot-token", finding.Redact(other), "s.go", "c4", 2, ""),
		entry("generic", "", "g.go", "c5", 1, ""),
	})
	got, err := ReadJSON(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d findings, want 4 (two gitleaks entries of one secret merge)", len(got))
	}
	gh := got[0]
	if gh.RuleID != "github-pat" || gh.Fingerprint != finding.Fingerprint("github-pat", tok) || !gh.HasSecret() ||
		gh.Secret != tok || gh.Redacted != finding.Redact(tok) || len(gh.Locations) != 2 {
		t.Errorf("github finding: %+v", gh)
	}
	if gh.FirstCommit != "c1" || !gh.FirstSeenDate.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first seen: %s %s", gh.FirstCommit, gh.FirstSeenDate)
	}
	l := gh.Locations[0]
	if l.Path != "b.go" || l.Commit != "c2" || l.Line != 9 || l.Column != 3 || l.EndColumn != 40 || l.Author != "A" {
		t.Errorf("location: %+v", l)
	}
	for i, f := range got[1:] {
		if f.Fingerprint != "" || f.Secret != "" || f.HasSecret() || f.GitleaksFingerprint == "" {
			t.Errorf("redacted gitleaks finding %d: %+v", i+1, f)
		}
	}
	if got[2].Redacted != finding.Redact(other) {
		t.Errorf("redacted form kept: %q", got[2].Redacted)
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string // "" means no error
		want     int
	}{
		{"empty", "", "", 0},
		{"blank", " \n\t", "", 0},
		{"null", "null", "not a report", 0},
		{"number", "42", "not a report", 0},
		{"string", `"x"`, "not a report", 0},
		{"truncated object", `{"findings": [`, "reading JSON", 0},
		{"truncated array", `[{"RuleID":"x"`, "reading JSON", 0},
		{"array of numbers", `[1, 2]`, "reading JSON array", 0},
		{"array with null", `[null]`, "finding 1 is not an object", 0},
		{"findings not an array", `{"findings": 3}`, "reading findings", 0},
		{"findings null", `{"findings": null}`, "", 0},
		{"missing rule id", `{"findings": [{"fingerprint": "ab"}]}`, `missing "rule_id"`, 0},
		{"missing fingerprint", `{"findings": [{"rule_id": "r", "secret": "abcd*****"}]}`, `missing "fingerprint"`, 0},
		{"wrong type", `{"findings": [{"rule_id": 7}]}`, "cannot unmarshal", 0},
		{"bad date", `{"findings": [{"rule_id": "r", "fingerprint": "f", "first_seen_date": "yesterday"}]}`, "cannot parse", 0},
		{"gitleaks empty rule", `[{"RuleID": "", "Secret": "s"}]`, `empty "RuleID"`, 0},
		{"trailing garbage", `{"findings": []} x`, "unexpected data", 0},
		{"two envelopes", `{"findings": []} {"findings": []}`, "unexpected data", 0},
		{"jsonl bad second line", "{\"rule_id\":\"r\",\"fingerprint\":\"f\"}\n[1]", "finding 2", 0},
		{"jsonl null line", "{\"rule_id\":\"r\",\"fingerprint\":\"f\"}\nnull", "finding 2 is not an object", 0},
		{"jsonl two", "{\"rule_id\":\"r\",\"fingerprint\":\"f\"}\n{\"rule_id\":\"q\",\"secret\":\"raw-secret-value\"}\n", "", 2},
		{"nhiscan array", `[{"rule_id":"r","fingerprint":"f"}]`, "", 1},
		{"sarif", `{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}`, "SARIF report cannot be read back", 0},
		{"huge entropy", `[{"rule_id":"r","fingerprint":"f","entropy":1e300}]`, "cannot unmarshal", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadJSON(strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil || len(got) != tt.want {
					t.Fatalf("ReadJSON = %d findings, %v; want %d, nil", len(got), err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadJSON error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadJSONComputesFingerprint(t *testing.T) {
	got, err := ReadJSON(strings.NewReader(`{"rule_id":"q","secret":"raw-secret-value"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Fingerprint != finding.Fingerprint("q", "raw-secret-value") || got[0].Redacted != finding.Redact("raw-secret-value") {
		t.Errorf("got %+v", got[0])
	}
}

func FuzzReadJSON(f *testing.F) {
	// small seeds: the fuzzer minimizes every new input, and a large
	// report makes that crawl
	small := finding.Result{Findings: []finding.Finding{{
		RuleID: "r", Fingerprint: finding.Fingerprint("r", "secret-value-1"), Secret: "secret-value-1",
		Redacted: "secr*****", Tags: []string{"t"}, Severity: "high",
		Locations: []finding.Location{{Commit: "c", Path: "p", Line: 1, Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}}}
	for _, format := range []string{"json", "jsonl"} {
		for _, show := range []bool{false, true} {
			var buf bytes.Buffer
			if err := Write(&buf, format, small, Options{ShowSecrets: show}); err != nil {
				f.Fatal(err)
			}
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte(`[{"RuleID":"r","Secret":"abc","File":"f","Commit":"c","StartLine":1,"Fingerprint":"c:f:r:1"}]`))
	f.Add([]byte(`[{"RuleID":"r","Secret":"REDACTED","Date":"2024-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{"findings":null}`))
	f.Add([]byte(`{"rule_id":"r","fingerprint":"f"}` + "\n" + `{"rule_id":"r2","secret":"x*****"}`))
	f.Add([]byte(`[null]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if got != nil {
				t.Fatalf("findings %v returned with error %v", got, err)
			}
			return
		}
		for _, jf := range got {
			if jf.RuleID == "" {
				t.Fatalf("finding without rule id: %+v", jf)
			}
			if jf.Secret != "" && !jf.HasSecret() {
				t.Fatalf("a redacted value landed in Secret: %q", jf.Secret)
			}
			if jf.Fingerprint == "" && jf.GitleaksFingerprint == "" && jf.HasSecret() {
				t.Fatalf("raw secret without fingerprint: %+v", jf)
			}
			// whatever was read can be written again
			f := jf.Finding()
			var buf bytes.Buffer
			if err := Write(&buf, "json", finding.Result{Findings: []finding.Finding{f}}, Options{}); err != nil {
				t.Fatalf("re-writing %+v: %v", jf, err)
			}
		}
	})
}

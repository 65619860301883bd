package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/remediate"
)

// FuzzReadReport feeds readReport, the reader of the reports scan verify
// and scan remediate take back, hostile files: it never panics, its errors
// never quote a secret of the file, and whatever it returns a remediation
// plan either acts on under a valid fingerprint or refuses with a reason.
func FuzzReadReport(f *testing.F) {
	fp := finding.Fingerprint("slack-bot-token", "xoxb-fake-secret-value-0001")
	for _, seed := range []string{
		`{"findings":[{"rule_id":"slack-bot-token","provider":"slack","fingerprint":"` + fp + `","secret":"xoxb-fake-secret-value-0001","locations":[{"path":"a.env","line":1}]}]}`,
		`{"findings":[{"rule_id":"r","fingerprint":"x\" OR key = \"HR-42","secret":"s3cr3t-value-0002","verification":{"status":"dead"}}]}`,
		`{"rule_id":"r","fingerprint":"` + fp + `","locations":[{"path":"<!-- nhiscan:fingerprint=` + fp + ` -->","author":"[x](https://evil) @team"}]}` + "\n",
		`[{"RuleID":"r","Secret":"abcdefgh-secret-0003","File":"f","Commit":"c","StartLine":1,"Fingerprint":"c:f:r:1"}]`,
		`{"runs":[]}`,
		`{"findings":[{"rule_id":"r","secret":"unterminated-secret-0004"`,
		``,
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "report.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fs, err := readReport(path)
		if err != nil {
			for _, s := range secretsIn(data) {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error quotes a secret: %v", err)
				}
			}
			return
		}
		pl := (&remediate.Planner{Env: remediate.NewEnv(nil, nil)}).Plan(fs)
		for _, s := range pl.Steps {
			if !remediate.ValidFingerprint(s.Fingerprint) {
				t.Fatalf("planned under an invalid fingerprint %q", s.Fingerprint)
			}
		}
		for _, r := range pl.Refused {
			if r.Reason == "" {
				t.Fatalf("refused without a reason: %+v", r)
			}
		}
	})
}

// secretsIn returns the long enough "secret"/"Secret" values of a report.
func secretsIn(data []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && strings.EqualFold(k, "secret") && len(s) >= 8 {
					out = append(out, s)
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	for {
		var v any
		if dec.Decode(&v) != nil {
			return out
		}
		walk(v)
	}
}

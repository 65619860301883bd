package remediate_test

import (
	"context"
	"nhiscan/providers/all"
	"os"
	"path/filepath"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/rules"
	"nhiscan/scanner"
)

// TestAWSPairOneTicketClosedAfterRotation: an AWS key pair written in a
// .s3cfg and in an env file, as the real scanner reports it (one finding
// for the credential, whatever rules matched), gets one ticket, and that
// ticket is closed once the rotated key is verified dead.
func TestAWSPairOneTicketClosedAfterRotation(t *testing.T) {
	g := fixtures.NewGen(1201)
	id, secret := g.AWSKeyPair()
	dir := t.TempDir()
	for name, content := range map[string]string{
		".s3cfg":   "[default]\naccess_key = " + id + "\nsecret_key = " + secret + "\n",
		"prod.env": "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &scanner.Scanner{Engine: scanner.NewEngine(rs, 5), Parts: all.Default()}
	res, err := s.ScanDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		for _, f := range res.Findings {
			t.Logf("%s %s %v", f.RuleID, f.Redacted, f.OtherRules)
		}
		t.Fatalf("%d findings, want one for the credential", len(res.Findings))
	}
	f := res.Findings[0]
	if f.Parts["key_id"] != id || f.Secret != secret || len(f.Locations) < 2 {
		t.Fatalf("finding: rule %s, key id %q, %d locations", f.RuleID, f.Parts["key_id"], len(f.Locations))
	}
	f.Verification = &finding.Verification{Status: finding.StatusLive}

	h := newHarness(t, `mode = "apply"
[[rule]]
name = "rotate aws and tell the owner"
provider = ["aws"]
status = ["live"]
actions = ["rotate", "ticket"]
[providers.aws]
admin_profile = "security-admin"
[rotate]
kind = "secretsmanager"
secret_id = "prod/app/aws"
[ticket]
system = "github"
[ticket.github]
repo = "acme/app"
api_url = "TRACKER"
`)
	h.secrets = append(h.secrets, secret)
	h.api.AddAWSKey("deploy-bot", id, secret, false)
	results := h.run([]finding.Finding{f})
	if got := outcomes(results); got != "rotate:done ticket:done" {
		t.Fatalf("outcomes %s: %+v", got, results)
	}
	if st := h.api.AWSKeyStatus(id); st != "Inactive" {
		t.Fatalf("old key %s after rotation", st)
	}
	is := h.tr.Issues()
	if len(is) != 1 || is[0].State != "closed" {
		t.Fatalf("want one ticket, closed after rotation: %+v", is)
	}
	// The next night finds the same credential again: still one ticket.
	f2 := res.Findings[0]
	f2.Verification = &finding.Verification{Status: finding.StatusDead}
	h.run([]finding.Finding{f2})
	if is := h.tr.Issues(); len(is) != 1 {
		t.Fatalf("a second ticket was opened: %d", len(is))
	}
	h.noSecretsIn()
}

package scanner_test

import (
	"context"
	"encoding/json"
	"nhiscan/providers/all"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/rules"
	"nhiscan/scanner"
)

// TestOneFindingPerCredential: however many rules match a credential and
// however many parts it has, a scan reports it once, named by the most
// specific rule, fingerprinted by the credential, with its parts.
func TestOneFindingPerCredential(t *testing.T) {
	g := fixtures.NewGen(42)
	id, secret := g.AWSKeyPair()
	id2, secret2 := g.AWSKeyPair()
	npm := g.NPMToken()
	hook := g.DiscordWebhook()
	sa := g.GCPServiceAccountJSON()
	var key struct {
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
	}
	if err := json.Unmarshal([]byte(sa), &key); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, content string
		secret              string            // the credential's primary secret
		rule                string            // the rule that names it
		parts               map[string]string // parts it must carry
	}{
		{"aws pair in .s3cfg", ".s3cfg", "[default]\naccess_key = " + id + "\nsecret_key = " + secret + "\nhost_base = s3.amazonaws.com\n",
			secret, "aws-access-token", map[string]string{"key_id": id}},
		{"aws pair in an env file", "prod.env", "AWS_ACCESS_KEY_ID=" + id2 + "\nAWS_SECRET_ACCESS_KEY=" + secret2 + "\nAWS_REGION=eu-west-1\n",
			secret2, "aws-access-token", map[string]string{"key_id": id2}},
		{"npm token in .npmrc", ".npmrc", "//registry.npmjs.org/:_authToken=" + npm + "\n", npm, "npm-access-token", nil},
		{"gcp service-account key file", "sa-key.json", sa, key.PrivateKey, "gcp-service-account-key",
			map[string]string{"client_email": key.ClientEmail, "private_key_id": key.PrivateKeyID}},
		{"discord webhook url", "hooks.txt", "ALERTS=" + hook + "\n", hook, "discord-webhook-url", nil},
	}
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fp := finding.NewFingerprinter([]byte("test-key-test-key"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := &scanner.Scanner{Engine: scanner.NewEngine(rs, 5), Parts: all.Default(), Fingerprints: fp}
			res, err := s.ScanDir(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				var got []string
				for _, f := range res.Findings {
					got = append(got, f.RuleID+" "+f.Redacted)
				}
				t.Fatalf("%d findings, want 1: %s", len(res.Findings), strings.Join(got, "; "))
			}
			f := res.Findings[0]
			if norm(f.Secret) != norm(tc.secret) {
				t.Errorf("secret %s, want the credential's primary secret %s", f.Redacted, finding.Redact(tc.secret))
			}
			if f.RuleID != tc.rule {
				t.Errorf("named by %s (others %v), want %s", f.RuleID, f.OtherRules, tc.rule)
			}
			if f.Fingerprint != fp.Of(f.Secret) {
				t.Errorf("fingerprint %s is not the credential's", f.Fingerprint)
			}
			if !slices.Contains(f.Aliases, finding.Fingerprint(f.RuleID, f.Secret)) && len(f.Aliases) == 0 {
				t.Errorf("no per-rule alias")
			}
			for k, v := range tc.parts {
				if norm(f.Parts[k]) != norm(v) {
					t.Errorf("part %s = %q, want %q", k, finding.Redact(f.Parts[k]), finding.Redact(v))
				}
			}
			if slices.Contains(f.OtherRules, f.RuleID) {
				t.Errorf("naming rule also listed among the others: %v", f.OtherRules)
			}
		})
	}
}

func norm(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, `\n`, "\n")) }

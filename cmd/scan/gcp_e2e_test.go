package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
)

// TestGCPKeyFileDisabled: a service-account key file in a repository is
// one finding (not one for its key id and one for its private key); with
// the operator's token it is disabled, with evidence, and re-verified dead;
// its key id is shown redacted everywhere.
func TestGCPKeyFileDisabled(t *testing.T) {
	srv := withFakes(t)
	withTracker(t, srv)
	g := fixtures.NewGen(1203)
	sa := g.GCPServiceAccountJSON()
	var key struct {
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
	}
	if err := json.Unmarshal([]byte(sa), &key); err != nil {
		t.Fatal(err)
	}
	srv.AddLive("gcp", key.PrivateKey, fakeapi.Account{Parts: map[string]string{"client_email": key.ClientEmail, "private_key_id": key.PrivateKeyID}})
	srv.AddGCPOperator("ya29.operator-fake")
	t.Setenv("GCP_OPERATOR", "ya29.operator-fake")
	repo := fixtures.NewRepo(t)
	repo.WriteFile("deploy/sa-key.json", sa)
	repo.CommitAs("Alice", "alice@example.com", "key file")
	dir := t.TempDir()
	raw, audit, policy := filepath.Join(dir, "raw.json"), filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(policy, []byte(`mode = "apply"
[[rule]]
name = "disable live gcp keys"
provider = ["gcp"]
status = ["live"]
actions = ["revoke"]
[providers.gcp]
token_env = "GCP_OPERATOR"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "git", repo.Dir(), "--verify", "--show-secrets", "--format", "json", "--report", raw, "--quiet")
	if code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, out)
	}
	data, _ := os.ReadFile(raw)
	var rep struct {
		Findings []struct {
			RuleID       string `json:"rule_id"`
			Verification struct {
				Status string `json:"status"`
			} `json:"verification"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "gcp-service-account-key" || rep.Findings[0].Verification.Status != "live" {
		t.Fatalf("want one live gcp finding: %+v", rep.Findings)
	}
	out, code = runCLI(t, "remediate", raw, "--repo", repo.Dir(), "--policy", policy, "--audit", audit, "--apply")
	if code != 0 || srv.IsLive(key.PrivateKey) || !strings.Contains(out, "re-verified: dead") {
		t.Fatalf("not disabled (exit %d):\n%s", code, out)
	}
	if !strings.Contains(out, ":disable -> 200") {
		t.Errorf("no evidence of the disable call:\n%s", out)
	}
	trail, _ := os.ReadFile(audit)
	for what, text := range map[string]string{"output": out, "audit trail": string(trail), "report": string(data)} {
		if what != "report" && strings.Contains(text, key.PrivateKeyID) {
			t.Errorf("the key id is in the %s unredacted", what)
		}
		if what != "report" && strings.Contains(text, strings.Split(key.PrivateKey, "\n")[1]) { // the report was written with --show-secrets
			t.Errorf("the private key is in the %s", what)
		}
	}
}

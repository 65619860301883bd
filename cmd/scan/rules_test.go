package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

func runRules(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	code := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestRulesList(t *testing.T) {
	out, _, code := runRules(t, "rules", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"ID", "PROVIDER", "SEVERITY", "VERIFIER", "github-pat", "netrc-password", "azure-storage-account-key", "putty-private-key"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules list lacks %q", want)
		}
	}
	jout, _, code := runRules(t, "rules", "list", "--format", "json")
	var rows []struct {
		ID       string   `json:"id"`
		Provider string   `json:"provider"`
		Severity string   `json:"severity"`
		Verifier bool     `json:"has_verifier"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(jout), &rows); err != nil || code != 0 {
		t.Fatalf("json: %v (exit %d)", err, code)
	}
	byID := map[string]int{}
	for i, r := range rows {
		byID[r.ID] = i
		if r.Severity == "" || len(r.Tags) == 0 {
			t.Errorf("%s: no severity or tags", r.ID)
		}
	}
	if r := rows[byID["github-pat"]]; r.Provider != "github" || !r.Verifier {
		t.Errorf("github-pat: %+v", r)
	}
	if r := rows[byID["rails-master-key"]]; r.Provider != "rails" || r.Verifier {
		t.Errorf("rails-master-key: %+v", r)
	}
}

func TestRulesTest(t *testing.T) {
	g := fixtures.NewGen(71)
	dir := t.TempDir()
	tok := g.GitHubToken("ghp_")
	bad := g.GitHubTokenBadChecksum("ghp_")
	pw := g.PasswordLike()
	env := filepath.Join(dir, "app.env")
	if err := os.WriteFile(env, []byte("GITHUB_TOKEN="+tok+"\nOLD_TOKEN="+bad+"\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runRules(t, "rules", "test", env)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	fired, notFired, _ := strings.Cut(out, "matched but not reported:")
	if !strings.Contains(fired, "github-pat") || !strings.Contains(fired, "1:") {
		t.Errorf("github-pat did not fire:\n%s", out)
	}
	if !strings.Contains(notFired, "checksum") {
		t.Errorf("the bad checksum is not explained:\n%s", out)
	}
	if strings.Contains(out, tok) || strings.Contains(out, bad) {
		t.Error("rules test printed a raw secret")
	}
	netrc := filepath.Join(dir, "netrc-sample")
	if err := os.WriteFile(netrc, []byte("machine ftp.example.org login deploy password "+pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, _ = runRules(t, "rules", "test", netrc)
	if !strings.Contains(out, "only applies to paths") {
		t.Errorf("path condition not explained:\n%s", out)
	}
	out, _, _ = runRules(t, "rules", "test", "--as", "home/ci/.netrc", netrc)
	if fired, _, _ := strings.Cut(out, "matched but not reported:"); !strings.Contains(fired, "netrc-password") {
		t.Errorf("netrc-password did not fire with --as:\n%s", out)
	}
}

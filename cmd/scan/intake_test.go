package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
)

// TestTamperedReportsRefused: a report fed back to scan verify or scan
// remediate is input, not truth. Each edit an attacker could make — a
// provider swapped, a finding moved under another rule with a recomputed
// (old-form) fingerprint, a generic secret claimed by a provider, a
// fingerprint carrying query syntax — is refused with a reason, and no
// request reaches any provider for it.
func TestTamperedReportsRefused(t *testing.T) {
	srv := withFakes(t)
	tr := withTracker(t, srv)
	g := fixtures.NewGen(1212)
	gh, slack := g.GitHubToken("ghp_"), g.SlackBotToken()
	id, awsSecret := g.AWSKeyPair()
	generic := g.LinearKey()[8:40] // 32 letters and digits, no provider's prefix
	srv.AddLive("github", gh, fakeapi.Account{Login: "deploy-bot"})
	srv.AddLive("slack", slack, fakeapi.Account{Login: "alerts-bot"})
	repo := fixtures.NewRepo(t)
	repo.WriteFile("deploy/ci.env", "GITHUB_TOKEN="+gh+"\nSLACK_BOT_TOKEN="+slack+"\n")
	repo.WriteFile("deploy/aws.env", "AWS_ACCESS_KEY_ID="+id+"\nAWS_SECRET_ACCESS_KEY="+awsSecret+"\n")
	repo.WriteFile("app/settings.py", "api_key = \""+generic+"\"\n")
	repo.CommitAs("Alice", "alice@example.com", "settings")
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.json")
	if out, code := runCLI(t, "git", repo.Dir(), "--show-secrets", "--format", "json", "--report", raw, "--quiet"); code != 1 {
		t.Fatalf("scan: exit %d\n%s", code, out)
	}
	var rep map[string]any
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	bySecret := func(secret string) map[string]any {
		for _, x := range rep["findings"].([]any) {
			if f := x.(map[string]any); f["secret"] == secret {
				c := map[string]any{}
				for k, v := range f {
					c[k] = v
				}
				return c
			}
		}
		t.Fatalf("no finding holds %s:\n%s", finding.Redact(secret), data)
		return nil
	}
	policy := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf(`mode = "apply"
[[rule]]
name = "revoke and ticket everything"
actions = ["revoke", "ticket"]
[ticket]
system = "github"
[ticket.github]
repo = "acme/app"
api_url = %q
token_env = "NHISCAN_DEMO_TRACKER_TOKEN"
`, tr.URL())), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		edit   func() map[string]any
		reason string
	}{
		{"provider swapped", func() map[string]any {
			f := bySecret(gh)
			f["provider"] = "slack"
			return f
		}, "the report says provider"},
		{"moved under another rule with a recomputed fingerprint", func() map[string]any {
			f := bySecret(gh)
			f["rule_id"], f["provider"], f["fingerprint"], f["aliases"] = "slack-bot-token", "slack", finding.Fingerprint("slack-bot-token", gh), nil
			return f
		}, "form of a slack credential"},
		{"an AWS secret moved under a GitHub rule", func() map[string]any {
			f := bySecret(awsSecret)
			f["rule_id"], f["provider"], f["fingerprint"], f["aliases"] = "github-pat", "github", finding.Fingerprint("github-pat", awsSecret), nil
			return f
		}, "form of a github credential"},
		{"a Slack token sent as GitHub's", func() map[string]any {
			f := bySecret(slack)
			f["rule_id"], f["provider"], f["fingerprint"], f["aliases"] = "github-pat", "github", finding.Fingerprint("github-pat", slack), nil
			return f
		}, "form of a github credential"},
		{"a generic secret claimed by a provider", func() map[string]any {
			f := bySecret(generic)
			f["provider"] = "openai"
			return f
		}, "the report says provider"},
		{"a fingerprint carrying query syntax", func() map[string]any {
			f := bySecret(gh)
			f["fingerprint"] = `x" OR key = "HR-42`
			return f
		}, "is not a fingerprint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.edit()
			p := filepath.Join(t.TempDir(), "tampered.json")
			b, _ := json.Marshal(map[string]any{"tool": "nhiscan", "findings": []any{f}})
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			before, calls := srv.TotalRequests(), len(tr.Calls())
			out, _ := runCLI(t, "verify", p, "--format", "json")
			if srv.TotalRequests() != before {
				t.Errorf("verify sent %d request(s) for a refused finding", srv.TotalRequests()-before)
			}
			if !strings.Contains(out, "refused") || !strings.Contains(out, tc.reason) {
				t.Errorf("verify output lacks the refusal (%q):\n%s", tc.reason, out)
			}
			out, code := runCLI(t, "remediate", p, "--policy", policy, "--audit", filepath.Join(t.TempDir(), "a.jsonl"), "--apply")
			if srv.TotalRequests() != before || len(tr.Calls()) != calls || len(srv.Mutations()) != 0 {
				t.Errorf("remediate acted on a refused finding (exit %d): %d provider requests, tracker %v, mutations %v\n%s",
					code, srv.TotalRequests()-before, tr.Calls()[calls:], srv.Mutations(), out)
			}
			if !strings.Contains(out, "left out") || !strings.Contains(out, tc.reason) {
				t.Errorf("remediate output lacks the refusal (%q):\n%s", tc.reason, out)
			}
			for _, s := range []string{gh, slack, awsSecret, generic} {
				if strings.Contains(out, s) {
					t.Errorf("a secret was printed")
				}
			}
		})
	}
	// The untampered report is accepted: the GitHub token is verified live.
	before := srv.TotalRequests()
	out, _ := runCLI(t, "verify", raw, "--format", "json")
	if srv.TotalRequests() == before || !strings.Contains(out, `"live"`) {
		t.Errorf("the untampered report was not verified:\n%s", out)
	}
}

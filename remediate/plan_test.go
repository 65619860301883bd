package remediate_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/remediate"
)

var update = flag.Bool("update", false, "rewrite golden files")

const goldenPolicy = `
mode = "apply"
[[rule]]
name = "live admin: revoke and ticket"
status = ["live"]
privilege = ["admin"]
actions = ["revoke", "ticket"]
fallback = ["ticket"]
[[rule]]
name = "live aws: rotate"
provider = ["aws"]
status = ["live"]
actions = ["rotate"]
fallback = ["revoke", "ticket"]
[[rule]]
name = "live: revoke"
status = ["live"]
actions = ["revoke"]
fallback = ["ticket"]
[[rule]]
name = "dead in tests: ignore"
status = ["dead"]
path = ["**/testdata/**"]
[[rule]]
name = "dead: ticket low"
status = ["dead", "unknown", "unverified"]
actions = ["ticket"]
priority = "low"
[providers.aws]
admin_profile = "security-admin"
[providers.vault]
addr = "https://vault.example.com:8200"
[rotate]
kind = "secretsmanager"
secret_id = "prod/app/aws"
[ticket]
system = "jira"
[ticket.jira]
url = "https://jira.example.com"
project = "SEC"
token_env = "JIRA_TOKEN"
`

// goldenFindings are deterministic findings covering each kind of step.
func goldenFindings(h *harness) []finding.Finding {
	g := fixtures.NewGen(77)
	gh := h.finding("github", "github-pat", g.GitHubToken("ghp_"), true)
	gh.Verification.Privileges = finding.Privileges{Level: "admin", Scopes: []string{"admin:org"}}
	id, secret := g.AWSKeyPair()
	aws := h.finding("aws", "aws-access-token", id, true)
	aws.Context = "key=" + id + " secret=" + secret
	h.secrets = append(h.secrets, secret)
	asia := h.finding("aws", "aws-access-token", "ASIAFAKEFAKEFAKEFAKE", true)
	vault := h.finding("vault", "vault-service-token", g.VaultToken(), true)
	stripe := h.finding("stripe", "stripe-access-token", g.StripeSecretKey(), true)
	redacted := h.finding("slack", "slack-bot-token", g.SlackBotToken(), true)
	redacted.Secret = ""
	dead := h.finding("gitlab", "gitlab-pat", g.GitLabPAT(), false)
	test := h.finding("gitlab", "gitlab-pat", g.GitLabPAT(), false)
	test.Locations[0].Path = "pkg/x/testdata/fixture.env"
	return []finding.Finding{gh, aws, asia, vault, stripe, redacted, dead, test}
}

func TestPlanGolden(t *testing.T) {
	h := newHarness(t, goldenPolicy)
	var b bytes.Buffer
	pl := h.planner().Plan(goldenFindings(h))
	if err := pl.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	path := filepath.Join("testdata", "plan.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (run with -update to accept):\n%s", path, got)
	}
	for _, s := range h.secrets {
		if strings.Contains(got, s) {
			t.Fatal("a secret is in the plan")
		}
	}
}

// TestPlanMakesNoStateChangingCall plans (and records the plan) for
// findings of every kind against fakes that fail the test on any request
// but GET: the provider fake must see no request at all, the tracker none.
func TestPlanMakesNoStateChangingCall(t *testing.T) {
	pol := strings.Replace(strings.Replace(goldenPolicy, `system = "jira"`, `system = "github"`, 1), "[ticket.jira]", "[ticket.github]\nrepo = \"acme/app\"\napi_url = \"TRACKER\"\n[ticket.jira]", 1)
	h := newHarness(t, pol)
	h.tr.SetReadOnly(true)
	fs := goldenFindings(h)
	for _, f := range fs {
		if f.Secret != "" {
			h.api.AddLive(f.Provider, f.Secret, fakeapi.Account{})
		}
	}
	p := h.planner()
	pl := p.Plan(fs)
	a := &remediate.Applier{Planner: p, Verifier: h.ver}
	if err := a.RecordPlan(context.Background(), pl); err != nil {
		t.Fatal(err)
	}
	if err := pl.WriteText(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if n := h.api.TotalRequests(); n != 0 || len(h.api.Mutations()) != 0 {
		t.Fatalf("plan sent %d requests to providers: %v", n, h.api.Mutations())
	}
	for _, c := range h.tr.Calls() {
		if !strings.HasPrefix(c, "GET ") {
			t.Fatalf("plan made a state-changing tracker call: %s", c)
		}
	}
	recs := h.audit.Records()
	if len(recs) != len(pl.Steps) || len(recs) == 0 {
		t.Fatalf("%d audit records for %d steps", len(recs), len(pl.Steps))
	}
	for _, r := range recs {
		if r.Phase != "plan" || r.Outcome != remediate.Planned || r.Policy == "" {
			t.Fatalf("record %+v", r)
		}
	}
	h.noSecretsIn()
}

func TestPolicyParse(t *testing.T) {
	for _, tc := range []struct{ name, in, err string }{
		{"unknown key", "mode = \"plan\"\nbogus = 1\n", "bogus"},
		{"bad action", "[[rule]]\nactions = [\"delete\"]\n", "action"},
		{"bad status", "[[rule]]\nstatus = [\"alive\"]\n", "status"},
		{"bad mode", "mode = \"yolo\"\n", "mode"},
		{"ok", "[[rule]]\nprovider = [\"github\"]\nactions = [\"revoke\"]\npath = [\"src/**/*.go\"]\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := remediate.ParsePolicy([]byte(tc.in))
			if tc.err == "" {
				if err != nil || p.Mode != remediate.ModePlan {
					t.Fatalf("err %v, mode %q", err, p.Mode)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
	def := remediate.DefaultPolicy()
	if def.Mode != remediate.ModePlan {
		t.Fatal("the built-in policy must be plan-only")
	}
}

func TestCodeOwner(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	co := "# owners\n* @platform\n/deploy/ @ops-team @alice\n*.env @secrets-team\ndocs/ @writers\n"
	if err := os.WriteFile(filepath.Join(dir, ".github", "CODEOWNERS"), []byte(co), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"main.go":            "platform",
		"deploy/k8s/app.yml": "ops-team",
		"deploy/prod.env":    "secrets-team", // the last matching line wins
		"svc/docs/readme.md": "writers",
		"x/deploy/a.go":      "platform", // /deploy/ is anchored
	} {
		if got := remediate.CodeOwner(dir, path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	if got := remediate.CodeOwner(t.TempDir(), "a.go"); got != "" {
		t.Errorf("no CODEOWNERS: %q", got)
	}
}

func TestPolicyMatch(t *testing.T) {
	pol, err := remediate.ParsePolicy([]byte(`
[[rule]]
name = "admin"
privilege = ["admin"]
status = ["live"]
actions = ["revoke"]
[[rule]]
name = "history only"
in_head = false
actions = ["ticket"]
[[rule]]
name = "prod"
path = ["deploy/**/*.env"]
provider = ["slack", "github"]
actions = ["revoke"]
`))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(provider, status, level string, flags []string, inHead bool, path string) *finding.Finding {
		f := &finding.Finding{Provider: provider, InHead: inHead, Locations: []finding.Location{{Path: path}}}
		if status != "" {
			f.Verification = &finding.Verification{Status: finding.Status(status), Privileges: finding.Privileges{Level: level, Flags: flags}}
		}
		return f
	}
	for _, tc := range []struct {
		name string
		f    *finding.Finding
		want string
	}{
		{"admin level", mk("github", "live", "admin", nil, true, "a.go"), "admin"},
		{"org-admin flag", mk("github", "live", "write", []string{"org-admin"}, true, "a.go"), "admin"},
		{"dead admin: not rule 1", mk("github", "dead", "admin", nil, false, "a.go"), "history only"},
		{"deep path", mk("slack", "live", "read", nil, true, "deploy/eu/prod/app.env"), "prod"},
		{"path, other provider", mk("npm", "live", "read", nil, true, "deploy/app.env"), ""},
		{"unverified in head", mk("github", "", "", nil, true, "src/x.go"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := pol.Match(tc.f)
			got := ""
			if r != nil {
				got = r.Name
			}
			if got != tc.want {
				t.Fatalf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

package remediate_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/providers/providertest"
	"nhiscan/remediate"
)

// policyTail is the settings every test policy shares: the fake Vault
// and the fake tracker.
const policyTail = `
[providers.vault]
addr = "https://vault.example.com:8200"
[ticket]
system = "github"
[ticket.github]
repo = "acme/app"
api_url = "TRACKER"
`

const revokePolicy = `
mode = "apply"
[[rule]]
name = "live: revoke"
status = ["live"]
actions = ["revoke"]
fallback = ["ticket"]` + policyTail

// suitePolicy applies kind to every live credential, with extra settings.
func suitePolicy(kind remediate.Kind, extra string) string {
	return fmt.Sprintf(`
mode = "apply"
[[rule]]
name = "live: %[1]s"
status = ["live"]
actions = ["%[1]s"]`, kind) + policyTail + extra
}

// TestRemediationConformance runs every remediation spec
// (providertest.Remediations) the same way: the action is done on the
// provider's fake, the credential stops working there and is re-verified
// not live, the evidence is recorded without a secret, every request
// matches the real API, and a second run is idempotent.
func TestRemediationConformance(t *testing.T) {
	for i, sp := range providertest.Remediations {
		t.Run(sp.Name, func(t *testing.T) {
			smp := sp.Gen(fixtures.NewGen(uint64(5000 + i)))
			h := newHarness(t, suitePolicy(sp.Kind, sp.Policy))
			base := h.env.Getenv
			h.env.Getenv = func(k string) string {
				if v, ok := sp.Vars[k]; ok {
					return v
				}
				return base(k)
			}
			if sp.Setup != nil {
				sp.Setup(h.api, smp)
			} else {
				a := sp.Account
				a.Parts = smp.Parts
				h.api.AddLive(sp.Provider, smp.Secret, a)
			}
			gone := func() bool { return !h.api.IsLive(smp.Secret) }
			if sp.Gone != nil {
				gone = func() bool { return sp.Gone(h.api, smp) }
			}
			h.secrets = append(h.secrets, smp.Hidden...)
			f := h.finding(sp.Provider, smp.Rule, smp.Secret, true)
			f.Context, f.Parts = smp.Context, smp.Parts
			res := h.run([]finding.Finding{f})
			if want := string(sp.Kind) + ":done"; outcomes(res) != want {
				t.Fatalf("outcomes %s, want %s: %+v", outcomes(res), want, res)
			}
			if !gone() {
				t.Fatal("the credential still works at the fake")
			}
			if a := res[0].After; a != nil && a.Status == finding.StatusLive {
				t.Fatalf("re-verified live after %s: %+v", sp.Kind, a)
			}
			if len(res[0].Evidence) == 0 {
				t.Fatal("no evidence")
			}
			if p := h.api.Problems(); len(p) > 0 {
				t.Fatalf("requests not matching the real API: %v", p)
			}
			again := h.finding(sp.Provider, smp.Rule, smp.Secret, true)
			again.Context, again.Parts = smp.Context, smp.Parts
			mutations := len(h.api.Mutations())
			res = h.run([]finding.Finding{again})
			switch got := outcomes(res); {
			case got == string(sp.Kind)+":already":
			case got == string(sp.Kind)+":skipped" && res[0].Step.Operator != "" && len(h.api.Mutations()) == mutations:
				// An operator action needs this run's proof that the
				// credential is live; a revoked one gives none, so the
				// second run does nothing at all.
			default:
				t.Fatalf("second run %s, want %s:already: %+v", got, sp.Kind, res)
			}
			h.noSecretsIn()
		})
	}
}

func TestRevokeAlreadyRevokedIsIdempotent(t *testing.T) {
	h := newHarness(t, revokePolicy)
	tok := fixtures.NewGen(6).GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	fs := []finding.Finding{h.finding("github", "github-pat", tok, true)}
	if res := h.run(fs); outcomes(res) != "revoke:done" {
		t.Fatalf("first run: %s", outcomes(res))
	}
	n := len(h.api.Mutations())
	// the report still says live: the second run re-verifies and does nothing
	fs[0].Verification = &finding.Verification{Status: finding.StatusLive}
	h.reopen()
	res := h.run(fs)
	if outcomes(res) != "revoke:already" {
		t.Fatalf("second run: %s (%s)", outcomes(res), res[0].Detail)
	}
	if got := len(h.api.Mutations()); got != n {
		t.Fatalf("second run made %d state-changing calls", got-n)
	}
	// revoked by someone else between runs: the provider says so, nothing breaks
	tok2 := fixtures.NewGen(7).GitLabPAT()
	h.api.AddLive("gitlab", tok2, fakeapi.Account{})
	f2 := h.finding("gitlab", "gitlab-pat", tok2, true)
	h.api.Revoke(tok2)
	if res := h.run([]finding.Finding{f2}); outcomes(res) != "revoke:already" {
		t.Fatalf("gitlab revoked elsewhere: %s", outcomes(res))
	}
}

func TestRevokeDeniedFallsBackToTicket(t *testing.T) {
	h := newHarness(t, revokePolicy)
	tok := fixtures.NewGen(8).GitLabPAT()
	h.api.AddLive("gitlab", tok, fakeapi.Account{})
	h.api.DenyRevoke(tok)
	res := h.run([]finding.Finding{h.finding("gitlab", "gitlab-pat", tok, true)})
	if outcomes(res) != "revoke:denied ticket:done" {
		t.Fatalf("outcomes %s", outcomes(res))
	}
	is := h.tr.Issues()
	if len(is) != 1 || is[0].State != "open" || !strings.Contains(is[0].Body, "**live**") {
		t.Fatalf("issues: %+v", is)
	}
	if !h.api.IsLive(tok) {
		t.Fatal("denied revocation changed the credential")
	}
	h.noSecretsIn()
}

func TestRateLimitedRevocationIsQueuedNotLost(t *testing.T) {
	h := newHarness(t, revokePolicy)
	tok := fixtures.NewGen(9).GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	fs := []finding.Finding{h.finding("github", "github-pat", tok, true)}
	// the pre-verification GET and the revocation POST both meet a 429
	h.api.SetFault("github", fakeapi.Fault{Status: 429, RetryAfter: "600", Times: 2})
	res := h.run(fs)
	if outcomes(res) != "revoke:deferred" || res[0].RetryAt.IsZero() {
		t.Fatalf("run 1: %s %+v", outcomes(res), res)
	}
	h.reopen()
	if p := h.audit.Pending(); len(p) != 1 || p[0].Fingerprint != fs[0].Fingerprint {
		t.Fatalf("pending after run 1: %+v", p)
	}
	// a run before the retry time keeps it queued without calling GitHub
	h.now = h.now.Add(5 * time.Minute)
	n := len(h.api.Mutations())
	if res := h.run(fs); outcomes(res) != "revoke:deferred" || len(h.api.Mutations()) != n {
		t.Fatalf("run 2: %s, %d calls", outcomes(res), len(h.api.Mutations())-n)
	}
	// after it, the revocation goes through
	h.now = h.now.Add(10 * time.Minute)
	h.reopen()
	if res := h.run(fs); outcomes(res) != "revoke:done" || h.api.IsLive(tok) {
		t.Fatalf("run 3: %s", outcomes(res))
	}
	if p := h.audit.Pending(); len(p) != 0 {
		t.Fatalf("still pending: %+v", p)
	}
}

func TestGitHubHourlyBudgetAndBatching(t *testing.T) {
	h := newHarness(t, revokePolicy)
	g := fixtures.NewGen(10)
	var fs []finding.Finding
	for range 3 {
		tok := g.GitHubToken("ghp_")
		h.api.AddLive("github", tok, fakeapi.Account{})
		fs = append(fs, h.finding("github", "github-pat", tok, true))
	}
	res := h.run(fs)
	if outcomes(res) != "revoke:done revoke:done revoke:done" {
		t.Fatalf("outcomes %s", outcomes(res))
	}
	calls := 0
	for _, m := range h.api.Mutations() {
		if strings.HasSuffix(m, "/credentials/revoke") {
			calls++
		}
	}
	if calls != 1 {
		t.Fatalf("%d revocation calls for 3 tokens, want 1 batch", calls)
	}
	// spend the rest of the hour's budget: the next token waits
	for range 59 {
		h.audit.TakeAt("github:credentials/revoke", 60, time.Hour, h.now)
	}
	tok := g.GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	res = h.run([]finding.Finding{h.finding("github", "github-pat", tok, true)})
	if outcomes(res) != "revoke:deferred" || !h.api.IsLive(tok) {
		t.Fatalf("over budget: %s", outcomes(res))
	}
}

func TestPolicyModePlanAppliesNothing(t *testing.T) {
	h := newHarness(t, strings.Replace(revokePolicy, `mode = "apply"`, `mode = "plan"`, 1))
	tok := fixtures.NewGen(11).GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	res := h.run([]finding.Finding{h.finding("github", "github-pat", tok, true)})
	if outcomes(res) != "revoke:skipped" || !h.api.IsLive(tok) || h.api.TotalRequests() != 0 {
		t.Fatalf("plan mode: %s, %d requests", outcomes(res), h.api.TotalRequests())
	}
}

func TestAWSRevoke(t *testing.T) {
	cases := []struct {
		name       string
		selfManage bool
		noAdmin    bool
		want       string
		status     string
	}{
		{"leaked key deactivates itself", true, false, "revoke:done", "Inactive"},
		{"quarantined key: admin profile", false, false, "revoke:done", "Inactive"},
		{"no permission, no admin", false, true, "revoke:denied ticket:done", "Active"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, revokePolicy)
			if tc.noAdmin {
				h.env.AWS.Admin = nil
			}
			id, secret := fixtures.NewGen(uint64(20 + i)).AWSKeyPair()
			h.api.AddAWSKey("deploy-bot", id, secret, tc.selfManage)
			f := h.finding("aws", "aws-access-token", id, true)
			f.Context = "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
			h.secrets = append(h.secrets, secret)
			res := h.run([]finding.Finding{f})
			if outcomes(res) != tc.want {
				t.Fatalf("outcomes %s: %+v", outcomes(res), res)
			}
			if got := h.api.AWSKeyStatus(id); got != tc.status {
				t.Fatalf("key status %q, want %q", got, tc.status)
			}
			if tc.status == "Inactive" && (res[0].After == nil || res[0].After.Status != finding.StatusDead) {
				t.Fatalf("re-verification: %+v", res[0].After)
			}
			h.noSecretsIn()
		})
	}
	t.Run("ASIA session key is explained, not attempted", func(t *testing.T) {
		h := newHarness(t, revokePolicy)
		f := h.finding("aws", "aws-access-token", "ASIAFAKEFAKEFAKEFAKE", true)
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:skipped ticket:done" || !strings.Contains(res[0].Detail, "cannot be deactivated") {
			t.Fatalf("ASIA: %s %q", outcomes(res), res[0].Detail)
		}
	})
}

const rotatePolicy = `
mode = "apply"
[[rule]]
name = "rotate aws"
provider = ["aws"]
status = ["live"]
actions = ["rotate"]
[providers.aws]
admin_profile = "security-admin"
[rotate]
kind = "%s"
secret_id = "prod/app/aws"
repo = "acme/app"
api_url = "TRACKER"
addr = "https://vault.example.com:8200"
path = "app/aws"
`

func TestRotateAWS(t *testing.T) {
	cases := []struct {
		name, dest   string
		fail         map[string]string // IAM action → error code
		want         remediate.Outcome
		old, newKeys int // Active old? number of keys of the user afterwards
		oldStatus    string
		detail       string
	}{
		{name: "secrets manager", dest: "secretsmanager", want: remediate.Done, oldStatus: "Inactive", newKeys: 2},
		{name: "github actions", dest: "github-actions", want: remediate.Done, oldStatus: "Inactive", newKeys: 2},
		{name: "vault kv", dest: "vault-kv", want: remediate.Done, oldStatus: "Inactive", newKeys: 2},
		{name: "destination fails: new key deleted", dest: "secretsmanager", fail: map[string]string{"PutSecretValue": "InternalServiceError"},
			want: remediate.Failed, oldStatus: "Active", newKeys: 1, detail: "was deleted"},
		{name: "destination and rollback fail: new key recorded", dest: "secretsmanager",
			fail: map[string]string{"PutSecretValue": "InternalServiceError", "DeleteAccessKey": "ServiceFailure"},
			want: remediate.Failed, oldStatus: "Active", newKeys: 2, detail: "could NOT be deleted"},
		{name: "old key cannot be deactivated: both recorded", dest: "secretsmanager", fail: map[string]string{"UpdateAccessKey": "ServiceFailure"},
			want: remediate.Failed, oldStatus: "Active", newKeys: 2, detail: "still ACTIVE"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(rotatePolicy, tc.dest))
			id, secret := fixtures.NewGen(uint64(40 + i)).AWSKeyPair()
			h.api.AddAWSKey("deploy-bot", id, secret, false)
			for a, code := range tc.fail {
				h.api.FailAWS(a, code)
			}
			f := h.finding("aws", "aws-access-token", id, true)
			f.Context = "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"
			h.secrets = append(h.secrets, secret)
			res := h.run([]finding.Finding{f})
			if len(res) != 1 || res[0].Outcome != tc.want {
				t.Fatalf("outcomes %s: %+v", outcomes(res), res)
			}
			if got := h.api.AWSKeyStatus(id); got != tc.oldStatus {
				t.Fatalf("old key %s, want %s", got, tc.oldStatus)
			}
			keys := h.api.AWSUserKeys("deploy-bot")
			if len(keys) != tc.newKeys {
				t.Fatalf("user keys %v", keys)
			}
			active := 0
			for _, k := range keys {
				if strings.HasSuffix(k, ":Active") {
					active++
				}
			}
			if active == 0 {
				t.Fatal("no active key left")
			}
			if active == 2 {
				// two live keys only with a record naming the new one
				rec := strings.Join(res[0].Evidence, "\n") + res[0].Detail
				for _, k := range keys {
					if kid, _, _ := strings.Cut(k, ":"); kid != id && !strings.Contains(rec, kid) {
						t.Fatalf("two live keys and the new one %s is not recorded: %s", kid, rec)
					}
				}
			}
			// the new key was recorded before it was stored anywhere
			var progress []string
			for _, r := range h.audit.Records() {
				if r.Phase == "progress" {
					progress = append(progress, r.Detail)
				}
			}
			if len(progress) == 0 || !strings.Contains(progress[0], "created new key AKIAROTATED") {
				t.Fatalf("no progress record of the new key: %v", progress)
			}
			if tc.detail != "" && !strings.Contains(res[0].Detail, tc.detail) {
				t.Fatalf("detail %q, want %q", res[0].Detail, tc.detail)
			}
			if tc.want == remediate.Done {
				var newID string
				for _, k := range keys {
					if kid, st, _ := strings.Cut(k, ":"); kid != id && st == "Active" {
						newID = kid
					}
				}
				stored := h.api.SecretsManagerValue("prod/app/aws") + h.tr.ActionsSecret("AWS_ACCESS_KEY_ID") + h.api.VaultKV("secret/data/app/aws")["AWS_ACCESS_KEY_ID"]
				if newID == "" || !strings.Contains(stored, newID) {
					t.Fatalf("new key %q not stored (%q)", newID, stored)
				}
				if res[0].After == nil || res[0].After.Status != finding.StatusDead {
					t.Fatalf("old key re-verification: %+v", res[0].After)
				}
			}
			h.noSecretsIn()
		})
	}
}

func TestRotateGitLab(t *testing.T) {
	h := newHarness(t, strings.ReplaceAll(fmt.Sprintf(rotatePolicy, "vault-kv"), `provider = ["aws"]`, `provider = ["gitlab"]`))
	tok := fixtures.NewGen(50).GitLabPAT()
	h.api.AddLive("gitlab", tok, fakeapi.Account{Scopes: []string{"api"}})
	res := h.run([]finding.Finding{h.finding("gitlab", "gitlab-pat", tok, true)})
	if outcomes(res) != "rotate:done" || h.api.IsLive(tok) {
		t.Fatalf("outcomes %s %+v", outcomes(res), res)
	}
	nt := h.api.VaultKV("secret/data/app/aws")["GITLAB_TOKEN"]
	if nt == "" || !h.api.IsLive(nt) {
		t.Fatalf("new token not stored or not live")
	}
}

const ticketPolicy = `
mode = "apply"
[[rule]]
name = "ticket everything"
actions = ["ticket"]
priority = "high"
[ticket]
system = "%s"
[ticket.github]
repo = "acme/app"
api_url = "TRACKER"
[ticket.jira]
url = "TRACKER"
project = "SEC"
api_version = %d
email_env = "JIRA_EMAIL"
token_env = "JIRA_TOKEN"
[ticket.assignees]
"alice@example.com" = "alice-gh"
`

func TestTicketDedupeAndCloseAfterDead(t *testing.T) {
	for _, tc := range []struct {
		system  string
		version int
	}{{"github", 3}, {"jira", 2}, {"jira", 3}} {
		t.Run(fmt.Sprintf("%s v%d", tc.system, tc.version), func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(ticketPolicy, tc.system, tc.version))
			tok := fixtures.NewGen(60).SlackBotToken()
			h.api.AddLive("slack", tok, fakeapi.Account{})
			fs := []finding.Finding{h.finding("slack", "slack-bot-token", tok, true)}
			type state struct {
				n      int
				open   bool
				body   string
				closed []string
			}
			get := func() state {
				if tc.system == "github" {
					is := h.tr.Issues()
					if len(is) == 0 {
						return state{}
					}
					return state{len(is), is[0].State == "open", is[0].Body, is[0].Comments}
				}
				is := h.tr.JiraIssues()
				if len(is) == 0 {
					return state{}
				}
				return state{len(is), !is[0].Done, unwiki(is[0].Description), is[0].Comments}
			}
			if res := h.run(fs); outcomes(res) != "ticket:done" {
				t.Fatalf("run 1: %s %+v", outcomes(res), res)
			}
			st := get()
			if st.n != 1 || !st.open || !strings.Contains(st.body, "deploy/slack.env:3") || !strings.Contains(st.body, "fake-slack-user") {
				t.Fatalf("after run 1: %+v", st)
			}
			if tc.system == "github" && h.tr.Issues()[0].Assignees[0] != "alice-gh" {
				t.Fatalf("assignee %v", h.tr.Issues()[0].Assignees)
			}
			// a nightly run later: no second ticket
			h.reopen()
			if res := h.run(fs); outcomes(res) != "ticket:already" || get().n != 1 {
				t.Fatalf("run 2: %s, %d tickets", outcomes(res), get().n)
			}
			// the owner revokes it; the next run sees it dead and closes the ticket
			h.api.Revoke(tok)
			if res := h.run(fs); outcomes(res) != "ticket:done" {
				t.Fatalf("run 3: %s %+v", outcomes(res), res)
			}
			st = get()
			if st.n != 1 || st.open || len(st.closed) == 0 || !strings.Contains(st.closed[len(st.closed)-1], "verified dead") {
				t.Fatalf("after run 3: %+v", st)
			}
			if res := h.run(fs); outcomes(res) != "ticket:already" {
				t.Fatalf("run 4: %s", outcomes(res))
			}
			h.noSecretsIn()
		})
	}
}

func TestRevokeThenTicketOpensAndCloses(t *testing.T) {
	pol := strings.Replace(revokePolicy, `actions = ["revoke"]`, `actions = ["revoke", "ticket"]`, 1)
	h := newHarness(t, pol)
	tok := fixtures.NewGen(70).GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	res := h.run([]finding.Finding{h.finding("github", "github-pat", tok, true)})
	if outcomes(res) != "revoke:done ticket:done" {
		t.Fatalf("%s", outcomes(res))
	}
	is := h.tr.Issues()
	if len(is) != 1 || is[0].State != "closed" || !slices.ContainsFunc(is[0].Comments, func(c string) bool { return strings.Contains(c, "revoked by nhiscan") }) {
		t.Fatalf("issue %+v", is)
	}
}

// TestRevokeWithLookupsAndOperatorCredentials: providers whose revocation
// first learns an id (Heroku, Databricks) or needs the operator's own
// credential (Twilio Main token, GCP access token).
func TestRevokeWithLookupsAndOperatorCredentials(t *testing.T) {
	pol := revokePolicy + `
[providers.databricks]
host = "dbc-fake.cloud.databricks.com"
[providers.twilio]
account_sid = "AC00000000000000000000000000000001"
auth_token_env = "TWILIO_MAIN"
[providers.gcp]
token_env = "GCP_OPERATOR"
`
	g := fixtures.NewGen(95)
	t.Run("heroku", func(t *testing.T) {
		h := newHarness(t, pol)
		tok := g.HerokuKey()
		h.api.AddLive("heroku", tok, fakeapi.Account{})
		res := h.run([]finding.Finding{h.finding("heroku", "heroku-api-key-v2", tok, true)})
		if outcomes(res) != "revoke:done" || h.api.IsLive(tok) || res[0].After == nil || res[0].After.Status != finding.StatusDead {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		h.noSecretsIn()
	})
	t.Run("databricks", func(t *testing.T) {
		h := newHarness(t, pol)
		tok := g.DatabricksToken()
		h.api.AddLive("databricks", tok, fakeapi.Account{Parts: map[string]string{"host": "dbc-fake.cloud.databricks.com"}})
		res := h.run([]finding.Finding{h.finding("databricks", "databricks-api-token", tok, true)})
		if outcomes(res) != "revoke:done" || h.api.IsLive(tok) {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		h.noSecretsIn()
	})
	t.Run("twilio api key", func(t *testing.T) {
		h := newHarness(t, pol)
		base := h.env.Getenv
		h.env.Getenv = func(k string) string {
			if k == "TWILIO_MAIN" {
				return "main-auth-token-fake"
			}
			return base(k)
		}
		sid, keySecret := g.TwilioKeySID(), "Fk"+strings.Repeat("9a", 15)
		h.api.AddTwilioKey("AC00000000000000000000000000000001", "main-auth-token-fake", sid)
		h.api.AddLive("twilio", keySecret, fakeapi.Account{Parts: map[string]string{"sid": sid}})
		f := h.finding("twilio", "twilio-api-key", sid, true)
		f.Context = "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + keySecret + "\n"
		h.secrets = append(h.secrets, keySecret)
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:done" || h.api.TwilioKeyExists(sid) {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		// the next run: the key is gone; no proof it is live, so the
		// operator's account does nothing (a ticket says why)
		before := len(h.api.Mutations())
		if res := h.run([]finding.Finding{f}); !strings.HasPrefix(outcomes(res), "revoke:skipped") || len(h.api.Mutations()) != before {
			t.Fatalf("second run %s", outcomes(res))
		}
		h.noSecretsIn()
	})
	t.Run("gcp key disable", func(t *testing.T) {
		h := newHarness(t, pol)
		base := h.env.Getenv
		h.env.Getenv = func(k string) string {
			if k == "GCP_OPERATOR" {
				return "ya29.operator-fake"
			}
			return base(k)
		}
		h.api.AddGCPOperator("ya29.operator-fake")
		sa := g.GCPServiceAccountJSON()
		var key struct {
			ClientEmail  string `json:"client_email"`
			PrivateKeyID string `json:"private_key_id"`
			PrivateKey   string `json:"private_key"`
		}
		_ = json.Unmarshal([]byte(sa), &key)
		// the fake's token endpoint verifies with the private key
		h.api.AddLive("gcp", key.PrivateKey, fakeapi.Account{Parts: map[string]string{"client_email": key.ClientEmail, "private_key_id": key.PrivateKeyID}})
		f := h.finding("gcp", "gcp-service-account-key", sa, true)
		f.Context = sa // the key file around the finding, as the verifier pairs it
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:done" || h.api.IsLive(key.PrivateKey) || res[0].After == nil || res[0].After.Status != finding.StatusDead {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
	})
}

// unwiki reads Jira wiki text as a person sees it: escapes and zero-width
// spaces gone.
func unwiki(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.ReplaceAll(b.String(), "\u200b", "")
}

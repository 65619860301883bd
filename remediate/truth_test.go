package remediate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// Remediation cases of the provider-truth review: each revoker deletes the
// leaked credential — and only it — on its own host.

// TestHerokuRevokesOnlyTheLeakedTokensAuthorization: the account has an API
// key and another authorization; only the leaked token's own authorization
// is deleted, found by its token in GET /oauth/authorizations, never
// through /oauth/authorizations/~ (the API key's).
func TestHerokuRevokesOnlyTheLeakedTokensAuthorization(t *testing.T) {
	g := fixtures.NewGen(201)
	h := newHarness(t, revokePolicy)
	leaked, apiKey, other := g.HerokuKey(), g.HerokuKey(), g.HerokuKey()
	h.api.AddLive("heroku", leaked, fakeapi.Account{})
	h.api.AddLive("heroku", apiKey, fakeapi.Account{Parts: map[string]string{"api_key": "true"}})
	h.api.AddLive("heroku", other, fakeapi.Account{})
	h.secrets = append(h.secrets, apiKey, other)
	res := h.run([]finding.Finding{h.finding("heroku", "heroku-api-key-v2", leaked, true)})
	if outcomes(res) != "revoke:done" || res[0].After == nil || res[0].After.Status != finding.StatusDead {
		t.Fatalf("%s %+v", outcomes(res), res)
	}
	if h.api.IsLive(leaked) || !h.api.IsLive(apiKey) || !h.api.IsLive(other) {
		t.Fatalf("live after revoke: leaked %v, api key %v, other %v", h.api.IsLive(leaked), h.api.IsLive(apiKey), h.api.IsLive(other))
	}
	want := []string{"DELETE api.heroku.com/oauth/authorizations/" + fakeapi.HerokuAuthorizationID(leaked)}
	if got := h.api.Mutations(); !slices.Equal(got, want) {
		t.Fatalf("mutations %v, want %v", got, want)
	}
	if strings.Contains(strings.Join(res[0].Evidence, " "), "/~") {
		t.Fatalf("used the API key's authorization: %v", res[0].Evidence)
	}
	if p := h.api.Problems(); len(p) > 0 {
		t.Fatal(p)
	}
	h.noSecretsIn()
}

// TestHerokuUnidentifiableAuthorizationIsTicketed: when no authorization
// shows the leaked token, nothing is deleted and a ticket says why.
func TestHerokuUnidentifiableAuthorizationIsTicketed(t *testing.T) {
	g := fixtures.NewGen(202)
	h := newHarness(t, revokePolicy)
	leaked, apiKey := g.HerokuKey(), g.HerokuKey()
	h.api.AddLive("heroku", leaked, fakeapi.Account{Parts: map[string]string{"hidden": "true"}})
	h.api.AddLive("heroku", apiKey, fakeapi.Account{Parts: map[string]string{"api_key": "true"}})
	res := h.run([]finding.Finding{h.finding("heroku", "heroku-api-key-v2", leaked, true)})
	if outcomes(res) != "revoke:skipped ticket:done" || !strings.Contains(res[0].Detail, "cannot be identified") {
		t.Fatalf("%s %+v", outcomes(res), res)
	}
	if len(h.api.Mutations()) != 0 || !h.api.IsLive(leaked) || !h.api.IsLive(apiKey) {
		t.Fatalf("something was deleted: %v", h.api.Mutations())
	}
	h.noSecretsIn()
}

const ghesPolicy = revokePolicy + `
[providers.github]
enterprise_hosts = ["ghe.example.com"]
enterprise_token_env = "GHES_TOKEN"
`

// TestGHESTokenRevokedOnItsOwnServer: a token verified on the Enterprise
// Server is revoked at that server's authenticated /api/v3/credentials/revoke;
// github.com never sees it, and the server's other tokens stay live. A
// github.com token in the same run keeps the public API.
func TestGHESTokenRevokedOnItsOwnServer(t *testing.T) {
	g := fixtures.NewGen(203)
	h := newHarness(t, ghesPolicy)
	h.verifyWith(verifiers.Config{Hosts: map[string][]string{"github": {"ghe.example.com"}}})
	base := h.env.Getenv
	h.env.Getenv = func(k string) string {
		if k == "GHES_TOKEN" {
			return "ghes-operator-fake"
		}
		return base(k)
	}
	h.api.AddGHESOperator("ghe.example.com", "ghes-operator-fake")
	ghes, bystander, dotcom := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	onGHES := fakeapi.Account{Parts: map[string]string{"host": "ghe.example.com"}}
	h.api.AddLive("github", ghes, onGHES)
	h.api.AddLive("github", bystander, onGHES)
	h.api.AddLive("github", dotcom, fakeapi.Account{})
	h.secrets = append(h.secrets, bystander)
	fGHES := h.finding("github", "github-pat", ghes, true)
	fGHES.Verification.Identity["host"] = "ghe.example.com"
	fGHES.Context = "GH_HOST=ghe.example.com\nGH_ENTERPRISE_TOKEN=" + ghes + "\n"
	fDotcom := h.finding("github", "github-pat", dotcom, true)
	fDotcom.Verification.Endpoint = "GET https://api.github.com/user"

	// The plan says which server and which credential.
	pl := h.planner().Plan([]finding.Finding{fGHES})
	if c := pl.Steps[0].Calls; len(c) != 1 || c[0].URL != "https://ghe.example.com/api/v3/credentials/revoke" || !strings.Contains(c[0].Auth, "ghe.example.com") {
		t.Fatalf("plan %+v", pl.Steps[0])
	}

	res := h.run([]finding.Finding{fGHES, fDotcom})
	if outcomes(res) != "revoke:done revoke:done" {
		t.Fatalf("%s %+v", outcomes(res), res)
	}
	if h.api.IsLive(ghes) || h.api.IsLive(dotcom) || !h.api.IsLive(bystander) {
		t.Fatalf("live: ghes %v dotcom %v bystander %v", h.api.IsLive(ghes), h.api.IsLive(dotcom), h.api.IsLive(bystander))
	}
	muts := h.api.Mutations()
	slices.Sort(muts)
	want := []string{"POST api.github.com/credentials/revoke", "POST ghe.example.com/api/v3/credentials/revoke"}
	if !slices.Equal(muts, want) {
		t.Fatalf("mutations %v, want %v", muts, want)
	}
	if p := h.api.Problems(); len(p) > 0 {
		t.Fatal(p)
	}
	h.noSecretsIn()
}

// TestGHESRevocationNeedsConfiguredServer: a token that answered on a server
// the operator did not configure is never sent anywhere.
func TestGHESRevocationNeedsConfiguredServer(t *testing.T) {
	h := newHarness(t, revokePolicy)
	tok := fixtures.NewGen(204).GitHubToken("ghp_")
	f := h.finding("github", "github-pat", tok, true)
	f.Verification.Identity["host"] = "ghe.other.example"
	pl := h.planner().Plan([]finding.Finding{f})
	if !strings.Contains(pl.Steps[0].Blocked, "not in [providers.github] enterprise_hosts") {
		t.Fatalf("step %+v", pl.Steps[0])
	}
}

// TestGitHubAcceptedRevocationIsReverifiedAfterAWait: 202 means queued; the
// token dies a moment later and the step ends re-verified dead.
func TestGitHubAcceptedRevocationIsReverifiedAfterAWait(t *testing.T) {
	h := newHarness(t, revokePolicy)
	h.env.SettleWait = 60 * time.Millisecond
	h.api.SetRevokeDelay(100 * time.Millisecond)
	tok := fixtures.NewGen(205).GitHubToken("ghp_")
	h.api.AddLive("github", tok, fakeapi.Account{})
	res := h.run([]finding.Finding{h.finding("github", "github-pat", tok, true)})
	if outcomes(res) != "revoke:done" || res[0].After == nil || res[0].After.Status != finding.StatusDead {
		t.Fatalf("%s after %+v detail %q", outcomes(res), res[0].After, res[0].Detail)
	}
}

// TestRevokeVariants: Cloudflare account tokens, SendGrid EU keys, Twilio
// Restricted keys, GCP keys already deleted.
func TestRevokeVariants(t *testing.T) {
	g := fixtures.NewGen(206)
	t.Run("cloudflare account token", func(t *testing.T) {
		h := newHarness(t, revokePolicy)
		acct := strings.Repeat("ab", 16)
		tok := "cfat_" + g.CloudflareScannableToken()[5:]
		h.api.AddLive("cloudflare", tok, fakeapi.Account{Parts: map[string]string{"account_id": acct}})
		f := h.finding("cloudflare", "cloudflare-api-token", tok, true)
		f.Context = "CLOUDFLARE_ACCOUNT_ID=" + acct + "\nCLOUDFLARE_API_TOKEN=" + tok + "\n"
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:done" || h.api.IsLive(tok) || res[0].After == nil || res[0].After.Status != finding.StatusDead {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		if m := h.api.Mutations(); len(m) != 1 || !strings.HasPrefix(m[0], "DELETE api.cloudflare.com/client/v4/accounts/"+acct+"/tokens/") {
			t.Fatalf("mutations %v", m)
		}
	})
	t.Run("sendgrid eu key", func(t *testing.T) {
		h := newHarness(t, revokePolicy)
		key := g.SendGridKey()
		h.api.AddLive("sendgrid", key, fakeapi.Account{Scopes: []string{"api_keys"}, Parts: map[string]string{"region": "eu"}})
		res := h.run([]finding.Finding{h.finding("sendgrid", "sendgrid-api-token", key, true)})
		if outcomes(res) != "revoke:done" || h.api.IsLive(key) {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		if m := h.api.Mutations(); len(m) != 1 || !strings.HasPrefix(m[0], "DELETE api.eu.sendgrid.com/v3/api_keys/") {
			t.Fatalf("mutations %v", m)
		}
	})
	t.Run("gcp key already deleted", func(t *testing.T) {
		h := newHarness(t, revokePolicy+"\n[providers.gcp]\ntoken_env = \"GCP_OPERATOR\"\n")
		base := h.env.Getenv
		h.env.Getenv = func(k string) string {
			if k == "GCP_OPERATOR" {
				return "ya29.operator-fake"
			}
			return base(k)
		}
		h.api.AddGCPOperator("ya29.operator-fake")
		sa := g.GCPServiceAccountJSON()
		f := h.finding("gcp", "gcp-service-account-key", sa, true)
		// this run's verification answered live, and the key was deleted
		// right after: the disable call finds it no more
		h.ver = remediate.VerifierFunc(func(context.Context, *finding.Finding) *finding.Verification {
			return &finding.Verification{Status: finding.StatusLive}
		})
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:already" {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
	})
}

// TestTwilioRestrictedKeyDeletedThroughKeyV1: any SK key, Restricted ones
// included, is deleted through iam.twilio.com/v1/Keys/{SK}.
func TestTwilioRestrictedKeyDeletedThroughKeyV1(t *testing.T) {
	h := newHarness(t, revokePolicy+"\n[providers.twilio]\naccount_sid = \"AC00000000000000000000000000000001\"\nauth_token_env = \"TWILIO_MAIN\"\n")
	base := h.env.Getenv
	h.env.Getenv = func(k string) string {
		if k == "TWILIO_MAIN" {
			return "main-auth-token-fake"
		}
		return base(k)
	}
	sid, other := fixtures.NewGen(207).TwilioKeySID(), fixtures.NewGen(208).TwilioKeySID()
	h.api.AddTwilioKey("AC00000000000000000000000000000001", "main-auth-token-fake", sid)
	h.api.AddTwilioKey("AC00000000000000000000000000000001", "main-auth-token-fake", other)
	// the key's secret was found beside its SID and verifies: the proof the
	// operator's account needs before it deletes anything
	keySecret := "Rk" + strings.Repeat("7c", 15)
	h.api.AddLive("twilio", keySecret, fakeapi.Account{Parts: map[string]string{"sid": sid}})
	f := h.finding("twilio", "twilio-api-key", sid, true)
	f.Context = "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + keySecret + "\n"
	h.secrets = append(h.secrets, keySecret)
	res := h.run([]finding.Finding{f})
	if outcomes(res) != "revoke:done" || h.api.TwilioKeyExists(sid) || !h.api.TwilioKeyExists(other) {
		t.Fatalf("%s %+v", outcomes(res), res)
	}
	if m := h.api.Mutations(); !slices.Equal(m, []string{"DELETE iam.twilio.com/v1/Keys/" + sid}) {
		t.Fatalf("mutations %v", m)
	}
}

// TestGitLabRotationKeepsLifetime: the rotated token gets the old one's
// lifetime, not GitLab's one-week default.
func TestGitLabRotationKeepsLifetime(t *testing.T) {
	h := newHarness(t, strings.ReplaceAll(fmt.Sprintf(rotatePolicy, "vault-kv"), `provider = ["aws"]`, `provider = ["gitlab"]`))
	tok := fixtures.NewGen(209).GitLabPAT()
	h.api.AddLive("gitlab", tok, fakeapi.Account{Scopes: []string{"api"},
		Parts: map[string]string{"created_at": "2026-01-01T00:00:00.000Z", "expires_at": "2026-04-01"}})
	res := h.run([]finding.Finding{h.finding("gitlab", "gitlab-pat", tok, true)})
	if outcomes(res) != "rotate:done" {
		t.Fatalf("%s %+v", outcomes(res), res)
	}
	want := h.now.UTC().AddDate(0, 0, 90).Format("2006-01-02") // 2026-01-01 → 2026-04-01
	if got := h.api.LastGitLabRotationExpiry(); got != want {
		t.Fatalf("new token expires %q, want %q (the old lifetime)", got, want)
	}
}

var _ = remediate.Revoke

// Package providertest holds the conformance spec tables that every
// provider's tests run from: Specs for verification (run by package
// verifiers' TestConformance and TestShapeParity), Remediations for revoke
// and rotate (run by package remediate's TestRemediationConformance), and
// the generators of format-valid fake credentials they use. The parity
// test in providers/all fails when a provider declares a capability
// without a spec here and a route in fixtures/fakeapi. Test-only: it is
// imported by tests, never by the product.
package providertest

import (
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"strings"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// Sample is one generated finding of a Provider: what the scanner would
// report (Secret, Context) and the truth the fake needs (parts).
type Sample struct {
	Rule    string
	Secret  string            // finding.Finding.Secret
	Context string            // finding.Finding.Context
	Parts   map[string]string // the real companions: the fake requires them
	Hidden  []string          // other secret values that must never leak
}

// Spec is what the verification conformance suite knows about one provider (or one
// variant of it: GitHub Enterprise, GitLab self-managed, installation
// tokens). Every registered provider must have at least one.
type Spec struct {
	Name, Provider string
	Gen            func(*fixtures.Gen) Sample
	Account        fakeapi.Account
	Identity       string // an Identity key a live result must carry
	Offline        bool   // analysed Offline: never a request
	// NeverDead: the provider's answer for an invalid credential of this
	// kind is also its answer for a working one it refuses (a Twilio
	// Standard key on /Accounts, a legacy Cloudflare token that may be
	// account-owned): invalid and revoked are Unknown by design.
	NeverDead bool
}

// Value helpers built on fixtures.Gen (format-valid fakes).
// Hex32 is a format-valid fake value.
func Hex32(g *fixtures.Gen) string { return g.DigitalOceanPAT()[7:39] }

// Hex40 is a format-valid fake value.
func Hex40(g *fixtures.Gen) string { return g.DigitalOceanPAT()[7:47] }

// Letters is a format-valid fake value.
func Letters(g *fixtures.Gen, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(g.HuggingFaceToken()[3:])
	}
	return b.String()[:n]
}

// Alnum is a format-valid fake value.
func Alnum(g *fixtures.Gen, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(g.LinearKey()[8:])
	}
	return b.String()[:n]
}

// GUID is a format-valid fake value.
func GUID(g *fixtures.Gen) string {
	h := Hex32(g)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AWSKeyIDFor returns an AKIA key id that encodes account (current format).
func AWSKeyIDFor(g *fixtures.Gen, account uint64) string {
	var b [10]byte
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], account<<7|0x2a)
	copy(b[:6], w[2:])
	copy(b[6:], Hex32(g)[:4])
	return "AKIA" + base32.StdEncoding.EncodeToString(b[:])
}

// JSONString is a format-valid fake value.
func JSONString(s string) string { b, _ := json.Marshal(s); return string(b) }

// SelfHostedConfig names the fakes' self-hosted hosts.
var SelfHostedConfig = func() verifiers.Config {
	c := verifiers.Config{Hosts: map[string][]string{}}
	for product, host := range fakeapi.SelfHosted {
		c.Hosts[product] = []string{host}
	}
	return c
}()

// Specs is the verification spec table: every provider has at least one.
var Specs = []Spec{
	{Name: "github", Provider: "github", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.GitHubToken("ghp_")} },
		Account: fakeapi.Account{Scopes: []string{"repo", "read:org"}}, Identity: "login"},
	{Name: "github-installation", Provider: "github", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.GitHubToken("ghs_")} }, Identity: "repositories"},
	{Name: "github-enterprise", Provider: "github", Gen: func(g *fixtures.Gen) Sample {
		t := g.GitHubToken("ghp_")
		return Sample{Secret: t, Context: "GH_HOST=ghe.example.com\nGH_ENTERPRISE_TOKEN=" + t + "\n", Parts: map[string]string{"host": "ghe.example.com"}}
	}, Identity: "login"},
	{Name: "slack", Provider: "slack", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.SlackBotToken()} }, Identity: "team"},
	{Name: "stripe", Provider: "stripe", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.StripeSecretKey()} }, Identity: "key_type"},
	{Name: "npm", Provider: "npm", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.NPMToken()} }, Identity: "username"},
	{Name: "openai", Provider: "openai", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.OpenAIKey()} }, Identity: "email"},
	{Name: "anthropic", Provider: "anthropic", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.AnthropicKey()} }, Identity: "models"},
	{Name: "sendgrid", Provider: "sendgrid", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.SendGridKey()} }, Identity: "scopes"},
	{Name: "huggingface", Provider: "huggingface", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.HuggingFaceToken()} }, Identity: "name"},
	{Name: "digitalocean", Provider: "digitalocean", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.DigitalOceanPAT()} }, Identity: "email"},
	{Name: "slack-webhook", Provider: "slack", Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "slack-webhook-url", Secret: g.SlackWebhook()} }, Identity: "webhook"},
	{Name: "discord-bot", Provider: "discord", Gen: func(g *fixtures.Gen) Sample {
		return Sample{Rule: "discord-bot-token", Secret: "M" + Alnum(g, 23) + "." + Alnum(g, 6) + "." + Alnum(g, 27)}
	}, Identity: "bot_id"},
	{Name: "telegram", Provider: "telegram", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.TelegramBotToken()} }, Identity: "username"},
	{Name: "discord", Provider: "discord", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.DiscordWebhook()} }, Identity: "webhook_id"},
	{Name: "aws", Provider: "aws", Gen: func(g *fixtures.Gen) Sample {
		id, sec := g.AWSKeyPair()
		return Sample{Rule: "aws-secret-access-key", Secret: sec, Context: "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\nregion = eu-west-1\n",
			Parts: map[string]string{"key_id": id}}
	}, Identity: "arn"},
	{Name: "aws-session", Provider: "aws", Gen: func(g *fixtures.Gen) Sample {
		id, sec := g.AWSKeyPair()
		id = "ASIA" + id[4:]
		tok := "IQoJb3JpZ2luX2Vj" + Alnum(g, 140)
		return Sample{Rule: "aws-secret-access-key", Secret: sec,
			Context: "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + sec + "\nAWS_SESSION_TOKEN=" + tok + "\n",
			Parts:   map[string]string{"key_id": id, "session_token": tok}, Hidden: []string{tok}}
	}, Identity: "arn"},
	{Name: "aws-from-key-id", Provider: "aws", Gen: func(g *fixtures.Gen) Sample {
		id, sec := g.AWSKeyPair()
		return Sample{Rule: "aws-access-token", Secret: id, Context: "export AWS_ACCESS_KEY_ID=" + id + "\nexport AWS_SECRET_ACCESS_KEY=" + sec + "\n",
			Parts: map[string]string{"key_id": id}, Hidden: []string{sec}}
	}, Identity: "arn"},
	{Name: "gcp", Provider: "gcp", Gen: func(g *fixtures.Gen) Sample {
		js := g.GCPServiceAccountJSON()
		var sa struct {
			PrivateKeyID string `json:"private_key_id"`
			PrivateKey   string `json:"private_key"`
			ClientEmail  string `json:"client_email"`
		}
		_ = json.Unmarshal([]byte(js), &sa)
		return Sample{Rule: "gcp-service-account-key", Secret: sa.PrivateKeyID, Context: js,
			Parts: map[string]string{"client_email": sa.ClientEmail, "private_key_id": sa.PrivateKeyID}, Hidden: []string{sa.PrivateKey, strings.Split(sa.PrivateKey, "\n")[1]}}
	}, Identity: "client_email"},
	{Name: "azure", Provider: "azure", Gen: func(g *fixtures.Gen) Sample {
		l := Letters(g, 34)
		sec := l[:3] + "8Q~" + l[3:34]
		tenant, client := GUID(g), GUID(g)
		return Sample{Rule: "azure-ad-client-secret", Secret: sec,
			Context: "AZURE_TENANT_ID=" + tenant + "\nAZURE_CLIENT_ID=" + client + "\nAZURE_CLIENT_SECRET=" + sec + "\n",
			Parts:   map[string]string{"tenant_id": tenant, "client_id": client}}
	}, Account: fakeapi.Account{Scopes: []string{"User.Read.All"}}, Identity: "app_name"},
	{Name: "gitlab", Provider: "gitlab", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.GitLabPAT()} },
		Account: fakeapi.Account{Scopes: []string{"api"}}, Identity: "token_name"},
	{Name: "gitlab-self-managed", Provider: "gitlab", Gen: func(g *fixtures.Gen) Sample {
		t := g.GitLabPAT()
		return Sample{Secret: t, Context: "variables:\n  CI_SERVER_URL: https://gitlab.example.com\n  TOKEN: " + t + "\n", Parts: map[string]string{"host": "gitlab.example.com"}}
	}, Identity: "host"},
	{Name: "cloudflare", Provider: "cloudflare", Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "cloudflare-api-key", Secret: g.CloudflareToken()} },
		Identity: "token_id", NeverDead: true},
	{Name: "cloudflare-user", Provider: "cloudflare", Gen: func(g *fixtures.Gen) Sample {
		return Sample{Rule: "cloudflare-api-token", Secret: g.CloudflareScannableToken()}
	}, Identity: "token_id"},
	{Name: "cloudflare-account", Provider: "cloudflare", Gen: func(g *fixtures.Gen) Sample {
		t, acct := "cfat_"+g.CloudflareScannableToken()[5:], Hex32(g)
		return Sample{Rule: "cloudflare-api-token", Secret: t, Context: "CLOUDFLARE_ACCOUNT_ID=" + acct + "\nCLOUDFLARE_API_TOKEN=" + t + "\n",
			Parts: map[string]string{"account_id": acct}}
	}, Identity: "account_id"},
	{Name: "twilio", Provider: "twilio", Gen: func(g *fixtures.Gen) Sample {
		sid, sec := g.TwilioKeySID(), Alnum(g, 32)
		return Sample{Rule: "twilio-api-key", Secret: sid, Context: "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + sec + "\n",
			Parts: map[string]string{"sid": sid}, Hidden: []string{sec}}
	}, Identity: "account_sid", NeverDead: true},
	{Name: "twilio-auth-token", Provider: "twilio", Gen: func(g *fixtures.Gen) Sample {
		ac, tok := g.TwilioAccountSID(), g.TwilioAuthToken()
		return Sample{Rule: "twilio-auth-token", Secret: tok, Context: "TWILIO_ACCOUNT_SID=" + ac + "\nTWILIO_AUTH_TOKEN=" + tok + "\n",
			Parts: map[string]string{"sid": ac}}
	}, Identity: "account_sid"},
	{Name: "dockerhub", Provider: "dockerhub", Gen: func(g *fixtures.Gen) Sample {
		t := g.DockerHubPAT()
		return Sample{Secret: t, Context: "DOCKERHUB_USERNAME: fakeuser\nDOCKERHUB_TOKEN: " + t + "\n", Parts: map[string]string{"username": "fakeuser"}}
	}, Account: fakeapi.Account{Scopes: []string{"repo:read", "repo:write"}}, Identity: "username"},
	{Name: "datadog", Provider: "datadog", Gen: func(g *fixtures.Gen) Sample {
		api, app := Hex32(g), Hex40(g)
		return Sample{Rule: "datadog-access-token", Secret: app, Context: "DD_SITE=datadoghq.eu\nDD_API_KEY=" + api + "\nDD_APP_KEY=" + app + "\n",
			Parts: map[string]string{"site": "api.datadoghq.eu", "app_key": app}, Hidden: []string{api}}
	}, Identity: "email"},
	{Name: "mailgun", Provider: "mailgun", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.MailgunKey()} }, Identity: "region"},
	{Name: "postman", Provider: "postman", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.PostmanKey()} }, Identity: "username"},
	{Name: "linear", Provider: "linear", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.LinearKey()} }, Identity: "id"},
	{Name: "heroku", Provider: "heroku", Gen: func(g *fixtures.Gen) Sample { return Sample{Secret: g.HerokuKey()} }, Identity: "email"},
	{Name: "vault", Provider: "vault", Gen: func(g *fixtures.Gen) Sample {
		t := g.VaultToken()
		return Sample{Secret: t, Context: "export VAULT_ADDR=https://vault.example.com:8200\nexport VAULT_TOKEN=" + t + "\n", Parts: map[string]string{"host": "vault.example.com:8200"}}
	}, Account: fakeapi.Account{Scopes: []string{"default", "deploy"}}, Identity: "policies"},
	{Name: "databricks", Provider: "databricks", Gen: func(g *fixtures.Gen) Sample {
		t := g.DatabricksToken()
		return Sample{Secret: t, Context: "host = https://dbc-fake.cloud.databricks.com\ntoken = " + t + "\n", Parts: map[string]string{"host": "dbc-fake.cloud.databricks.com"}}
	}, Identity: "user"},
	{Name: "grafana", Provider: "grafana", Gen: func(g *fixtures.Gen) Sample {
		t := "glsa_" + Alnum(g, 32) + "_" + Hex32(g)[:8]
		return Sample{Rule: "grafana-service-account-token", Secret: t, Context: "url: https://grafana.example.com\ntoken: " + t + "\n", Parts: map[string]string{"host": "grafana.example.com"}}
	}, Identity: "permissions"},
	{Name: "jira", Provider: "atlassian", Gen: func(g *fixtures.Gen) Sample {
		t := "ATATT3xFfGF0" + Alnum(g, 180) + "=" + Hex32(g)[:8]
		return Sample{Rule: "atlassian-api-token", Secret: t,
			Context: "JIRA_URL=https://example.atlassian.net\nJIRA_EMAIL=bot@example.com\nJIRA_API_TOKEN=" + t + "\n",
			Parts:   map[string]string{"host": "example.atlassian.net", "email": "bot@example.com"}}
	}, Identity: "account_id"},
	{Name: "privatekey", Provider: "privatekey", Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "private-key", Secret: g.OpenSSHPrivateKey()} },
		Identity: "fingerprint_sha256", Offline: true},
	{Name: "database", Provider: "database", Gen: func(g *fixtures.Gen) Sample {
		u := g.PostgresURL()
		pw := strings.TrimPrefix(strings.Split(u, "@")[0], "postgres://user:")
		return Sample{Rule: "database-url-password", Secret: pw, Context: "DATABASE_URL=" + u + "\n"}
	}, Identity: "host", Offline: true},
}

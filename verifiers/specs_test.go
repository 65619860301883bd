package verifiers_test

import (
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"strings"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// sample is one generated finding of a provider: what the scanner would
// report (Secret, Context) and the truth the fake needs (parts).
type sample struct {
	rule    string
	secret  string            // finding.Finding.Secret
	context string            // finding.Finding.Context
	parts   map[string]string // the real companions: the fake requires them
	hidden  []string          // other secret values that must never leak
}

// spec is what the conformance suite knows about one provider (or one
// variant of it: GitHub Enterprise, GitLab self-managed, installation
// tokens). Every registered provider must have at least one.
type spec struct {
	name, provider string
	gen            func(*fixtures.Gen) sample
	account        fakeapi.Account
	identity       string // an Identity key a live result must carry
	offline        bool   // analysed offline: never a request
}

// Test-only value helpers built on fixtures.Gen (format-valid fakes).
func hex32(g *fixtures.Gen) string { return g.DigitalOceanPAT()[7:39] }
func hex40(g *fixtures.Gen) string { return g.DigitalOceanPAT()[7:47] }
func letters(g *fixtures.Gen, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(g.HuggingFaceToken()[3:])
	}
	return b.String()[:n]
}
func alnum(g *fixtures.Gen, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(g.LinearKey()[8:])
	}
	return b.String()[:n]
}
func guid(g *fixtures.Gen) string {
	h := hex32(g)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// awsKeyIDFor returns an AKIA key id that encodes account (current format).
func awsKeyIDFor(g *fixtures.Gen, account uint64) string {
	var b [10]byte
	var w [8]byte
	binary.BigEndian.PutUint64(w[:], account<<7|0x2a)
	copy(b[:6], w[2:])
	copy(b[6:], hex32(g)[:4])
	return "AKIA" + base32.StdEncoding.EncodeToString(b[:])
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

var selfHostedConfig = func() verifiers.Config {
	c := verifiers.Config{Hosts: map[string][]string{}}
	for product, host := range fakeapi.SelfHosted {
		c.Hosts[product] = []string{host}
	}
	return c
}()

var specs = []spec{
	{name: "github", provider: "github", gen: func(g *fixtures.Gen) sample { return sample{secret: g.GitHubToken("ghp_")} },
		account: fakeapi.Account{Scopes: []string{"repo", "read:org"}}, identity: "login"},
	{name: "github-installation", provider: "github", gen: func(g *fixtures.Gen) sample { return sample{secret: g.GitHubToken("ghs_")} }, identity: "repositories"},
	{name: "github-enterprise", provider: "github", gen: func(g *fixtures.Gen) sample {
		t := g.GitHubToken("ghp_")
		return sample{secret: t, context: "GH_HOST=ghe.example.com\nGH_ENTERPRISE_TOKEN=" + t + "\n", parts: map[string]string{"host": "ghe.example.com"}}
	}, identity: "login"},
	{name: "slack", provider: "slack", gen: func(g *fixtures.Gen) sample { return sample{secret: g.SlackBotToken()} }, identity: "team"},
	{name: "stripe", provider: "stripe", gen: func(g *fixtures.Gen) sample { return sample{secret: g.StripeSecretKey()} }, identity: "key_type"},
	{name: "npm", provider: "npm", gen: func(g *fixtures.Gen) sample { return sample{secret: g.NPMToken()} }, identity: "username"},
	{name: "openai", provider: "openai", gen: func(g *fixtures.Gen) sample { return sample{secret: g.OpenAIKey()} }, identity: "email"},
	{name: "anthropic", provider: "anthropic", gen: func(g *fixtures.Gen) sample { return sample{secret: g.AnthropicKey()} }, identity: "models"},
	{name: "sendgrid", provider: "sendgrid", gen: func(g *fixtures.Gen) sample { return sample{secret: g.SendGridKey()} }, identity: "scopes"},
	{name: "huggingface", provider: "huggingface", gen: func(g *fixtures.Gen) sample { return sample{secret: g.HuggingFaceToken()} }, identity: "name"},
	{name: "digitalocean", provider: "digitalocean", gen: func(g *fixtures.Gen) sample { return sample{secret: g.DigitalOceanPAT()} }, identity: "email"},
	{name: "slack-webhook", provider: "slack", gen: func(g *fixtures.Gen) sample { return sample{rule: "slack-webhook-url", secret: g.SlackWebhook()} }, identity: "webhook"},
	{name: "discord-bot", provider: "discord", gen: func(g *fixtures.Gen) sample {
		return sample{rule: "discord-bot-token", secret: "M" + alnum(g, 23) + "." + alnum(g, 6) + "." + alnum(g, 27)}
	}, identity: "bot_id"},
	{name: "telegram", provider: "telegram", gen: func(g *fixtures.Gen) sample { return sample{secret: g.TelegramBotToken()} }, identity: "username"},
	{name: "discord", provider: "discord", gen: func(g *fixtures.Gen) sample { return sample{secret: g.DiscordWebhook()} }, identity: "webhook_id"},
	{name: "aws", provider: "aws", gen: func(g *fixtures.Gen) sample {
		id, sec := g.AWSKeyPair()
		return sample{rule: "aws-secret-access-key", secret: sec, context: "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\nregion = eu-west-1\n",
			parts: map[string]string{"key_id": id}}
	}, identity: "arn"},
	{name: "aws-session", provider: "aws", gen: func(g *fixtures.Gen) sample {
		id, sec := g.AWSKeyPair()
		id = "ASIA" + id[4:]
		tok := "IQoJb3JpZ2luX2Vj" + alnum(g, 140)
		return sample{rule: "aws-secret-access-key", secret: sec,
			context: "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + sec + "\nAWS_SESSION_TOKEN=" + tok + "\n",
			parts:   map[string]string{"key_id": id, "session_token": tok}, hidden: []string{tok}}
	}, identity: "arn"},
	{name: "aws-from-key-id", provider: "aws", gen: func(g *fixtures.Gen) sample {
		id, sec := g.AWSKeyPair()
		return sample{rule: "aws-access-token", secret: id, context: "export AWS_ACCESS_KEY_ID=" + id + "\nexport AWS_SECRET_ACCESS_KEY=" + sec + "\n",
			parts: map[string]string{"key_id": id}, hidden: []string{sec}}
	}, identity: "arn"},
	{name: "gcp", provider: "gcp", gen: func(g *fixtures.Gen) sample {
		js := g.GCPServiceAccountJSON()
		var sa struct {
			PrivateKeyID string `json:"private_key_id"`
			PrivateKey   string `json:"private_key"`
			ClientEmail  string `json:"client_email"`
		}
		_ = json.Unmarshal([]byte(js), &sa)
		return sample{rule: "gcp-service-account-key", secret: sa.PrivateKeyID, context: js,
			parts: map[string]string{"client_email": sa.ClientEmail, "private_key_id": sa.PrivateKeyID}, hidden: []string{sa.PrivateKey, strings.Split(sa.PrivateKey, "\n")[1]}}
	}, identity: "client_email"},
	{name: "azure", provider: "azure", gen: func(g *fixtures.Gen) sample {
		l := letters(g, 34)
		sec := l[:3] + "8Q~" + l[3:34]
		tenant, client := guid(g), guid(g)
		return sample{rule: "azure-ad-client-secret", secret: sec,
			context: "AZURE_TENANT_ID=" + tenant + "\nAZURE_CLIENT_ID=" + client + "\nAZURE_CLIENT_SECRET=" + sec + "\n",
			parts:   map[string]string{"tenant_id": tenant, "client_id": client}}
	}, account: fakeapi.Account{Scopes: []string{"User.Read.All"}}, identity: "app_name"},
	{name: "gitlab", provider: "gitlab", gen: func(g *fixtures.Gen) sample { return sample{secret: g.GitLabPAT()} },
		account: fakeapi.Account{Scopes: []string{"api"}}, identity: "token_name"},
	{name: "gitlab-self-managed", provider: "gitlab", gen: func(g *fixtures.Gen) sample {
		t := g.GitLabPAT()
		return sample{secret: t, context: "variables:\n  CI_SERVER_URL: https://gitlab.example.com\n  TOKEN: " + t + "\n", parts: map[string]string{"host": "gitlab.example.com"}}
	}, identity: "host"},
	{name: "cloudflare", provider: "cloudflare", gen: func(g *fixtures.Gen) sample { return sample{rule: "cloudflare-api-key", secret: g.CloudflareToken()} }, identity: "token_id"},
	{name: "twilio", provider: "twilio", gen: func(g *fixtures.Gen) sample {
		sid, sec := g.TwilioKeySID(), alnum(g, 32)
		return sample{rule: "twilio-api-key", secret: sid, context: "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + sec + "\n",
			parts: map[string]string{"sid": sid}, hidden: []string{sec}}
	}, identity: "account_sid"},
	{name: "dockerhub", provider: "dockerhub", gen: func(g *fixtures.Gen) sample {
		t := g.DockerHubPAT()
		return sample{secret: t, context: "DOCKERHUB_USERNAME: fakeuser\nDOCKERHUB_TOKEN: " + t + "\n", parts: map[string]string{"username": "fakeuser"}}
	}, account: fakeapi.Account{Scopes: []string{"repo:read", "repo:write"}}, identity: "username"},
	{name: "datadog", provider: "datadog", gen: func(g *fixtures.Gen) sample {
		api, app := hex32(g), hex40(g)
		return sample{rule: "datadog-access-token", secret: app, context: "DD_SITE=datadoghq.eu\nDD_API_KEY=" + api + "\nDD_APP_KEY=" + app + "\n",
			parts: map[string]string{"site": "api.datadoghq.eu", "app_key": app}, hidden: []string{api}}
	}, identity: "email"},
	{name: "mailgun", provider: "mailgun", gen: func(g *fixtures.Gen) sample { return sample{secret: g.MailgunKey()} }, identity: "region"},
	{name: "postman", provider: "postman", gen: func(g *fixtures.Gen) sample { return sample{secret: g.PostmanKey()} }, identity: "username"},
	{name: "linear", provider: "linear", gen: func(g *fixtures.Gen) sample { return sample{secret: g.LinearKey()} }, identity: "id"},
	{name: "heroku", provider: "heroku", gen: func(g *fixtures.Gen) sample { return sample{secret: g.HerokuKey()} }, identity: "email"},
	{name: "vault", provider: "vault", gen: func(g *fixtures.Gen) sample {
		t := g.VaultToken()
		return sample{secret: t, context: "export VAULT_ADDR=https://vault.example.com:8200\nexport VAULT_TOKEN=" + t + "\n", parts: map[string]string{"host": "vault.example.com:8200"}}
	}, account: fakeapi.Account{Scopes: []string{"default", "deploy"}}, identity: "policies"},
	{name: "databricks", provider: "databricks", gen: func(g *fixtures.Gen) sample {
		t := g.DatabricksToken()
		return sample{secret: t, context: "host = https://dbc-fake.cloud.databricks.com\ntoken = " + t + "\n", parts: map[string]string{"host": "dbc-fake.cloud.databricks.com"}}
	}, identity: "user"},
	{name: "grafana", provider: "grafana", gen: func(g *fixtures.Gen) sample {
		t := "glsa_" + alnum(g, 32) + "_" + hex32(g)[:8]
		return sample{rule: "grafana-service-account-token", secret: t, context: "url: https://grafana.example.com\ntoken: " + t + "\n", parts: map[string]string{"host": "grafana.example.com"}}
	}, identity: "permissions"},
	{name: "jira", provider: "atlassian", gen: func(g *fixtures.Gen) sample {
		t := "ATATT3xFfGF0" + alnum(g, 180) + "=" + hex32(g)[:8]
		return sample{rule: "atlassian-api-token", secret: t,
			context: "JIRA_URL=https://example.atlassian.net\nJIRA_EMAIL=bot@example.com\nJIRA_API_TOKEN=" + t + "\n",
			parts:   map[string]string{"host": "example.atlassian.net", "email": "bot@example.com"}}
	}, identity: "account_id"},
	{name: "privatekey", provider: "privatekey", gen: func(g *fixtures.Gen) sample { return sample{rule: "private-key", secret: g.OpenSSHPrivateKey()} },
		identity: "fingerprint_sha256", offline: true},
	{name: "database", provider: "database", gen: func(g *fixtures.Gen) sample {
		u := g.PostgresURL()
		pw := strings.TrimPrefix(strings.Split(u, "@")[0], "postgres://user:")
		return sample{rule: "database-url-password", secret: pw, context: "DATABASE_URL=" + u + "\n"}
	}, identity: "host", offline: true},
}

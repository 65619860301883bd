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
	// neverDead: the provider's answer for an invalid credential of this
	// kind is also its answer for a working one it refuses (a Twilio
	// Standard key on /Accounts, a legacy Cloudflare token that may be
	// account-owned): invalid and revoked are Unknown by design.
	neverDead bool
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
	{name: "cloudflare", provider: "cloudflare", gen: func(g *fixtures.Gen) sample { return sample{rule: "cloudflare-api-key", secret: g.CloudflareToken()} },
		identity: "token_id", neverDead: true},
	{name: "cloudflare-user", provider: "cloudflare", gen: func(g *fixtures.Gen) sample {
		return sample{rule: "cloudflare-api-token", secret: g.CloudflareScannableToken()}
	}, identity: "token_id"},
	{name: "cloudflare-account", provider: "cloudflare", gen: func(g *fixtures.Gen) sample {
		t, acct := "cfat_"+g.CloudflareScannableToken()[5:], hex32(g)
		return sample{rule: "cloudflare-api-token", secret: t, context: "CLOUDFLARE_ACCOUNT_ID=" + acct + "\nCLOUDFLARE_API_TOKEN=" + t + "\n",
			parts: map[string]string{"account_id": acct}}
	}, identity: "account_id"},
	{name: "twilio", provider: "twilio", gen: func(g *fixtures.Gen) sample {
		sid, sec := g.TwilioKeySID(), alnum(g, 32)
		return sample{rule: "twilio-api-key", secret: sid, context: "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + sec + "\n",
			parts: map[string]string{"sid": sid}, hidden: []string{sec}}
	}, identity: "account_sid", neverDead: true},
	{name: "twilio-auth-token", provider: "twilio", gen: func(g *fixtures.Gen) sample {
		ac, tok := g.TwilioAccountSID(), g.TwilioAuthToken()
		return sample{rule: "twilio-auth-token", secret: tok, context: "TWILIO_ACCOUNT_SID=" + ac + "\nTWILIO_AUTH_TOKEN=" + tok + "\n",
			parts: map[string]string{"sid": ac}}
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

// truthCase is one documented provider answer, served by the fake, and the
// status it must give. Each settles a row of the provider-truth review: a
// "dead" verdict needs the provider's documented answer for an invalid
// credential; any other refusal is Unknown, or Live (restricted).
type truthCase struct {
	name string
	spec string                     // the spec whose sample (or gen) is used
	gen  func(*fixtures.Gen) sample // replaces the spec's sample when set
	live bool                       // register the paired credential at the fake
	// parts are added to the live account's Parts (fake knobs documented
	// in each fixtures/fakeapi/provider_*.go).
	parts map[string]string
	fault *fakeapi.Fault
	want  verifiers.Status
	// reason is a substring of Reason; identity what Identity must hold;
	// flag a privilege flag; level the privilege level (Live only).
	reason   string
	identity map[string]string
	flag     string
	level    string
	noScopes bool // Privileges.Scopes must be empty
	requests int  // when set, the number of requests the provider must receive
}

var truthCases = []truthCase{
	// Cloudflare: account tokens verify at /accounts/{id}/tokens/verify.
	{name: "cloudflare/account-token-live", spec: "cloudflare-account", live: true, want: verifiers.Live,
		identity: map[string]string{"owner": "account"}},
	{name: "cloudflare/account-token-invalid", spec: "cloudflare-account", want: verifiers.Dead, reason: "error 1000"},
	{name: "cloudflare/account-token-without-account-id", spec: "cloudflare-account", live: true, want: verifiers.Unknown, reason: "without its account id",
		gen: func(g *fixtures.Gen) sample {
			return sample{rule: "cloudflare-api-token", secret: "cfat_" + g.CloudflareScannableToken()[5:]}
		}},
	{name: "cloudflare/legacy-account-owned-live", spec: "cloudflare", live: true, want: verifiers.Live, identity: map[string]string{"owner": "account"},
		gen: func(g *fixtures.Gen) sample {
			t, acct := g.CloudflareToken(), hex32(g)
			return sample{rule: "cloudflare-legacy-api-token", secret: t, context: "account_id = \"" + acct + "\"\ncloudflare_token = \"" + t + "\"\n",
				parts: map[string]string{"account_id": acct}}
		}},
	{name: "cloudflare/legacy-refused-no-account-id", spec: "cloudflare", want: verifiers.Unknown, reason: "account-owned"},
	{name: "cloudflare/user-token-invalid", spec: "cloudflare-user", want: verifiers.Dead, reason: "error 1000"},
	{name: "cloudflare/token-disabled", spec: "cloudflare-user", live: true, parts: map[string]string{"status": "disabled"}, want: verifiers.Dead, reason: "disabled"},

	// Jira: scoped tokens only work through api.atlassian.com/ex/jira/{cloudId}.
	{name: "jira/scoped-token-live-via-gateway", spec: "jira", live: true, parts: map[string]string{"token_kind": "scoped"}, want: verifiers.Live,
		identity: map[string]string{"token_kind": "scoped"}},
	{name: "jira/classic-token-live-on-site", spec: "jira", live: true, want: verifiers.Live, identity: map[string]string{"token_kind": "classic"}},
	{name: "jira/invalid-on-site-and-gateway", spec: "jira", want: verifiers.Dead, reason: "site and on the scoped-token gateway"},

	// Twilio: Standard and Restricted keys cannot read Accounts.json (20003).
	{name: "twilio/standard-key-live-via-balance", spec: "twilio", live: true, gen: twilioKeyWithAccount,
		parts: map[string]string{"key_type": "standard"}, want: verifiers.Live, level: "write", identity: map[string]string{"credential": "standard-key"}},
	{name: "twilio/restricted-key-unknown", spec: "twilio", live: true, gen: twilioKeyWithAccount,
		parts: map[string]string{"key_type": "restricted"}, want: verifiers.Unknown, reason: "invalid or restricted"},
	{name: "twilio/standard-key-without-account-sid-unknown", spec: "twilio", live: true,
		parts: map[string]string{"key_type": "standard"}, want: verifiers.Unknown, reason: "no account SID"},
	{name: "twilio/main-key-admin", spec: "twilio", live: true, want: verifiers.Live, level: "admin", identity: map[string]string{"credential": "main-key"}},
	{name: "twilio/invalid-key-unknown", spec: "twilio", gen: twilioKeyWithAccount, want: verifiers.Unknown, reason: "invalid or restricted"},
	{name: "twilio/auth-token-invalid-dead", spec: "twilio-auth-token", want: verifiers.Dead, reason: "20003"},

	// Datadog: every site, UK1 and US2-FED included.
	{name: "datadog/uk1", spec: "datadog", live: true, gen: datadogOn("uk1.datadoghq.com"), parts: map[string]string{"site": "api.uk1.datadoghq.com"},
		want: verifiers.Live, identity: map[string]string{"site": "uk1.datadoghq.com"}},
	{name: "datadog/us2-fed", spec: "datadog", live: true, gen: datadogOn("us2.ddog-gov.com"), parts: map[string]string{"site": "api.us2.ddog-gov.com"},
		want: verifiers.Live, identity: map[string]string{"site": "us2.ddog-gov.com"}},
	{name: "datadog/us2-fed-site-not-named", spec: "datadog", live: true, gen: datadogOn(""), parts: map[string]string{"site": "api.us2.ddog-gov.com"},
		want: verifiers.Live, identity: map[string]string{"site": "us2.ddog-gov.com"}},
	{name: "datadog/one-site-silent-is-unknown", spec: "datadog", fault: &fakeapi.Fault{Status: 503, Times: 1}, want: verifiers.Unknown},

	// SendGrid: EU regional subusers' keys live on api.eu.sendgrid.com only.
	{name: "sendgrid/eu-key-live", spec: "sendgrid", live: true, parts: map[string]string{"region": "eu"}, want: verifiers.Live,
		identity: map[string]string{"region": "eu"}},
	{name: "sendgrid/global-key-live", spec: "sendgrid", live: true, want: verifiers.Live, identity: map[string]string{"region": "global"}},
	{name: "sendgrid/invalid-on-both-hosts", spec: "sendgrid", want: verifiers.Dead, reason: "api.eu.sendgrid.com"},
	{name: "sendgrid/403-is-not-dead", spec: "sendgrid", live: true, fault: &fakeapi.Fault{Status: 403, Body: `{"errors":[{"message":"access forbidden"}]}`}, want: verifiers.Unknown},

	// Mailgun: /v4/domains; sending-only keys may not list domains.
	{name: "mailgun/sending-key-unknown", spec: "mailgun", live: true, gen: mailgunNewKey, parts: map[string]string{"kind": "sending"}, want: verifiers.Unknown,
		reason: "sending-only"},
	{name: "mailgun/new-format-invalid-unknown", spec: "mailgun", gen: mailgunNewKey, want: verifiers.Unknown, reason: "sending-only"},
	{name: "mailgun/legacy-account-key-invalid-dead", spec: "mailgun", want: verifiers.Dead, reason: "US and EU"},
	{name: "mailgun/eu-account-key-live", spec: "mailgun", live: true, gen: mailgunNewKey, parts: map[string]string{"region": "eu"}, want: verifiers.Live,
		identity: map[string]string{"region": "eu"}},

	// Slack webhooks: 403 action_prohibited, 404 channel_not_found and 410
	// channel_is_archived are not dead; no_service is.
	{name: "slack-webhook/action-prohibited-live-restricted", spec: "slack-webhook", live: true, parts: map[string]string{"webhook_error": "action_prohibited"},
		want: verifiers.Live, flag: "restricted"},
	{name: "slack-webhook/channel-not-found-unknown", spec: "slack-webhook", live: true, parts: map[string]string{"webhook_error": "channel_not_found"},
		want: verifiers.Unknown, reason: "channel_not_found"},
	{name: "slack-webhook/channel-archived-unknown", spec: "slack-webhook", live: true, parts: map[string]string{"webhook_error": "channel_is_archived"},
		want: verifiers.Unknown, reason: "channel_is_archived"},
	{name: "slack-webhook/no-service-dead", spec: "slack-webhook", want: verifiers.Dead, reason: "no_service"},
	{name: "slack-webhook/invalid-token-dead", spec: "slack-webhook", fault: &fakeapi.Fault{Status: 403, Body: "invalid_token"}, want: verifiers.Dead},

	// GitHub: X-Accepted-GitHub-Permissions is what the endpoint needs.
	{name: "github/ghs-permissions-header-is-not-the-tokens", spec: "github-installation", live: true, want: verifiers.Live, level: "unknown", noScopes: true},
	{name: "github/ghes-token-without-host-in-context", spec: "github-enterprise", live: true, want: verifiers.Live,
		identity: map[string]string{"host": "ghe.example.com"},
		gen: func(g *fixtures.Gen) sample {
			return sample{secret: g.GitHubToken("ghp_"), parts: map[string]string{"host": "ghe.example.com"}}
		}},

	// Azure: codes about the paired ids or the request are not dead.
	{name: "azure/700016-client-id-not-the-secrets-app", spec: "azure", live: true, parts: map[string]string{"client_id": "00000000-0000-0000-0000-000000000001"},
		want: verifiers.Unknown, reason: "AADSTS700016"},
	{name: "azure/90002-tenant-not-the-secrets", spec: "azure", live: true, parts: map[string]string{"tenant_id": "00000000-0000-0000-0000-000000000002"},
		want: verifiers.Unknown, reason: "AADSTS90002"},
	{name: "azure/700023", spec: "azure", fault: &fakeapi.Fault{Status: 400, Body: `{"error":"invalid_request","error_codes":[700023]}`},
		want: verifiers.Unknown, reason: "AADSTS700023"},
	{name: "azure/7000216", spec: "azure", fault: &fakeapi.Fault{Status: 400, Body: `{"error":"invalid_client","error_codes":[7000216]}`},
		want: verifiers.Unknown, reason: "AADSTS7000216"},
	{name: "azure/7000222-expired-dead", spec: "azure", fault: &fakeapi.Fault{Status: 401, Body: `{"error":"invalid_client","error_codes":[7000222]}`},
		want: verifiers.Dead, reason: "expired"},
	{name: "azure/7000215-invalid-secret-dead", spec: "azure", want: verifiers.Dead, reason: "AADSTS7000215"},

	// Docker Hub: login_2fa_token belongs to /v2/users/login.
	{name: "dockerhub/2fa-answer-is-undocumented", spec: "dockerhub", live: true,
		fault: &fakeapi.Fault{Status: 401, Body: `{"detail":"Two factor authentication required","login_2fa_token":"x"}`}, want: verifiers.Unknown, reason: "second factor"},

	// AWS: GovCloud and China keys are unknown to sts.amazonaws.com.
	{name: "aws/govcloud-key-live", spec: "aws", live: true, parts: map[string]string{"partition": "aws-us-gov"}, want: verifiers.Live,
		identity: map[string]string{"partition": "aws-us-gov"}},
	{name: "aws/china-key-live", spec: "aws", live: true, parts: map[string]string{"partition": "aws-cn"}, want: verifiers.Live,
		identity: map[string]string{"partition": "aws-cn"}},
	{name: "aws/govcloud-hint-first", spec: "aws", live: true, parts: map[string]string{"partition": "aws-us-gov"}, want: verifiers.Live, requests: 1,
		gen: func(g *fixtures.Gen) sample {
			id, sec := g.AWSKeyPair()
			return sample{rule: "aws-secret-access-key", secret: sec, context: "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\nregion = us-gov-west-1\n",
				parts: map[string]string{"key_id": id, "partition": "aws-us-gov"}}
		}},
	{name: "aws/invalid-in-every-partition-dead", spec: "aws", want: verifiers.Dead, reason: "every partition"},

	// Anthropic: admin keys are checked on the Admin API.
	{name: "anthropic/admin-key-live", spec: "anthropic", live: true, gen: anthropicAdmin, want: verifiers.Live, level: "admin",
		identity: map[string]string{"key_type": "admin"}},
	{name: "anthropic/admin-key-invalid", spec: "anthropic", gen: anthropicAdmin, want: verifiers.Dead},
}

func twilioKeyWithAccount(g *fixtures.Gen) sample {
	sid, sec, ac := g.TwilioKeySID(), alnum(g, 32), g.TwilioAccountSID()
	return sample{rule: "twilio-api-key", secret: sid, context: "TWILIO_ACCOUNT_SID=" + ac + "\nTWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + sec + "\n",
		parts: map[string]string{"sid": sid, "account_sid": ac}, hidden: []string{sec}}
}

func datadogOn(site string) func(*fixtures.Gen) sample {
	return func(g *fixtures.Gen) sample {
		api := hex32(g)
		ctx := "DD_API_KEY=" + api + "\n"
		if site != "" {
			ctx = "DD_SITE=" + site + "\n" + ctx
		}
		return sample{rule: "datadog-api-key", secret: api, context: ctx}
	}
}

func mailgunNewKey(g *fixtures.Gen) sample {
	return sample{rule: "mailgun-private-api-token", secret: hex32(g) + "-" + hex32(g)[:8] + "-" + hex32(g)[:8]}
}

func anthropicAdmin(g *fixtures.Gen) sample {
	return sample{secret: strings.Replace(g.AnthropicKey(), "sk-ant-api03-", "sk-ant-admin01-", 1)}
}

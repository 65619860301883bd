package verifiers_test

import (
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/providers/providertest"
	"nhiscan/verifiers"
	"strings"
)

// sample and spec are this package's view of providertest's tables (the
// spec table is shared with the parity test in providers/all).
type sample struct {
	rule, secret, context string
	parts                 map[string]string
	hidden                []string
}

type spec struct {
	name, provider string
	gen            func(*fixtures.Gen) sample
	account        fakeapi.Account
	identity       string
	offline        bool
	neverDead      bool
}

var specs = func() []spec {
	var out []spec
	for _, s := range providertest.Specs {
		out = append(out, spec{name: s.Name, provider: s.Provider, account: s.Account, identity: s.Identity, offline: s.Offline, neverDead: s.NeverDead,
			gen: func(g *fixtures.Gen) sample {
				x := s.Gen(g)
				return sample{rule: x.Rule, secret: x.Secret, context: x.Context, parts: x.Parts, hidden: x.Hidden}
			}})
	}
	return out
}()

var (
	selfHostedConfig = providertest.SelfHostedConfig
	hex32            = providertest.Hex32
	hex40            = providertest.Hex40
	letters          = providertest.Letters
	alnum            = providertest.Alnum
	guid             = providertest.GUID
	awsKeyIDFor      = providertest.AWSKeyIDFor
)

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

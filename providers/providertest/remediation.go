package providertest

import (
	"encoding/json"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/remediate"
)

// RemediationSpec is what the remediation conformance suite knows about
// one provider's revoke or rotate action: a credential made live at the
// fake, the operator configuration the action needs, and how the fake
// tells that the action took effect.
type RemediationSpec struct {
	Name, Provider string
	Kind           remediate.Kind // remediate.Revoke or remediate.Rotate
	Gen            func(*fixtures.Gen) Sample
	Account        fakeapi.Account
	// Policy is TOML added to the suite's policy: the [providers.NAME]
	// settings and, for a rotation, the [rotate] destination.
	Policy string
	// Vars are the operator's environment variables the action reads.
	Vars map[string]string
	// Setup makes the credential live at the fake (default AddLive of
	// Secret with Account and the sample's Parts).
	Setup func(s *fakeapi.Server, smp Sample)
	// Gone says the fake no longer accepts the credential (default
	// !IsLive(Secret)).
	Gone func(s *fakeapi.Server, smp Sample) bool
}

// RotateToVault is the [rotate] destination of rotation specs: the fake
// Vault's KV store.
const RotateToVault = `
[rotate]
kind = "vault-kv"
addr = "https://vault.example.com:8200"
path = "app/rotated"
`

const (
	twilioAccount = "AC00000000000000000000000000000001"
	twilioMain    = "main-auth-token-fake"
	gcpOperator   = "ya29.operator-fake"
)

// Remediations is the remediation spec table: every provider whose
// Registration declares Revoke or Rotate has a spec of that kind.
var Remediations = []RemediationSpec{
	{Name: "github", Provider: "github", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "github-pat", Secret: g.GitHubToken("ghp_")} }},
	{Name: "github-installation", Provider: "github", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "github-app-token", Secret: g.GitHubToken("ghs_")} }},
	{Name: "slack", Provider: "slack", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "slack-bot-token", Secret: g.SlackBotToken()} }},
	{Name: "discord", Provider: "discord", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "discord-webhook-url", Secret: g.DiscordWebhook()} }},
	{Name: "gitlab", Provider: "gitlab", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "gitlab-pat", Secret: g.GitLabPAT()} }},
	{Name: "gitlab-rotate", Provider: "gitlab", Kind: remediate.Rotate, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "gitlab-pat", Secret: g.GitLabPAT()} },
		Account: fakeapi.Account{Scopes: []string{"api"}}, Policy: RotateToVault},
	{Name: "vault", Provider: "vault", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "vault-service-token", Secret: g.VaultToken()} }},
	{Name: "sendgrid", Provider: "sendgrid", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "sendgrid-api-token", Secret: g.SendGridKey()} },
		Account: fakeapi.Account{Scopes: []string{"api_keys", "mail.send"}}},
	{Name: "cloudflare", Provider: "cloudflare", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample {
		return Sample{Rule: "cloudflare-api-token", Secret: g.CloudflareScannableToken()}
	}},
	{Name: "heroku", Provider: "heroku", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample { return Sample{Rule: "heroku-api-key-v2", Secret: g.HerokuKey()} }},
	{Name: "databricks", Provider: "databricks", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample {
		return Sample{Rule: "databricks-api-token", Secret: g.DatabricksToken(), Parts: map[string]string{"host": fakeapi.SelfHosted["databricks"]}}
	}, Policy: "[providers.databricks]\nhost = \"" + fakeapi.SelfHosted["databricks"] + "\"\n"},
	{Name: "twilio", Provider: "twilio", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample {
		// The key's SID with its secret beside it: the operator's account
		// deletes a key only when this run proved the pair live.
		sid, sec := g.TwilioKeySID(), g.TwilioKeySID()[2:]
		return Sample{Rule: "twilio-api-key", Secret: sid, Context: "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + sec + "\n",
			Parts: map[string]string{"sid": sid}, Hidden: []string{sec}}
	},
		Policy: "[providers.twilio]\naccount_sid = \"" + twilioAccount + "\"\nauth_token_env = \"TWILIO_MAIN\"\n", Vars: map[string]string{"TWILIO_MAIN": twilioMain},
		Setup: func(s *fakeapi.Server, smp Sample) {
			s.AddTwilioKey(twilioAccount, twilioMain, smp.Secret)
			s.AddLive("twilio", smp.Hidden[0], fakeapi.Account{Parts: map[string]string{"sid": smp.Secret}})
		},
		Gone: func(s *fakeapi.Server, smp Sample) bool { return !s.TwilioKeyExists(smp.Secret) }},
	{Name: "gcp", Provider: "gcp", Kind: remediate.Revoke, Gen: func(g *fixtures.Gen) Sample {
		// As the scanner reports a key file: the private key is the
		// secret, the file's client_email and private_key_id its parts.
		js := g.GCPServiceAccountJSON()
		var sa struct {
			PrivateKeyID string `json:"private_key_id"`
			PrivateKey   string `json:"private_key"`
			ClientEmail  string `json:"client_email"`
		}
		_ = json.Unmarshal([]byte(js), &sa)
		return Sample{Rule: "gcp-service-account-key", Secret: sa.PrivateKey, Context: js,
			Parts: map[string]string{"client_email": sa.ClientEmail, "private_key_id": sa.PrivateKeyID}}
	}, Policy: "[providers.gcp]\ntoken_env = \"GCP_OPERATOR\"\n", Vars: map[string]string{"GCP_OPERATOR": gcpOperator},
		Setup: func(s *fakeapi.Server, smp Sample) {
			s.AddGCPOperator(gcpOperator)
			s.AddLive("gcp", smp.Secret, fakeapi.Account{Parts: smp.Parts})
		}},
	{Name: "aws", Provider: "aws", Kind: remediate.Revoke, Gen: awsPair,
		Setup: func(s *fakeapi.Server, smp Sample) {
			s.AddAWSKey("deploy-bot", smp.Parts["key_id"], smp.Hidden[0], true)
		},
		Gone: func(s *fakeapi.Server, smp Sample) bool { return s.AWSKeyStatus(smp.Parts["key_id"]) == "Inactive" }},
	{Name: "aws-rotate", Provider: "aws", Kind: remediate.Rotate, Gen: awsPair, Policy: "[providers.aws]\nadmin_profile = \"security-admin\"\n" + RotateToVault,
		Setup: func(s *fakeapi.Server, smp Sample) {
			s.AddAWSKey("deploy-bot", smp.Parts["key_id"], smp.Hidden[0], false)
		},
		Gone: func(s *fakeapi.Server, smp Sample) bool { return s.AWSKeyStatus(smp.Parts["key_id"]) == "Inactive" }},
}

// awsPair is an AWS key id finding with its secret beside it.
func awsPair(g *fixtures.Gen) Sample {
	id, sec := g.AWSKeyPair()
	return Sample{Rule: "aws-access-token", Secret: id, Context: "aws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\n",
		Parts: map[string]string{"key_id": id}, Hidden: []string{sec}}
}

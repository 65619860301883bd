package rules

import (
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
)

// nhiTags maps every rule to the OWASP Non-Human Identities Top 10 risk it
// evidences; a leaked credential is NHI2 (Secret Leakage).
var nhiTags = []string{"OWASP-NHI2:secret-leakage"}

// longLivedTags is nhiTags plus NHI7 (Long-Lived Secrets) for credentials
// that stay valid until someone revokes them.
var longLivedTags = []string{"OWASP-NHI2:secret-leakage", "OWASP-NHI7:long-lived-secrets"}

// explicit holds metadata that cannot be derived from the rule id.
var explicit = map[string]Meta{
	"generic-api-key":         {Severity: "medium", Weak: true, Remediation: "Confirm what the value is; if it is a credential, revoke it at its issuer and move it to a secret manager."},
	"private-key":             {Provider: "privatekey", Severity: "critical", Remediation: "Replace the key pair, remove the public key wherever it is trusted, and revoke any certificate issued for it."},
	"pkcs12-file":             {Provider: "privatekey", Severity: "high", Remediation: "Replace the certificate and key stored in this PKCS#12 file and revoke the certificate."},
	"jwt":                     {Severity: "medium", Remediation: "Check the token's expiry and issuer; rotate the signing key if it is long-lived."},
	"jwt-base64":              {Severity: "medium", Remediation: "Check the token's expiry and issuer; rotate the signing key if it is long-lived."},
	"kubernetes-secret-yaml":  {Provider: "kubernetes", Severity: "high", Remediation: "Rotate the values in this Secret and keep manifests with secrets out of git (sealed-secrets, external-secrets)."},
	"curl-auth-header":        {Severity: "high", Remediation: "Revoke the credential passed to curl and read it from the environment instead."},
	"curl-auth-user":          {Severity: "high", Remediation: "Change the password passed to curl and read it from the environment instead."},
	"aws-access-token":        {Provider: "aws", Severity: "critical"},
	"aws-secret-access-key":   {Provider: "aws", Severity: "critical"},
	"gcp-api-key":             {Provider: "gcp", Severity: "high"},
	"gcp-service-account-key": {Provider: "gcp", Severity: "critical"},
	"azure-ad-client-secret":  {Provider: "azure", Severity: "critical"},
	"database-url-password":   {Provider: "database", Severity: "high", Remediation: "Change the database user's password and read the URL from the environment or a secret manager."},
	"dockerhub-pat":           {Provider: "dockerhub", Severity: "high"},
	"discord-webhook-url":     {Provider: "discord", Severity: "medium", Remediation: "Delete the webhook (DELETE on its URL) or regenerate it in the channel settings, then remove it from the code."},
	"vault-service-token":     {Provider: "vault", Severity: "critical"},
	"vault-batch-token":       {Provider: "vault", Severity: "high"},
	"hashicorp-tf-api-token":  {Provider: "terraform", Severity: "high"},
	"hashicorp-tf-password":   {Provider: "terraform", Severity: "high"},

	// NHI pack (nhi.toml).
	"aws-session-token":           {Provider: "aws", Severity: "high", Remediation: "Revoke the role's older sessions (an aws:TokenIssueTime deny) or wait for expiry; find and fix whatever wrote temporary credentials to the repository."},
	"azure-storage-account-key":   {Provider: "azure-storage", Severity: "critical", Remediation: "Regenerate the storage account key (ARM regenerateKey, needs Entra RBAC, not the key), update its users, and move connection strings to Key Vault or managed identity."},
	"azure-sas-token":             {Provider: "azure-storage", Severity: "high", Remediation: "A SAS dies only with its signing key or stored access policy: rotate the account key (or revoke user-delegation keys), then reissue short-lived SAS."},
	"cloudflare-api-token":        {Provider: "cloudflare", Severity: "critical", Remediation: "Roll or delete the token in the Cloudflare dashboard (Cloudflare may already have revoked it if it was public)."},
	"cloudflare-legacy-api-token": {Provider: "cloudflare", Severity: "critical", Weak: true},
	"datadog-api-key":             {Provider: "datadog", Severity: "high"},
	"datadog-app-key":             {Provider: "datadog", Severity: "high", Weak: true},
	"discord-bot-token":           {Provider: "discord", Severity: "high", Remediation: "Reset the bot token in the Discord Developer Portal, then remove it from the code."},
	"telegram-bot-token":          {Provider: "telegram", Severity: "high", Weak: true, Remediation: "Revoke the token with @BotFather (/revoke), then remove it from the code."},
	"mailgun-api-key":             {Provider: "mailgun", Severity: "high", Weak: true},
	"twilio-auth-token":           {Provider: "twilio", Severity: "critical", Remediation: "Rotate the auth token (promote the secondary token in the Twilio console or AuthTokens API), then remove it from the code."},
	"putty-private-key":           {Provider: "privatekey", Severity: "critical", Remediation: "Replace the key pair and remove the public key from every authorized_keys and service it is registered with."},
	"broker-url-password":         {Provider: "database", Severity: "high", Remediation: "Change the service user's password and read the URL from the environment or a secret manager."},
	"basic-auth-header":           {Severity: "high", Remediation: "Change the password of the user in the header (decode the base64 to see which), and send credentials from a secret store, not from code."},
	"url-password":                {Severity: "high", Weak: true, Remediation: "Change the password (or revoke the token) for that user at the URL's host, and use a credential helper instead of a URL with a password."},
	"netrc-password":              {Severity: "high", Weak: true, Remediation: "Change the password or revoke the token for that machine, and keep .netrc out of the repository (mode 0600 in the home folder)."},
	"pgpass-password":             {Provider: "database", Severity: "high", Remediation: "Change the database user's password and keep .pgpass out of the repository."},
	"docker-config-auth":          {Provider: "docker-registry", Severity: "high", Remediation: "Revoke the registry token or change the password, then use a credential helper (credsStore) instead of auths in config.json."},
	"npmrc-auth":                  {Provider: "npm", Severity: "high", Weak: true, Remediation: "Revoke the registry token (npm token revoke), and read it from ${NPM_TOKEN} in .npmrc instead."},
	"pypirc-password":             {Provider: "pypi", Severity: "high", Weak: true, Remediation: "Revoke the token in the package index's account settings and use trusted publishing or keyring instead of .pypirc."},
	"s3cfg-secret-key":            {Provider: "aws", Severity: "critical", Weak: true},
	"kubeconfig-token":            {Provider: "kubernetes", Severity: "critical", Weak: true, Remediation: "Delete the service-account token Secret (or rotate the user's credentials) and keep kubeconfig files out of git."},
	"kubeconfig-client-key":       {Provider: "kubernetes", Severity: "critical", Weak: true, Remediation: "Revoke the client certificate (rotate the cluster CA if it cannot be revoked) and issue a new key pair; keep kubeconfig files out of git."},
	"htpasswd-hash":               {Severity: "medium", Remediation: "Change these users' passwords: the hashes can be cracked offline. Keep .htpasswd out of the repository."},
	"rails-master-key":            {Provider: "rails", Severity: "critical", Remediation: "Rotate every secret in config/credentials.yml.enc, then generate a new master key; keep master.key out of git (RAILS_MASTER_KEY)."},
	"django-secret-key":           {Provider: "django", Severity: "high", Remediation: "Generate a new SECRET_KEY (sessions and signed data are invalidated) and read it from the environment."},
	"php-db-password":             {Provider: "database", Severity: "high", Remediation: "Change the database user's password and read it from the environment (getenv) instead of the PHP file."},
	"spring-datasource-password":  {Provider: "database", Severity: "high", Remediation: "Change the database user's password and use ${DB_PASSWORD} or Spring Cloud Config / Vault instead."},
	"jdbc-url-password":           {Provider: "database", Severity: "high", Weak: true, Remediation: "Change the database user's password and keep it out of the JDBC URL."},
	"terraform-state-secret":      {Provider: "terraform", Severity: "critical", Weak: true, Remediation: "Rotate the secrets in the state, move state to an encrypted remote backend, and remove .tfstate files from git."},
	"filezilla-password":          {Provider: "ftp", Severity: "high", Remediation: "Change the FTP/SFTP password for that site (FileZilla stores it only base64-encoded) and keep sitemanager.xml out of git."},
	"winscp-password":             {Provider: "ftp", Severity: "high", Remediation: "Change the password for that session (WinSCP's storage is obfuscation, not encryption) and keep WinSCP.ini out of git."},

	// Real-world shapes. A password found only by its key name in a
	// config file is medium: the tool is sure it is a password, not that
	// it is still in use.
	"config-password":            {Severity: "medium", Weak: true, Remediation: "Change this password at the service it belongs to and read it from the environment or a secret manager instead of the file."},
	"laravel-app-key":            {Provider: "laravel", Severity: "high", Remediation: "Generate a new key (php artisan key:generate; sessions and encrypted values are invalidated) and keep .env out of git."},
	"wordpress-salt":             {Provider: "wordpress", Severity: "high", Remediation: "Regenerate the keys and salts (api.wordpress.org/secret-key/1.1/salt/; every login is invalidated) and keep wp-config.php out of git."},
	"connection-string-password": {Provider: "database", Severity: "high", Remediation: "Change the password (or regenerate the cache's access key) and read the connection string from the environment, Key Vault or managed identity."},
	"jenkins-credential-secret":  {Provider: "jenkins", Severity: "high", Remediation: "Rotate the credential stored in Jenkins (with master.key and hudson.util.Secret the value decrypts), and keep JENKINS_HOME out of git."},
	"atlassian-legacy-api-token": {Provider: "atlassian", Severity: "high", Weak: true},
	"slack-config-token":         {Provider: "slack", Severity: "high", Weak: true},
	"openai-api-key-variant":     {Provider: "openai", Severity: "high", Weak: true},
	"twilio-auth-token-with-sid": {Provider: "twilio", Severity: "critical", Remediation: "Rotate the auth token (promote the secondary token in the Twilio console or AuthTokens API), then remove it from the code."},
	"django-secret-key-default":  {Provider: "django", Severity: "high", Remediation: "Generate a new SECRET_KEY (sessions and signed data are invalidated) and drop the default from the environment lookup."},
	"netrc-entry-password":       {Severity: "high", Weak: true, Remediation: "Change the password or revoke the token for that machine, and remove the .netrc entry from the text it was quoted in."},
}

// shortLived lists rules whose credentials expire on their own within hours.
var shortLived = map[string]bool{"aws-session-token": true, "github-app-token": true, "jwt": true, "jwt-base64": true}

// providerRemediation is the hint for a provider's rules that have none of
// their own (PROVIDERS.md, "Revoke / rotate").
var providerRemediation = map[string]string{
	"aws":          "Deactivate the access key (iam:UpdateAccessKey Status=Inactive, with admin credentials if AWS quarantined it), check CloudTrail for its use, then delete it and issue a new one.",
	"github":       "Revoke the token (POST /credentials/revoke accepts leaked tokens without auth), check the audit log for its use, and replace it with a short-lived or fine-grained token.",
	"gitlab":       "Revoke the token (DELETE /api/v4/personal_access_tokens/self) or rotate it (POST …/self/rotate), then check the instance's audit events.",
	"gcp":          "Disable the service-account key (keys/{id}:disable), check Cloud Audit Logs, then delete it; prefer workload identity to key files.",
	"azure":        "Remove the client secret (Graph removePassword on the application), check the sign-in logs, and issue a new one to a vault.",
	"slack":        "Revoke the token (auth.revoke) or regenerate the webhook, then reinstall the app with a new token.",
	"stripe":       "Roll the key in the Stripe Dashboard (there is no revoke API) and check the account's request logs.",
	"openai":       "Delete the key in the OpenAI dashboard (or with an admin key) and check usage for unexpected spend.",
	"anthropic":    "Deactivate the key in the Anthropic Console (or with an admin key) and check usage.",
	"sendgrid":     "Delete the API key (DELETE /v3/api_keys/{id}) and check the activity feed for sends you did not make.",
	"twilio":       "Delete the API key, or rotate the auth token (promote the secondary token), then check usage logs.",
	"npm":          "Revoke the token (npm token revoke) and check the packages it could publish for unexpected versions.",
	"pypi":         "Revoke the token in the PyPI account settings and check the projects it could upload to; prefer trusted publishing.",
	"dockerhub":    "Delete the access token in Docker Hub (or DELETE /v2/access-tokens/{uuid}) and check the images it could push.",
	"huggingface":  "Invalidate the token in the Hugging Face settings and check the repositories it could write to.",
	"digitalocean": "Delete the token in the DigitalOcean control panel and check the account's security history.",
	"shopify":      "Uninstall or rotate the app's credentials for that shop and review its access scopes.",
	"atlassian":    "Revoke the API token at id.atlassian.com (or by the org admin API) and check the site's audit log.",
	"databricks":   "Delete the token (POST /api/2.0/token/delete or the token-management API) and review the workspace audit logs.",
	"postman":      "Regenerate the API key in Postman and check the workspaces it could reach.",
	"linear":       "Revoke the key in Linear's API settings.",
	"grafana":      "Delete the service-account token or Cloud access-policy token and check what it could change.",
	"heroku":       "Revoke the authorization (DELETE /oauth/authorizations/{id}) or regenerate it, then check the account's activity.",
	"mailgun":      "Rotate the API key in Mailgun and check the sending logs.",
	"vault":        "Revoke the token (POST /v1/auth/token/revoke-self) and review the audit device for its use.",
	"datadog":      "Revoke the key in Datadog's organization settings and issue a new one.",
	"cloudflare":   "Roll or delete the token in the Cloudflare dashboard and check the account's audit log.",
	"telegram":     "Revoke the token with @BotFather (/revoke), then remove it from the code.",
	"discord":      "Reset the token in the Discord Developer Portal (or DELETE the webhook), then remove it from the code.",
}

// providerAlias maps the first word of a gitleaks rule id to a provider id
// where they differ.
var providerAlias = map[string]string{
	"huggingface": "huggingface",
	"new":         "newrelic",
	"1password":   "1password",
	"github":      "github",
	"gitlab":      "gitlab",
}

// notProvider lists first words of rule ids that name no provider.
var notProvider = map[string]bool{"generic": true, "jwt": true, "curl": true, "private": true, "pkcs12": true, "kubernetes": true,
	"url": true, "netrc": true, "htpasswd": true, "config": true, "connection": true}

func deriveMeta(ruleID string) Meta {
	m := explicit[ruleID]
	if m.Provider == "" {
		first, _, _ := strings.Cut(ruleID, "-")
		if !notProvider[first] {
			if a, ok := providerAlias[first]; ok {
				first = a
			}
			m.Provider = first
		}
	}
	if m.Severity == "" {
		m.Severity = "high"
	}
	if m.Remediation == "" {
		m.Remediation = providerRemediation[m.Provider]
	}
	if m.Remediation == "" {
		name := m.Provider
		if name == "" {
			name = "the issuer"
		}
		m.Remediation = "Revoke or rotate this credential at " + name + ", then remove it from the code and history; read it from a secret manager."
	}
	m.Tags = longLivedTags
	if shortLived[ruleID] {
		m.Tags = nhiTags
	}
	return m
}

func metaFor(c config.Config) map[string]Meta {
	out := make(map[string]Meta, len(c.Rules))
	for id := range c.Rules {
		out[id] = deriveMeta(id)
	}
	return out
}

// IsWeak reports whether a built-in rule is a weak fallback (Meta.Weak).
func IsWeak(ruleID string) bool { return explicit[ruleID].Weak }

package rules

import (
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
)

// nhiTags maps every rule to the OWASP Non-Human Identities Top 10 risk it
// evidences; a leaked credential is NHI2 (Secret Leakage).
var nhiTags = []string{"OWASP-NHI2:secret-leakage"}

// explicit holds metadata that cannot be derived from the rule id.
var explicit = map[string]Meta{
	"generic-api-key":         {Severity: "medium", Remediation: "Confirm what the value is; if it is a credential, revoke it at its issuer and move it to a secret manager."},
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
var notProvider = map[string]bool{"generic": true, "jwt": true, "curl": true, "private": true, "pkcs12": true, "kubernetes": true}

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
		name := m.Provider
		if name == "" {
			name = "the issuer"
		}
		m.Remediation = "Revoke or rotate this credential at " + name + ", then remove it from the code and history; read it from a secret manager."
	}
	m.Tags = nhiTags
	return m
}

func metaFor(c config.Config) map[string]Meta {
	out := make(map[string]Meta, len(c.Rules))
	for id := range c.Rules {
		out[id] = deriveMeta(id)
	}
	return out
}

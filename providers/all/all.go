// Package all is the one list of nhiscan's providers: adding a provider
// is one line in Verifiers. Nothing registers itself (no init side
// effects); the verification and remediation registries are built from
// this list by whoever needs them.
package all

import (
	"nhiscan/providers/anthropic"
	"nhiscan/providers/atlassian"
	"nhiscan/providers/aws"
	"nhiscan/providers/azure"
	"nhiscan/providers/cloudflare"
	"nhiscan/providers/database"
	"nhiscan/providers/databricks"
	"nhiscan/providers/datadog"
	"nhiscan/providers/digitalocean"
	"nhiscan/providers/discord"
	"nhiscan/providers/dockerhub"
	"nhiscan/providers/gcp"
	"nhiscan/providers/github"
	"nhiscan/providers/gitlab"
	"nhiscan/providers/grafana"
	"nhiscan/providers/heroku"
	"nhiscan/providers/huggingface"
	"nhiscan/providers/linear"
	"nhiscan/providers/mailgun"
	"nhiscan/providers/npm"
	"nhiscan/providers/openai"
	"nhiscan/providers/postman"
	"nhiscan/providers/privatekey"
	"nhiscan/providers/sendgrid"
	"nhiscan/providers/slack"
	"nhiscan/providers/stripe"
	"nhiscan/providers/telegram"
	"nhiscan/providers/twilio"
	"nhiscan/providers/vault"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// Verifiers returns every provider, configured by cfg (self-hosted hosts,
// extra canary accounts), after validating cfg. The list is in provider
// id order.
func Verifiers(cfg verifiers.Config) ([]verifiers.Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return []verifiers.Verifier{
		&anthropic.Provider{},
		&atlassian.Provider{Sites: cfg.HostsOf("jira")},
		&aws.Provider{Canaries: cfg.CanaryAWSAccounts},
		&azure.Provider{},
		&cloudflare.Provider{},
		&database.Provider{},
		&databricks.Provider{Workspaces: cfg.HostsOf("databricks")},
		&datadog.Provider{},
		&digitalocean.Provider{},
		&discord.Provider{},
		&dockerhub.Provider{},
		&gcp.Provider{},
		&github.Provider{Enterprise: cfg.HostsOf("github")},
		&gitlab.Provider{SelfManaged: cfg.HostsOf("gitlab")},
		&grafana.Provider{Instances: cfg.HostsOf("grafana")},
		&heroku.Provider{},
		&huggingface.Provider{},
		&linear.Provider{},
		&mailgun.Provider{},
		&npm.Provider{},
		&openai.Provider{},
		&postman.Provider{},
		&privatekey.Provider{},
		&sendgrid.Provider{},
		&slack.Provider{},
		&stripe.Provider{},
		&telegram.Provider{},
		&twilio.Provider{},
		&vault.Provider{Servers: cfg.HostsOf("vault")},
	}, nil
}

// Registry returns a verification registry holding every provider,
// configured by cfg (validated first).
func Registry(cfg verifiers.Config) (*verifiers.Registry, error) {
	vs, err := Verifiers(cfg)
	if err != nil {
		return nil, err
	}
	r := verifiers.NewRegistry()
	for _, v := range vs {
		if err := r.Register(v); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Default returns a verification registry holding every provider with no
// operator configuration: self-hosted products (Vault, Databricks,
// Grafana, Jira) are then Unknown "no configured host", and GitHub and
// GitLab only reach github.com and gitlab.com.
func Default() *verifiers.Registry {
	r, err := Registry(verifiers.Config{})
	if err != nil {
		panic(err) // the empty config is valid and the list has no duplicate: a bug
	}
	return r
}

// Remediations returns the remediation registration of every provider
// that declares one (remediate.Remediator): revoke, rotate, re-check and
// manual steps.
func Remediations() []*remediate.Registration {
	vs, _ := Verifiers(verifiers.Config{}) // remediation reads its own config from the Env
	var out []*remediate.Registration
	for _, v := range vs {
		if r, ok := v.(remediate.Remediator); ok {
			out = append(out, r.Remediation())
		}
	}
	return out
}

// RemediationRegistry returns the remediation registry of every provider,
// for remediate.Env.Registry.
func RemediationRegistry() *remediate.Registry {
	r, err := remediate.NewRegistry(Remediations()...)
	if err != nil {
		panic(err) // a provider listed twice: a bug the tests catch
	}
	return r
}

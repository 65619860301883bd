package remediate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-github/v60/github"
	"golang.org/x/crypto/nacl/box"
)

// Destination receives a rotated credential before the old one is
// disabled. New destinations implement this interface.
type Destination interface {
	// Describe names the destination for plans and audit records.
	Describe() string
	// Calls are the API calls Put makes (for plans).
	Calls() []Call
	// Put stores values (e.g. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
	// Contract: nil means durably stored; an error means not stored, and the
	// caller rolls the new credential back. Evidence and errors never hold
	// a value.
	Put(ctx context.Context, values map[string]string) ([]string, error)
	// Targets names what Put(values with these names) overwrites, one id
	// per independently written place: the whole secret (Secrets Manager,
	// a Vault KV path, whose versions replace all keys) or one Actions
	// secret per name. Two credentials whose rotations share a target
	// would overwrite each other, and the plan refuses them.
	Targets(names []string) []string
}

// valueNamer is a rotation that says which value names it stores
// (AWS_ACCESS_KEY_ID…). A rotation without it is taken to overwrite the
// whole destination.
type valueNamer interface{ ValueNames() []string }

// DestinationConfig is the [rotate] section of a policy.
type DestinationConfig struct {
	Kind string `toml:"kind"` // secretsmanager, github-actions, vault-kv
	// secretsmanager
	SecretID string `toml:"secret_id"`
	Region   string `toml:"region"`
	// github-actions: repository secrets named by the value keys
	// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
	Repo   string `toml:"repo"`
	APIURL string `toml:"api_url"`
	// vault-kv (KV version 2): addr, mount ("secret"), path
	Addr  string `toml:"addr"`
	Mount string `toml:"mount"`
	Path  string `toml:"path"`
	// TokenEnv names the env var with the operator token (GitHub, Vault).
	TokenEnv string `toml:"token_env"`
}

// NewDestination builds the destination cfg describes; nil when none.
func NewDestination(env *Env, cfg DestinationConfig) (Destination, error) {
	switch cfg.Kind {
	case "":
		return nil, nil
	case "secretsmanager":
		if cfg.SecretID == "" {
			return nil, fmt.Errorf("rotate.secret_id is required")
		}
		return &SecretsManagerDest{env: env, secretID: cfg.SecretID, region: orDefault(cfg.Region, "us-east-1")}, nil
	case "github-actions":
		owner, repo, ok := strings.Cut(cfg.Repo, "/")
		if !ok {
			return nil, fmt.Errorf("rotate.repo %q: want owner/name", cfg.Repo)
		}
		api := orDefault(cfg.APIURL, "https://api.github.com/")
		if !strings.HasSuffix(api, "/") {
			api += "/"
		}
		u, err := url.Parse(api)
		if err != nil || u.Scheme != "https" {
			return nil, fmt.Errorf("rotate.api_url %q: want an https URL", api)
		}
		tok, err := env.operatorToken("GitHub Actions destination", orDefault(cfg.TokenEnv, "GITHUB_TOKEN"))
		if err != nil {
			return nil, err
		}
		gh := github.NewClient(env.Client.HTTP("github-actions", []string{strings.ToLower(u.Host)})).WithAuthToken(tok)
		gh.BaseURL = u
		return &GitHubActionsDest{gh: gh, owner: owner, repo: repo, api: strings.TrimSuffix(api, "/")}, nil
	case "vault-kv":
		u, err := url.Parse(cfg.Addr)
		if err != nil || u.Scheme != "https" || u.Host == "" || cfg.Path == "" {
			return nil, fmt.Errorf("rotate: vault-kv needs an https addr and a path")
		}
		tok, err := env.operatorToken("Vault KV destination", orDefault(cfg.TokenEnv, "VAULT_TOKEN"))
		if err != nil {
			return nil, err
		}
		return &VaultKVDest{env: env, addr: strings.TrimSuffix(cfg.Addr, "/"), host: strings.ToLower(u.Host), mount: orDefault(cfg.Mount, "secret"), path: strings.Trim(cfg.Path, "/"), token: tok}, nil
	}
	return nil, fmt.Errorf("rotate.kind %q: want secretsmanager, github-actions or vault-kv", cfg.Kind)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// SecretsManagerDest writes the values as a JSON SecretString.
type SecretsManagerDest struct {
	env      *Env
	secretID string
	region   string
}

func (d *SecretsManagerDest) host() string { return "secretsmanager." + d.region + ".amazonaws.com" }

// Describe implements Destination.
func (d *SecretsManagerDest) Describe() string {
	return "AWS Secrets Manager secret " + d.secretID + " (" + d.region + ")"
}

// Calls implements Destination.
func (d *SecretsManagerDest) Calls() []Call {
	return []Call{{Method: "POST", URL: "https://" + d.host() + "/ (PutSecretValue " + d.secretID + ")", Auth: "operator admin profile", Why: "store the new key before the old one is disabled"}}
}

// Targets implements Destination: PutSecretValue replaces the whole secret.
func (d *SecretsManagerDest) Targets([]string) []string {
	return []string{"secretsmanager:" + d.region + ":" + d.secretID}
}

// Put implements Destination.
func (d *SecretsManagerDest) Put(ctx context.Context, values map[string]string) ([]string, error) {
	cfg, err := d.env.awsClients().admin(ctx, d.env)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(values)
	c := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.Region = d.region
		o.BaseEndpoint = aws.String("https://" + d.host())
		o.HTTPClient = d.env.Client.HTTP("aws", []string{d.host()})
	})
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(d.secretID), SecretString: aws.String(string(b))})
	if err != nil {
		return nil, awsErr("PutSecretValue", err)
	}
	return []string{"POST https://" + d.host() + "/ PutSecretValue " + d.secretID + " -> 200"}, nil
}

// GitHubActionsDest writes each value as a repository Actions secret,
// sealed with the repository's public key (libsodium sealed box).
type GitHubActionsDest struct {
	gh          *github.Client
	owner, repo string
	api         string
}

// Describe implements Destination.
func (d *GitHubActionsDest) Describe() string {
	return "GitHub Actions secrets of " + d.owner + "/" + d.repo
}

// Calls implements Destination.
func (d *GitHubActionsDest) Calls() []Call {
	base := fmt.Sprintf("%s/repos/%s/%s/actions/secrets", d.api, d.owner, d.repo)
	return []Call{
		{Method: "GET", URL: base + "/public-key", Auth: "operator token", Why: "the key to seal the new value with"},
		{Method: "PUT", URL: base + "/{name}", Auth: "operator token", Why: "store each value, sealed"},
	}
}

// Targets implements Destination: one repository secret per name.
func (d *GitHubActionsDest) Targets(names []string) []string {
	base := "github-actions:" + strings.ToLower(d.api+"/"+d.owner+"/"+d.repo) + ":"
	if len(names) == 0 {
		return []string{base + "*"}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = base + n
	}
	return out
}

// Put implements Destination.
func (d *GitHubActionsDest) Put(ctx context.Context, values map[string]string) ([]string, error) {
	pk, resp, err := d.gh.Actions.GetRepoPublicKey(ctx, d.owner, d.repo)
	if err != nil {
		return nil, ghErr("get Actions public key", err)
	}
	base := fmt.Sprintf("%s/repos/%s/%s/actions/secrets", d.api, d.owner, d.repo)
	ev := []string{fmt.Sprintf("GET %s/public-key -> %d", base, resp.StatusCode)}
	raw, err := base64.StdEncoding.DecodeString(pk.GetKey())
	if err != nil || len(raw) != 32 {
		return ev, fmt.Errorf("GitHub Actions public key: not a 32-byte base64 key")
	}
	var key [32]byte
	copy(key[:], raw)
	for _, name := range sortedKeys(values) {
		sealed, err := box.SealAnonymous(nil, []byte(values[name]), &key, rand.Reader)
		if err != nil {
			return ev, fmt.Errorf("seal %s: %w", name, err)
		}
		resp, err := d.gh.Actions.CreateOrUpdateRepoSecret(ctx, d.owner, d.repo, &github.EncryptedSecret{
			Name: name, KeyID: pk.GetKeyID(), EncryptedValue: base64.StdEncoding.EncodeToString(sealed)})
		if err != nil {
			return ev, ghErr("put Actions secret "+name, err)
		}
		ev = append(ev, fmt.Sprintf("PUT %s/%s -> %d", base, name, resp.StatusCode))
	}
	return ev, nil
}

// VaultKVDest writes the values to a KV version 2 path.
type VaultKVDest struct {
	env                     *Env
	addr, host, mount, path string
	token                   string
}

// Describe implements Destination.
func (d *VaultKVDest) Describe() string {
	return "Vault KV " + d.mount + "/" + d.path + " at " + d.addr
}

func (d *VaultKVDest) url() string { return d.addr + "/v1/" + d.mount + "/data/" + d.path }

// Calls implements Destination.
func (d *VaultKVDest) Calls() []Call {
	return []Call{{Method: "POST", URL: d.url(), Auth: "operator VAULT token", Why: "store a new version of the secret"}}
}

// Targets implements Destination: a KV v2 write replaces every key of the path.
func (d *VaultKVDest) Targets([]string) []string {
	return []string{"vault-kv:" + strings.ToLower(d.addr) + "/" + d.mount + "/" + d.path}
}

// Put implements Destination.
func (d *VaultKVDest) Put(ctx context.Context, values map[string]string) ([]string, error) {
	b, _ := json.Marshal(map[string]any{"data": values})
	req := Request{Provider: "vault", Hosts: []string{d.host}, Method: "POST", URL: d.url(), Body: b,
		Header: http.Header{"X-Vault-Token": {d.token}}}
	resp, err := d.env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.evidence(req)}
	switch {
	case resp.StatusCode == 403:
		return ev, fmt.Errorf("%s: HTTP 403: %w", req.Endpoint(), ErrDenied)
	case resp.StatusCode >= 300:
		return ev, errf(req.Endpoint(), resp.StatusCode, "write refused")
	}
	return ev, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

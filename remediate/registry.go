package remediate

import (
	"context"
	"fmt"
	"log/slog"
	"nhiscan/finding"
	"os"
	"sort"
	"sync"
	"time"
)

// Action is one remediation a provider supports (revoke or rotate).
type Action interface {
	// Plan returns the API calls Apply would make for f, in order, with no
	// side effect and no network call. A *BlockedError says the action
	// cannot be applied to this credential (and why, for the reader).
	Plan(env *Env, f *finding.Finding) ([]Call, error)
	// Apply makes the calls and returns evidence lines ("METHOD URL ->
	// status"), never a secret.
	//
	// Contract:
	//   - Idempotent: applying to an already revoked credential changes
	//     nothing and returns ErrAlreadyDone (wrapped) when the provider
	//     says so.
	//   - ErrDenied (wrapped): the credential used may not do this.
	//   - *RateLimitError: nothing was done; retry later.
	//   - Any other error: failed; its text names endpoints, never secrets.
	Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error)
	// OperatorCredential names the operator credential the action signs
	// with or writes with ("AWS admin profile", "Twilio Main auth token",
	// a rotation destination's token), or "" when it acts only with the
	// leaked credential itself (or with none, as GitHub's public
	// revocation API). An operator credential can act on any key of its
	// account, so the Applier runs such an action only for a credential
	// this run verified live with its own secret — the whole credential,
	// not an id a report names. Declaring it is not optional: every
	// action says, and the engine enforces it in one place.
	OperatorCredential() string
}

// BatchAction is an Action that can act on many credentials in one call
// (GitHub's credential revocation API takes up to 1,000 tokens).
type BatchAction interface {
	Action
	// ApplyBatch applies the action to fs and returns one result per
	// finding, in order, with the same meaning as Apply's.
	ApplyBatch(ctx context.Context, env *Env, fs []*finding.Finding) []BatchResult
}

// BatchResult is one finding's share of a batched call.
type BatchResult struct {
	Evidence []string
	Err      error
}

// Checker re-verifies a credential of a provider that package verifiers
// does not know (AWS, GitLab, Vault): a free, read-only identity call.
type Checker interface {
	Check(ctx context.Context, env *Env, f *finding.Finding) *finding.Verification
}

// Registration is everything remediate knows about one provider, kept in
// that provider's file.
type Registration struct {
	Provider string
	Revoke   Action  // nil: no revocation API
	Rotate   Action  // nil: no rotation API
	Check    Checker // nil: re-verification goes through package verifiers
	// Manual says how a person revokes or rotates the credential, for
	// tickets and for plans of providers without an API.
	Manual string
}

var (
	regMu    sync.RWMutex
	registry = map[string]*Registration{}
)

// Register adds a provider's registration; registering twice panics (it
// is called from init functions).
func Register(r *Registration) {
	regMu.Lock()
	defer regMu.Unlock()
	if r.Provider == "" {
		panic("remediate: registration without provider")
	}
	if _, dup := registry[r.Provider]; dup {
		panic("remediate: provider registered twice: " + r.Provider)
	}
	registry[r.Provider] = r
}

// Lookup returns the registration of provider.
func Lookup(provider string) (*Registration, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := registry[provider]
	return r, ok
}

// Providers lists registered providers with what each supports, sorted.
func Providers() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for p, r := range registry {
		s := p + ":"
		if r.Revoke != nil {
			s += " revoke"
		}
		if r.Rotate != nil {
			s += " rotate"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Env is what provider actions may use. Build one with NewEnv.
type Env struct {
	Client *Client
	Config *Config
	// Getenv reads operator credentials named in the config (tokens,
	// profiles). Default os.Getenv.
	Getenv func(string) string
	Now    func() time.Time
	Log    *slog.Logger
	// Budget limits calls to rate-limited endpoints across runs (the audit
	// trail implements it). Nil: no limit.
	Budget Budget
	// Progress, when set, records a step's intermediate state durably
	// before the next call (a rotation records its new key id before
	// storing it anywhere), so a crash half-way leaves a record. Set by
	// the Applier for the step in progress.
	Progress func(ctx context.Context, note string)
	// Destination receives rotated credentials; nil: rotation is blocked
	// (with DestinationErr as the reason when it could not be built).
	Destination    Destination
	DestinationErr error
	// AWS builds AWS clients (tests replace endpoints). Nil: defaults.
	AWS *AWSClients
	// SettleWait replaces a Settler's delay before re-verifying a
	// revocation the provider only accepted (tests). 0: the provider's.
	SettleWait time.Duration
}

// Budget is a persistent rate budget.
type Budget interface {
	// Take reserves one call to key if fewer than limit were made in the
	// last per; otherwise it returns false and when the next call is allowed.
	Take(key string, limit int, per time.Duration) (ok bool, retryAt time.Time)
}

// NewEnv returns an Env with defaults filled in.
func NewEnv(c *Client, cfg *Config) *Env {
	if cfg == nil {
		cfg = &Config{}
	}
	return &Env{Client: c, Config: cfg, Getenv: os.Getenv, Now: time.Now, Log: slog.New(slog.DiscardHandler)}
}

func (e *Env) getenv(name string) string {
	if name == "" {
		return ""
	}
	if e.Getenv == nil {
		return os.Getenv(name)
	}
	return e.Getenv(name)
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// operatorToken returns the value of the env var name, or a blocked error
// naming the variable (never its value).
func (e *Env) operatorToken(what, name string) (string, error) {
	if name == "" {
		return "", blocked("%s: no operator credential configured", what)
	}
	v := e.getenv(name)
	if v == "" {
		return "", blocked("%s: environment variable %s is empty", what, name)
	}
	return v, nil
}

func errf(ep string, status int, what string) error {
	return fmt.Errorf("%s: HTTP %d: %s", ep, status, what)
}

// noDestination is the blocked error of a rotation without destination.
func (e *Env) noDestination(provider string) error {
	if e.DestinationErr != nil {
		return blocked("%s: rotation destination: %v", provider, e.DestinationErr)
	}
	return blocked("%s: rotation needs a destination for the new credential ([rotate] kind = secretsmanager, github-actions or vault-kv)", provider)
}

// progress records note through Progress, if set.
func (e *Env) progress(ctx context.Context, note string) {
	if e.Progress != nil {
		e.Progress(ctx, note)
	}
}

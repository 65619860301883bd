// Package verifiers answers one question about a leaked credential: is it
// live, dead, or unknown? Each provider is one Verifier (one file) that calls
// a single free, read-only identity endpoint of its provider through the one
// guarded Client, which allows only HTTPS to that provider's fixed official
// hosts. A Checker runs verifiers for findings, checks each unique secret once
// per run and never lets a secret reach an error, a log line or a Result.
package verifiers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Status is the three-valued outcome of a verification.
type Status int

const (
	// Unknown: the provider gave no authoritative answer (network error,
	// timeout, 429, 5xx, WAF page, unexpected answer, no verifier).
	Unknown Status = iota
	// Live: the provider accepted the credential.
	Live
	// Dead: the provider explicitly rejected the credential.
	Dead
)

func (s Status) String() string {
	switch s {
	case Live:
		return "live"
	case Dead:
		return "dead"
	}
	return "unknown"
}

// Privileges is what a live credential may do, as far as the identity
// endpoint tells.
type Privileges struct {
	Level  string   // admin, write, read, unknown
	Scopes []string // provider scopes, as reported
	Flags  []string // e.g. org-admin, root-account, can-manage-keys, quota-exhausted, restricted
}

// Result is the outcome of one verification. No field ever holds the secret.
type Result struct {
	Status     Status
	Reason     string            // why, in a few words (always set for Unknown)
	Identity   map[string]string // login, id, account, email, team… (Live only)
	Privileges Privileges
	Endpoint   string // "METHOD https://host/path", never with a secret
	CheckedAt  time.Time
}

// Verifier checks credentials of one provider.
type Verifier interface {
	// Provider is the provider id (see rules/meta.go), e.g. "github".
	Provider() string
	// Hosts are the fixed official host names this verifier may call. The
	// Client refuses any other host; nothing read from scanned content may
	// add one.
	Hosts() []string
	// Verify checks secret with one free, read-only identity call made
	// through c (never a call that sends, charges, creates or revokes).
	//
	// Contract:
	//   - Live and Dead are returned only on the provider's documented
	//     answers; anything else is Unknown.
	//   - A non-nil error means Unknown; the Result is then ignored.
	//   - Neither the error text nor any Result field contains the secret.
	//   - Verify is idempotent and has no side effect at the provider.
	Verify(ctx context.Context, c *Client, secret string) (Result, error)
}

// Registry maps provider ids to verifiers. It is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Verifier
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]Verifier{}} }

// Register adds v; registering a provider twice is an error.
func (r *Registry) Register(v Verifier) error {
	p := v.Provider()
	if p == "" || len(v.Hosts()) == 0 {
		return fmt.Errorf("verifiers: %q: provider id and hosts are required", p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[p]; dup {
		return fmt.Errorf("verifiers: %s: already registered", p)
	}
	r.m[p] = v
	return nil
}

// Lookup returns the verifier of provider.
func (r *Registry) Lookup(provider string) (Verifier, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[provider]
	return v, ok
}

// Providers returns the registered provider ids, sorted.
func (r *Registry) Providers() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for p := range r.m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Default returns a new registry holding every built-in verifier.
func Default() *Registry {
	r := NewRegistry()
	for _, v := range []Verifier{
		&GitHub{}, &Slack{}, &Stripe{}, &NPM{}, &OpenAI{}, &Anthropic{},
		&SendGrid{}, &HuggingFace{}, &DigitalOcean{}, &Telegram{}, &Discord{},
	} {
		if err := r.Register(v); err != nil {
			panic(err)
		}
	}
	return r
}

// Checker verifies findings for one run: each unique (provider, secret) is
// checked at most once (results are cached by SHA-256 of provider and
// secret), and concurrent checks of the same pair share one request.
type Checker struct {
	reg    *Registry
	client *Client
	log    *slog.Logger

	mu    sync.Mutex
	cache map[string]Result
	group singleflight.Group
}

// NewChecker returns a Checker using reg and c. Logging goes to c's logger.
func NewChecker(reg *Registry, c *Client) *Checker {
	return &Checker{reg: reg, client: c, log: c.log, cache: map[string]Result{}}
}

// Key is the cache key of (provider, secret): hex SHA-256 of provider NUL secret.
func Key(provider, secret string) string {
	h := sha256.New()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks secret with provider's verifier. It never fails: any error
// becomes Status Unknown with the error text (secret-free) as Reason.
// Results obtained while ctx was cancelled are not cached.
func (k *Checker) Verify(ctx context.Context, provider, secret string) Result {
	key := Key(provider, secret)
	k.mu.Lock()
	if r, ok := k.cache[key]; ok {
		k.mu.Unlock()
		return r
	}
	k.mu.Unlock()
	v, _, _ := k.group.Do(key, func() (any, error) {
		// A flight for key may have finished between the lookup above and
		// this one starting: look again so each secret is sent only once.
		k.mu.Lock()
		if r, ok := k.cache[key]; ok {
			k.mu.Unlock()
			return r, nil
		}
		k.mu.Unlock()
		r := k.verify(ctx, provider, secret)
		if ctx.Err() == nil {
			k.mu.Lock()
			k.cache[key] = r
			k.mu.Unlock()
		}
		return r, nil
	})
	return v.(Result)
}

func (k *Checker) verify(ctx context.Context, provider, secret string) Result {
	now := time.Now().UTC()
	v, ok := k.reg.Lookup(provider)
	if !ok {
		return Result{Status: Unknown, Reason: "no verifier for provider " + quote(provider), CheckedAt: now}
	}
	if secret == "" {
		return Result{Status: Unknown, Reason: "empty secret", CheckedAt: now}
	}
	r, err := v.Verify(ctx, k.client, secret)
	if err != nil {
		r = Result{Status: Unknown, Reason: err.Error(), Endpoint: r.Endpoint}
	}
	if r.Status == Unknown && r.Reason == "" {
		r.Reason = "no conclusive answer"
	}
	r = scrub(r, secret)
	r.CheckedAt = now
	k.log.Debug("verified", "provider", provider, "key", key8(provider, secret), "status", r.Status.String(), "reason", r.Reason, "endpoint", r.Endpoint)
	return r
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func key8(provider, secret string) string { return Key(provider, secret)[:8] }

// scrub is defence in depth: it removes secret from every string of r.
func scrub(r Result, secret string) Result {
	clean := func(s string) string {
		if secret != "" && strings.Contains(s, secret) {
			return strings.ReplaceAll(s, secret, "[REDACTED]")
		}
		return s
	}
	r.Reason = clean(r.Reason)
	r.Endpoint = clean(r.Endpoint)
	if r.Identity != nil {
		id := make(map[string]string, len(r.Identity))
		for k, v := range r.Identity {
			id[clean(k)] = clean(v)
		}
		r.Identity = id
	}
	r.Privileges.Level = clean(r.Privileges.Level)
	for i := range r.Privileges.Scopes {
		r.Privileges.Scopes[i] = clean(r.Privileges.Scopes[i])
	}
	for i := range r.Privileges.Flags {
		r.Privileges.Flags[i] = clean(r.Privileges.Flags[i])
	}
	return r
}

// Package verifiers is the verification engine and the kit providers are
// written with. It answers one question about a leaked credential: is it
// live, dead, or unknown? Each provider (a package under providers/,
// listed in providers/all) is a Verifier that calls a free, read-only
// identity endpoint of its provider through the one guarded Client, which
// allows only HTTPS to that provider's fixed official hosts, plus the
// self-hosted hosts named in the operator's Config. A Verifier checks a
// Credential: the secret and the companion values it needs (an AWS key
// id, an Azure tenant and client id…), which the provider's own Pair finds
// in a finding's context and sibling findings. A Checker runs verifiers
// for findings, checks each unique credential once per run and never lets
// a secret reach an error, a log line or a Result. Private keys and
// database URLs are analysed offline only.
//
// The kit: the contracts (Verifier, Pairer, Shaper), the Client, Result
// builders (LiveResult, DeadResult, UnknownResult, Unexpected, Decode),
// Call, pairing helpers (Nearest, Labelled, SiblingSecret, Companions,
// ConfiguredHost, SelfHostedPair), ShapeOf and LazyRegexp.
package verifiers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
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

// Result is the outcome of one verification. No field ever holds a secret.
type Result struct {
	Status Status
	Reason string // why, in a few words (always set for Unknown)
	// Identity is who the credential belongs to: login, id, account, ARN,
	// team, email… as the provider returns it (Live), or what offline
	// analysis or the credential's own format tells (key type and
	// fingerprint, an AWS account decoded from a key id) for other statuses.
	Identity   map[string]string
	Privileges Privileges
	Endpoint   string // "METHOD https://host/path", never with a secret
	CheckedAt  time.Time
}

// Credential is what one verification checks: the secret and the companion
// values its provider needs beside it (an AWS key id, an Azure tenant and
// client id, a Twilio account SID, a Docker Hub username, a self-hosted host
// taken from operator config). A Pairer builds it from a Sighting.
type Credential struct {
	// Secret is the credential's secret part (for AWS the secret access
	// key, for GCP the service account's private key).
	Secret string
	// Companions are values that are not secrets themselves, by
	// provider-defined name ("key_id", "tenant_id", "host", "username"…).
	// They may appear in a Result (an account id, a host).
	Companions map[string]string
	// SecretCompanions are further secret parts (a Datadog application key,
	// an AWS session token): scrubbed from every output like Secret.
	SecretCompanions map[string]string
}

// Get returns the companion named name, secret or not.
func (c Credential) Get(name string) string {
	if v, ok := c.Companions[name]; ok {
		return v
	}
	return c.SecretCompanions[name]
}

// Secrets returns every secret value of c (Secret and SecretCompanions),
// longest first, for scrubbing.
func (c Credential) Secrets() []string {
	var out []string
	if c.Secret != "" {
		out = append(out, c.Secret)
	}
	for _, v := range c.SecretCompanions {
		if v != "" {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// empty reports whether c holds nothing to check.
func (c Credential) empty() bool {
	return c.Secret == "" && len(c.Companions) == 0 && len(c.SecretCompanions) == 0
}

// key is the cache key of c for provider: hex SHA-256 of the provider, the
// secret and every companion in name order. It never holds a secret.
func (c Credential) key(provider string) string {
	h := sha256.New()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(c.Secret))
	for _, m := range []map[string]string{c.Companions, c.SecretCompanions} {
		h.Write([]byte{1})
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			h.Write([]byte(n))
			h.Write([]byte{0})
			h.Write([]byte(m[n]))
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sighting is what a Pairer sees of one finding. Its fields are as
// sensitive as the secret: never log, print or store them.
type Sighting struct {
	RuleID string
	Secret string
	// Context is raw text around the first sighting of Secret
	// (finding.Finding.Context).
	Context string
	// Siblings are the other findings of the same blob (or file).
	Siblings []Sibling
}

// Sibling is another finding that shares a blob with a Sighting.
type Sibling struct {
	RuleID, Provider, Secret string
}

// Pairer is implemented by verifiers whose credentials have several parts
// or need a value found beside the secret. Verifiers without it check
// Credential{Secret: s.Secret}.
type Pairer interface {
	// Pair builds the credential of s from s.Secret, s.Context and
	// s.Siblings. It reads companions only from those and from the
	// verifier's own operator configuration; a host read from scanned
	// content is used only when that configuration names it. Pair never
	// does I/O and never fails: what it cannot find it leaves out, and
	// Verify then answers Unknown with a reason.
	Pair(s Sighting) Credential
}

// PairSighting is the credential v checks for s.
func PairSighting(v Verifier, s Sighting) Credential {
	if p, ok := v.(Pairer); ok {
		return p.Pair(s)
	}
	return Credential{Secret: s.Secret}
}

// Verifier checks credentials of one provider.
type Verifier interface {
	// Provider is the provider id (see rules/meta.go), e.g. "github".
	Provider() string
	// Hosts are the host names this verifier may call: the provider's
	// fixed official hosts plus, for self-hosted products, the hosts the
	// operator's Config names. The Client refuses any other host; nothing
	// read from scanned content may add one. Offline verifiers have none.
	Hosts() []string
	// Verify checks cred with at most a few free, read-only identity calls
	// made through c (never a call that sends, charges, creates or
	// revokes).
	//
	// Contract:
	//   - Live and Dead are returned only on the provider's documented
	//     answers; anything else is Unknown.
	//   - A missing companion (no key id, no tenant id, no configured host)
	//     is Unknown with a reason, and nothing is sent.
	//   - A non-nil error means Unknown; the Result is then ignored except
	//     for its Endpoint.
	//   - Neither the error text nor any Result field contains cred.Secret
	//     or a SecretCompanions value.
	//   - Verify is idempotent and has no side effect at the provider.
	Verify(ctx context.Context, c *Client, cred Credential) (Result, error)
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
	if p == "" {
		return fmt.Errorf("verifiers: a provider id is required")
	}
	for _, h := range v.Hosts() {
		if err := validHost(h); err != nil {
			return fmt.Errorf("verifiers: %s: %w", p, err)
		}
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

// Checker verifies findings for one run: each unique credential (provider,
// secret and companions) is checked at most once (results are cached by a
// SHA-256 of them), and concurrent checks of the same credential share one
// flight.
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

// Key is the cache key of a single-part credential (provider, secret): hex
// SHA-256; it never holds the secret.
func Key(provider, secret string) string {
	return Credential{Secret: secret}.key(provider)
}

// Verify checks secret, alone, with provider's verifier: it is
// VerifySighting with no context. It never fails: any error becomes
// Status Unknown with the error text (secret-free) as Reason.
func (k *Checker) Verify(ctx context.Context, provider, secret string) Result {
	return k.VerifySighting(ctx, provider, Sighting{Secret: secret})
}

// VerifySighting pairs s into a credential with provider's verifier (see
// Pairer) and checks it.
func (k *Checker) VerifySighting(ctx context.Context, provider string, s Sighting) Result {
	v, ok := k.reg.Lookup(provider)
	if !ok {
		return Result{Status: Unknown, Reason: "no verifier for provider " + Quote(provider), CheckedAt: time.Now().UTC()}
	}
	return k.VerifyCredential(ctx, provider, PairSighting(v, s))
}

// VerifyCredential checks cred with provider's verifier, at most once per
// run for the same credential. It never fails: any error becomes Status
// Unknown with the error text (secret-free) as Reason. Results obtained
// while ctx was cancelled are not cached.
func (k *Checker) VerifyCredential(ctx context.Context, provider string, cred Credential) Result {
	key := cred.key(provider)
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
		r := k.verify(ctx, provider, cred, key)
		if ctx.Err() == nil {
			k.mu.Lock()
			k.cache[key] = r
			k.mu.Unlock()
		}
		return r, nil
	})
	return v.(Result)
}

func (k *Checker) verify(ctx context.Context, provider string, cred Credential, key string) Result {
	now := time.Now().UTC()
	v, ok := k.reg.Lookup(provider)
	if !ok {
		return Result{Status: Unknown, Reason: "no verifier for provider " + Quote(provider), CheckedAt: now}
	}
	if cred.empty() {
		return Result{Status: Unknown, Reason: "empty secret", CheckedAt: now}
	}
	r, err := v.Verify(ctx, k.client, cred)
	if err != nil {
		r = Result{Status: Unknown, Reason: err.Error(), Endpoint: r.Endpoint, Identity: r.Identity, Privileges: r.Privileges}
	}
	if r.Status == Unknown && r.Reason == "" {
		r.Reason = "no conclusive answer"
	}
	r = scrub(r, cred.Secrets())
	r.CheckedAt = now
	k.log.Debug("verified", "provider", provider, "key", key[:8], "status", r.Status.String(), "reason", r.Reason, "endpoint", r.Endpoint)
	return r
}

// scrub is defence in depth: it removes every secret from every string of r.
func scrub(r Result, secrets []string) Result {
	clean := func(s string) string {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, "[REDACTED]")
			}
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
	r.Privileges.Scopes = slices.Clone(r.Privileges.Scopes)
	for i := range r.Privileges.Scopes {
		r.Privileges.Scopes[i] = clean(r.Privileges.Scopes[i])
	}
	r.Privileges.Flags = slices.Clone(r.Privileges.Flags)
	for i := range r.Privileges.Flags {
		r.Privileges.Flags[i] = clean(r.Privileges.Flags[i])
	}
	return r
}

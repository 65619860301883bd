package verifiers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"nhiscan/providers/all"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// env is one fake server, one guarded client pointed at it and a captured log.
type env struct {
	srv    *fakeapi.Server
	client *verifiers.Client
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB, opts verifiers.ClientOptions) *env {
	t.Helper()
	srv := fakeapi.New()
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.DialContext == nil {
		opts.DialContext = srv.DialContext
	}
	opts.RootCAs = srv.CertPool()
	c, err := verifiers.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, client: c, logs: logs}
}

// testRegistry holds every verifier, configured with the fakes' self-hosted hosts.
func testRegistry(t testing.TB) *verifiers.Registry {
	t.Helper()
	reg, err := all.Registry(selfHostedConfig)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// addLive makes the sample's credential live at the fake: its secret is
// the paired credential's secret, its parts the sample's truth.
func addLive(e *env, sp spec, cred verifiers.Credential, smp sample) {
	a := sp.account
	a.Parts = maps.Clone(a.Parts)
	if a.Parts == nil {
		a.Parts = map[string]string{}
	}
	maps.Copy(a.Parts, smp.parts)
	e.srv.AddLive(sp.provider, cred.Secret, a)
}

// noSecret fails when any secret appears in any of the texts.
func noSecret(t *testing.T, secrets []string, texts map[string]string) {
	t.Helper()
	for name, s := range texts {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(s, secret) {
				t.Errorf("secret leaked into %s: %s", name, strings.ReplaceAll(s, secret, "<SECRET>"))
			}
		}
	}
}

func secretsOf(smp sample, cred verifiers.Credential) []string {
	out := append(cred.Secrets(), smp.hidden...)
	if !slices.Contains([]string{"aws-access-token", "gcp-service-account-key", "twilio-api-key"}, smp.rule) {
		out = append(out, smp.secret) // the finding's value is itself a secret
	}
	return out
}

// notLive is a pseudo-status for cases where Dead and Unknown are both
// acceptable (a bare 401/403 means dead for some providers only).
const notLive = verifiers.Status(-1)

func TestConformance(t *testing.T) {
	reg := testRegistry(t)
	covered := map[string]bool{}
	for _, sp := range specs {
		covered[sp.provider] = true
	}
	for _, p := range reg.Providers() {
		if !covered[p] {
			t.Errorf("provider %s has no conformance spec", p)
		}
	}
	type tc struct {
		name   string
		setup  func(e *env, sp spec, cred verifiers.Credential, smp sample)
		ctx    func() (context.Context, context.CancelFunc)
		want   verifiers.Status
		reason string // substring of Reason
	}
	live := func(e *env, sp spec, cred verifiers.Credential, smp sample) { addLive(e, sp, cred, smp) }
	fault := func(f fakeapi.Fault) func(*env, spec, verifiers.Credential, sample) {
		return func(e *env, sp spec, cred verifiers.Credential, smp sample) {
			live(e, sp, cred, smp)
			e.srv.SetFault(sp.provider, f)
		}
	}
	cases := []tc{
		{name: "live", setup: live, want: verifiers.Live},
		{name: "revoked", setup: func(e *env, sp spec, cred verifiers.Credential, smp sample) {
			live(e, sp, cred, smp)
			e.srv.Revoke(cred.Secret)
		}, want: verifiers.Dead},
		{name: "invalid", setup: func(*env, spec, verifiers.Credential, sample) {}, want: verifiers.Dead},
		{name: "401", setup: fault(fakeapi.ServerError(401)), want: notLive},
		{name: "403", setup: fault(fakeapi.ServerError(403)), want: notLive},
		{name: "429-retry-after", setup: fault(fakeapi.RateLimited(30)), want: verifiers.Unknown, reason: "rate limited"},
		{name: "500", setup: fault(fakeapi.ServerError(500)), want: verifiers.Unknown, reason: "HTTP 500"},
		{name: "503", setup: fault(fakeapi.ServerError(503)), want: verifiers.Unknown, reason: "HTTP 503"},
		{name: "waf-200", setup: fault(fakeapi.WAFPage(200)), want: verifiers.Unknown, reason: "HTML"},
		{name: "waf-403", setup: fault(fakeapi.WAFPage(403)), want: verifiers.Unknown, reason: "HTML"},
		{name: "waf-503", setup: fault(fakeapi.WAFPage(503)), want: verifiers.Unknown, reason: "503"},
		{name: "slow", setup: fault(fakeapi.Slow(3 * time.Second)), want: verifiers.Unknown, reason: "timeout"},
		{name: "network-error", setup: func(e *env, sp spec, cred verifiers.Credential, smp sample) {
			live(e, sp, cred, smp)
			e.srv.Close()
		}, want: verifiers.Unknown},
		{name: "cancelled", setup: live, want: verifiers.Unknown, reason: "cancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, func() {}
			}},
	}
	for i, sp := range specs {
		v, ok := reg.Lookup(sp.provider)
		if !ok {
			t.Errorf("%s: no verifier", sp.provider)
			continue
		}
		for j, c := range cases {
			t.Run(sp.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				smp := sp.gen(fixtures.NewGen(uint64(1000*i + j + 1)))
				timeout := 5 * time.Second // a loaded CI machine must not turn live into unknown
				if c.name == "slow" {
					timeout = 300 * time.Millisecond
				}
				e := newEnv(t, verifiers.ClientOptions{Timeout: timeout})
				sight := verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}
				cred := verifiers.PairSighting(v, sight)
				for k, want := range smp.parts {
					if got := cred.Get(k); got != want {
						t.Fatalf("Pair: companion %s = %q, want %q", k, got, want)
					}
				}
				want := c.want
				if sp.offline || (sp.neverDead && want == verifiers.Dead) {
					want = verifiers.Unknown
				}
				c.setup(e, sp, cred, smp)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if c.ctx != nil {
					var cc context.CancelFunc
					ctx, cc = c.ctx()
					defer cc()
				}
				match := func(got verifiers.Status) bool {
					if want == notLive {
						return got != verifiers.Live
					}
					return got == want
				}

				// The Verifier contract, called directly.
				direct, err := v.Verify(ctx, e.client, cred)
				errText := ""
				if err != nil {
					errText = err.Error()
					if want != verifiers.Unknown && want != notLive {
						t.Fatalf("Verify error %v, want %v", err, want)
					}
				} else if !match(direct.Status) {
					t.Fatalf("Verify = %v (%s), want %v", direct.Status, direct.Reason, want)
				}

				// Through the Checker, from the finding as the scanner reports it.
				res := verifiers.NewChecker(reg, e.client).VerifySighting(ctx, sp.provider, sight)
				if !match(res.Status) {
					t.Fatalf("Checker = %v (%s), want %v", res.Status, res.Reason, want)
				}
				if c.reason != "" && !sp.offline && !strings.Contains(res.Reason, c.reason) {
					t.Errorf("reason %q does not contain %q", res.Reason, c.reason)
				}
				if sp.offline && res.Reason != "offline analysis only" {
					t.Errorf("offline reason %q", res.Reason)
				}
				if (res.Status == verifiers.Live || (sp.offline && c.name == "live")) && res.Identity[sp.identity] == "" {
					t.Errorf("no identity %q: %v", sp.identity, res.Identity)
				}
				if res.Status == verifiers.Live && !slices.Contains([]string{"admin", "write", "read", "unknown"}, res.Privileges.Level) {
					t.Errorf("privilege level %q is not admin, write, read or unknown", res.Privileges.Level)
				}
				if res.Status == verifiers.Unknown && res.Reason == "" {
					t.Error("unknown without a reason")
				}
				if res.CheckedAt.IsZero() {
					t.Error("CheckedAt not set")
				}
				if res.Endpoint != "" {
					host := strings.SplitN(strings.SplitN(res.Endpoint, "://", 2)[1], "/", 2)[0]
					if !slices.Contains(v.Hosts(), host) {
						t.Errorf("endpoint %q is not on a host of %v", res.Endpoint, v.Hosts())
					}
				}
				if sp.offline && e.srv.TotalRequests() != 0 {
					t.Errorf("offline verifier sent %d requests", e.srv.TotalRequests())
				}
				noSecret(t, secretsOf(smp, cred), map[string]string{
					"error": errText, "direct result": fmt.Sprintf("%#v", direct),
					"result": fmt.Sprintf("%#v", res), "log": e.logs.String(),
				})
				if pr := e.srv.Problems(); len(pr) > 0 {
					t.Errorf("requests did not match the real API: %v", pr)
				}
			})
		}
	}
}

// TestConformanceTruth runs truthCases: each provider's documented answer,
// served by its fake, and the status it must give.
func TestConformanceTruth(t *testing.T) {
	reg := testRegistry(t)
	for i, tc := range truthCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := specs[slicesIndex(tc.spec)]
			gen := sp.gen
			if tc.gen != nil {
				gen = tc.gen
			}
			smp := gen(fixtures.NewGen(uint64(90000 + i)))
			v := lookup(t, reg, sp.provider)
			e := newEnv(t, verifiers.ClientOptions{Timeout: 5 * time.Second})
			sight := verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}
			cred := verifiers.PairSighting(v, sight)
			if tc.live {
				if smp.parts == nil {
					smp.parts = map[string]string{}
				}
				maps.Copy(smp.parts, tc.parts)
				addLive(e, sp, cred, smp)
			}
			if tc.fault != nil {
				e.srv.SetFault(sp.provider, *tc.fault)
			}
			r := verifiers.NewChecker(reg, e.client).VerifySighting(context.Background(), sp.provider, sight)
			if r.Status != tc.want {
				t.Fatalf("got %v (%s), want %v", r.Status, r.Reason, tc.want)
			}
			if tc.reason != "" && !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", r.Reason, tc.reason)
			}
			for k, want := range tc.identity {
				if r.Identity[k] != want {
					t.Errorf("identity %s = %q, want %q (%v)", k, r.Identity[k], want, r.Identity)
				}
			}
			if tc.flag != "" && !slices.Contains(r.Privileges.Flags, tc.flag) {
				t.Errorf("flags %v lack %q", r.Privileges.Flags, tc.flag)
			}
			if tc.level != "" && r.Privileges.Level != tc.level {
				t.Errorf("level %q, want %q", r.Privileges.Level, tc.level)
			}
			if tc.noScopes && len(r.Privileges.Scopes) > 0 {
				t.Errorf("scopes %v: the endpoint's requirements were reported as the token's", r.Privileges.Scopes)
			}
			if r.Status == verifiers.Unknown && r.Reason == "" {
				t.Error("unknown without a reason")
			}
			if tc.requests > 0 && e.srv.Requests(sp.provider) != tc.requests {
				t.Errorf("%d requests, want %d", e.srv.Requests(sp.provider), tc.requests)
			}
			noSecret(t, secretsOf(smp, cred), map[string]string{"result": fmt.Sprintf("%#v", r), "log": e.logs.String()})
			if pr := e.srv.Problems(); len(pr) > 0 {
				t.Errorf("requests did not match the real API: %v", pr)
			}
		})
	}
}

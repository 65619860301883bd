package verifiers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// spec is what the conformance suite needs to know about one provider. Every
// registered verifier must have one.
type spec struct {
	gen      func(*fixtures.Gen) string
	account  fakeapi.Account
	identity string // an Identity key a live result must carry
}

var specs = map[string]spec{
	"github":       {gen: func(g *fixtures.Gen) string { return g.GitHubToken("ghp_") }, account: fakeapi.Account{Scopes: []string{"repo", "read:org"}}, identity: "login"},
	"slack":        {gen: (*fixtures.Gen).SlackBotToken, identity: "team"},
	"stripe":       {gen: (*fixtures.Gen).StripeSecretKey, identity: "key_type"},
	"npm":          {gen: (*fixtures.Gen).NPMToken, identity: "username"},
	"openai":       {gen: (*fixtures.Gen).OpenAIKey, identity: "email"},
	"anthropic":    {gen: (*fixtures.Gen).AnthropicKey, identity: "models"},
	"sendgrid":     {gen: (*fixtures.Gen).SendGridKey, identity: "scopes"},
	"huggingface":  {gen: (*fixtures.Gen).HuggingFaceToken, identity: "name"},
	"digitalocean": {gen: (*fixtures.Gen).DigitalOceanPAT, identity: "email"},
	"telegram":     {gen: (*fixtures.Gen).TelegramBotToken, identity: "username"},
	"discord":      {gen: (*fixtures.Gen).DiscordWebhook, identity: "webhook_id"},
}

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

// noSecret fails when secret appears in any of the texts.
func noSecret(t *testing.T, secret string, texts map[string]string) {
	t.Helper()
	for name, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("secret leaked into %s: %s", name, strings.ReplaceAll(s, secret, "<SECRET>"))
		}
	}
}

func TestConformance(t *testing.T) {
	reg := verifiers.Default()
	for _, p := range reg.Providers() {
		if _, ok := specs[p]; !ok {
			t.Errorf("provider %s has no conformance spec", p)
		}
	}
	type tc struct {
		name   string
		setup  func(e *env, provider, secret string, sp spec)
		ctx    func() (context.Context, context.CancelFunc)
		want   verifiers.Status
		reason string // substring of Reason
	}
	live := func(e *env, p, s string, sp spec) { e.srv.AddLive(p, s, sp.account) }
	fault := func(f fakeapi.Fault) func(*env, string, string, spec) {
		return func(e *env, p, s string, sp spec) { live(e, p, s, sp); e.srv.SetFault(p, f) }
	}
	cases := []tc{
		{name: "live", setup: live, want: verifiers.Live},
		{name: "revoked", setup: func(e *env, p, s string, sp spec) { live(e, p, s, sp); e.srv.Revoke(s) }, want: verifiers.Dead},
		{name: "invalid", setup: func(*env, string, string, spec) {}, want: verifiers.Dead},
		{name: "429-retry-after", setup: fault(fakeapi.RateLimited(30)), want: verifiers.Unknown, reason: "rate limited, retry after 30s"},
		{name: "500", setup: fault(fakeapi.ServerError(500)), want: verifiers.Unknown, reason: "HTTP 500"},
		{name: "503", setup: fault(fakeapi.ServerError(503)), want: verifiers.Unknown, reason: "HTTP 503"},
		{name: "waf-200", setup: fault(fakeapi.WAFPage(200)), want: verifiers.Unknown, reason: "HTML"},
		{name: "waf-403", setup: fault(fakeapi.WAFPage(403)), want: verifiers.Unknown, reason: "HTML"},
		{name: "waf-503", setup: fault(fakeapi.WAFPage(503)), want: verifiers.Unknown, reason: "503"},
		{name: "slow", setup: fault(fakeapi.Slow(3 * time.Second)), want: verifiers.Unknown, reason: "timeout"},
		{name: "network-error", setup: func(e *env, p, s string, sp spec) { live(e, p, s, sp); e.srv.Close() }, want: verifiers.Unknown},
		{name: "cancelled", setup: live, want: verifiers.Unknown, reason: "cancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, func() {}
			}},
	}
	for i, p := range reg.Providers() {
		sp, ok := specs[p]
		if !ok {
			continue
		}
		v, _ := reg.Lookup(p)
		for j, c := range cases {
			t.Run(p+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				secret := sp.gen(fixtures.NewGen(uint64(1000*i + j + 1)))
				e := newEnv(t, verifiers.ClientOptions{Timeout: 300 * time.Millisecond})
				c.setup(e, p, secret, sp)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if c.ctx != nil {
					var cc context.CancelFunc
					ctx, cc = c.ctx()
					defer cc()
				}

				// The Verifier contract, called directly.
				direct, err := v.Verify(ctx, e.client, secret)
				errText := ""
				if err != nil {
					errText = err.Error()
					if c.want != verifiers.Unknown {
						t.Fatalf("Verify error %v, want %v", err, c.want)
					}
				} else if direct.Status != c.want {
					t.Fatalf("Verify = %v (%s), want %v", direct.Status, direct.Reason, c.want)
				}

				// Through the Checker.
				res := verifiers.NewChecker(reg, e.client).Verify(ctx, p, secret)
				if res.Status != c.want {
					t.Fatalf("Checker.Verify = %v (%s), want %v", res.Status, res.Reason, c.want)
				}
				if c.reason != "" && !strings.Contains(res.Reason, c.reason) {
					t.Errorf("reason %q does not contain %q", res.Reason, c.reason)
				}
				if res.Status == verifiers.Live && res.Identity[sp.identity] == "" {
					t.Errorf("live without identity %q: %v", sp.identity, res.Identity)
				}
				if res.Status == verifiers.Unknown && res.Reason == "" {
					t.Error("unknown without a reason")
				}
				if res.CheckedAt.IsZero() {
					t.Error("CheckedAt not set")
				}
				if res.Endpoint != "" && !strings.HasPrefix(strings.SplitN(res.Endpoint, " ", 2)[1], "https://"+v.Hosts()[0]) {
					t.Errorf("endpoint %q is not on %s", res.Endpoint, v.Hosts()[0])
				}
				noSecret(t, secret, map[string]string{
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

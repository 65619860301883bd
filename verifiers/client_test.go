package verifiers_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"nhiscan/providers/all"
	"nhiscan/providers/github"
	"nhiscan/providers/slack"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// evilServer counts every TCP connection it accepts.
func evilServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"login":"stolen"}`)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s, &conns
}

func TestHostAllowlist(t *testing.T) {
	fake := fakeapi.New()
	defer fake.Close()
	evil, conns := evilServer(t)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if _, ok := fakeapi.Hosts[host]; ok {
			return fake.DialContext(ctx, network, addr)
		}
		var d net.Dialer // everything else lands on the counting server
		return d.DialContext(ctx, network, evil.Listener.Addr().String())
	}
	c, err := verifiers.NewClient(verifiers.ClientOptions{DialContext: dial, RootCAs: fake.CertPool(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gh, slack := &github.Provider{}, &slack.Provider{}
	secret := fixtures.NewGen(7).GitHubToken("ghp_")
	fake.AddLive("github", secret, fakeapi.Account{})
	ctx := context.Background()

	for _, u := range []string{
		"https://evil.example/user?token=" + secret, // a URL built from scanned content
		"http://api.github.com/user",                // plain HTTP
		"https://api.github.com.evil.example/user",  // suffix trick
		"https://api.github.com@evil.example/user",  // user-info trick
		"https://api.github.com:8443/user",          // other port
		"https://slack.com/api/auth.test",           // another provider's host
		"ftp://api.github.com/user",
	} {
		t.Run("builder "+strings.ReplaceAll(u, secret, "SECRET"), func(t *testing.T) {
			_, err := c.NewRequest(ctx, gh, "GET", u, nil)
			var he *verifiers.HostError
			if !errors.As(err, &he) {
				t.Fatalf("NewRequest(%q) error = %v, want HostError", u, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
	t.Run("request not built by NewRequest", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "https://evil.example/", nil)
		if _, err := c.Do(gh, req); err == nil {
			t.Fatal("Do accepted a foreign request")
		}
	})
	t.Run("request of another verifier", func(t *testing.T) {
		req, err := c.NewRequest(ctx, gh, "GET", "https://api.github.com/user", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(slack, req); err == nil {
			t.Fatal("Do accepted a github request for slack")
		}
	})
	t.Run("URL mutated after build", func(t *testing.T) {
		req, err := c.NewRequest(ctx, gh, "GET", "https://api.github.com/user", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Host = "evil.example"
		if _, err := c.Do(gh, req); err == nil || !strings.Contains(err.Error(), "evil.example") {
			t.Fatalf("Do = %v, want refusal naming evil.example", err)
		}
	})
	for _, loc := range []string{"https://evil.example/steal", "http://api.github.com/user", "https://api.github.com:8443/user"} {
		t.Run("redirect to "+loc, func(t *testing.T) {
			fake.SetFault("github", fakeapi.Fault{Status: 302, Location: loc})
			defer fake.SetFault("github", fakeapi.Fault{})
			res := verifiers.NewChecker(all.Default(), c).Verify(ctx, "github", secret)
			if res.Status != verifiers.Unknown || !strings.Contains(res.Reason, "refused") {
				t.Fatalf("got %v (%s), want Unknown refused", res.Status, res.Reason)
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("the other host saw %d connections, want 0", n)
	}
	// Sanity: the same client does reach the official host.
	if res := verifiers.NewChecker(all.Default(), c).Verify(ctx, "github", secret); res.Status != verifiers.Live {
		t.Fatalf("official host: %v (%s)", res.Status, res.Reason)
	}
}

func TestRetryAfterShortRetriesOnce(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{})
	secret := fixtures.NewGen(11).NPMToken()
	e.srv.AddLive("npm", secret, fakeapi.Account{})
	e.srv.SetFault("npm", fakeapi.Fault{Status: 429, RetryAfter: "1", Times: 1})
	res := verifiers.NewChecker(all.Default(), e.client).Verify(context.Background(), "npm", secret)
	if res.Status != verifiers.Live {
		t.Fatalf("got %v (%s), want Live after one retry", res.Status, res.Reason)
	}
	if n := e.srv.Requests("npm"); n != 2 {
		t.Fatalf("requests = %d, want 2", n)
	}
}

func TestRetryAfterNeverRetriesTwice(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{})
	secret := fixtures.NewGen(12).NPMToken()
	e.srv.AddLive("npm", secret, fakeapi.Account{})
	e.srv.SetFault("npm", fakeapi.RateLimited(1))
	res := verifiers.NewChecker(all.Default(), e.client).Verify(context.Background(), "npm", secret)
	if res.Status != verifiers.Unknown || !strings.Contains(res.Reason, "rate limited") {
		t.Fatalf("got %v (%s), want Unknown rate limited", res.Status, res.Reason)
	}
	if n := e.srv.Requests("npm"); n != 2 {
		t.Fatalf("requests = %d, want 2", n)
	}
}

func TestBudgetExhausted(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{MaxRequests: 3})
	g := fixtures.NewGen(13)
	k := verifiers.NewChecker(all.Default(), e.client)
	var live, exhausted int
	for range 5 {
		s := g.HuggingFaceToken()
		e.srv.AddLive("huggingface", s, fakeapi.Account{})
		switch r := k.Verify(context.Background(), "huggingface", s); {
		case r.Status == verifiers.Live:
			live++
		case r.Status == verifiers.Unknown && r.Reason == "budget exhausted":
			exhausted++
		default:
			t.Fatalf("unexpected %v (%s)", r.Status, r.Reason)
		}
	}
	if live != 3 || exhausted != 2 || e.srv.Requests("huggingface") != 3 {
		t.Fatalf("live=%d exhausted=%d requests=%d, want 3, 2, 3", live, exhausted, e.srv.Requests("huggingface"))
	}
}

func TestPerProviderConcurrency(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{PerProvider: 2})
	e.srv.SetLatency(30 * time.Millisecond)
	g := fixtures.NewGen(14)
	k := verifiers.NewChecker(all.Default(), e.client)
	var wg sync.WaitGroup
	for range 12 {
		s := g.DigitalOceanPAT()
		e.srv.AddLive("digitalocean", s, fakeapi.Account{})
		wg.Go(func() {
			if r := k.Verify(context.Background(), "digitalocean", s); r.Status != verifiers.Live {
				t.Errorf("got %v (%s)", r.Status, r.Reason)
			}
		})
	}
	wg.Wait()
	if p := e.srv.PeakConcurrency("digitalocean"); p > 2 || p < 1 {
		t.Fatalf("peak concurrency = %d, want 1..2", p)
	}
}

func TestSSLCertFile(t *testing.T) {
	srv := fakeapi.New()
	defer srv.Close()
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := fixtures.NewGen(15).SendGridKey()
	srv.AddLive("sendgrid", secret, fakeapi.Account{})

	// Without the extra root the fake's certificate is not trusted: Unknown.
	t.Setenv("SSL_CERT_FILE", "")
	c, err := verifiers.NewClient(verifiers.ClientOptions{DialContext: srv.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	if r := verifiers.NewChecker(all.Default(), c).Verify(context.Background(), "sendgrid", secret); r.Status != verifiers.Unknown {
		t.Fatalf("untrusted certificate: got %v", r.Status)
	}
	t.Setenv("SSL_CERT_FILE", f)
	c, err = verifiers.NewClient(verifiers.ClientOptions{DialContext: srv.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	if r := verifiers.NewChecker(all.Default(), c).Verify(context.Background(), "sendgrid", secret); r.Status != verifiers.Live {
		t.Fatalf("with SSL_CERT_FILE: got %v (%s)", r.Status, r.Reason)
	}
	t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := verifiers.NewClient(verifiers.ClientOptions{}); err == nil {
		t.Fatal("missing SSL_CERT_FILE accepted")
	}
}

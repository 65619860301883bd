package egress

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	d := Dest{Provider: "github", Hosts: []string{"api.github.com", "ghe.example.com:8443"}}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://api.github.com/user", true},
		{"https://API.GitHub.com:443/user", true},
		{"http://api.github.com/user", false},
		{"https://api.github.com:8443/user", false},
		{"https://ghe.example.com:8443/api/v3/user", true},
		{"https://ghe.example.com/api/v3/user", false},
		{"https://user:pass@api.github.com/user", false},
		{"https://api.github.com.evil.example/user", false},
		{"https://evil.example/?host=api.github.com", false},
		{"wss://api.github.com/", false},
	} {
		t.Run(c.url, func(t *testing.T) {
			u, err := url.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(d, u)
			if (err == nil) != c.ok {
				t.Fatalf("Check = %v, want ok=%v", err, c.ok)
			}
			var he *HostError
			if err != nil && !errors.As(err, &he) {
				t.Fatalf("error %T is not a *HostError", err)
			}
		})
	}
	if _, err := CheckRaw(d, "https://api.github.com/%zz"); err == nil || err.Error() != "refused: github: malformed URL" {
		t.Errorf("malformed URL: %v", err)
	}
}

// The transport refuses what the request builder did not check: a request
// without a destination, a destination that does not allow the URL, and a
// redirect to another host.
func TestGuard(t *testing.T) {
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached a host outside the allowlist: %s", r.URL)
	}))
	defer other.Close()
	tr, err := NewTransport(TransportOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: Guard(tr, nil), CheckRedirect: CheckRedirect(3, nil)}
	ctx := context.Background()
	for name, ctx := range map[string]context.Context{
		"no destination":    ctx,
		"wrong destination": WithDest(ctx, Dest{Provider: "slack", Hosts: []string{"slack.com"}}),
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, "GET", other.URL, nil)
			if _, err := hc.Do(req); err == nil {
				t.Fatal("request sent")
			}
		})
	}
	t.Run("redirect elsewhere", func(t *testing.T) {
		red := CheckRedirect(3, &Dest{Provider: "slack", Hosts: []string{"slack.com"}})
		req, _ := http.NewRequest("GET", other.URL, nil)
		if err := red(req, []*http.Request{{}}); err == nil {
			t.Fatal("redirect allowed")
		}
		if err := CheckRedirect(0, nil)(req, nil); !errors.Is(err, http.ErrUseLastResponse) {
			t.Fatalf("max 0: %v", err)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "7")
	if d := RetryAfter(h, false); d != 7*time.Second {
		t.Errorf("seconds: %v", d)
	}
	h = http.Header{}
	h.Set("X-RateLimit-Reset", "4102444800") // 2100-01-01
	if RetryAfter(h, false) != 0 || RetryAfter(h, true) <= 0 {
		t.Errorf("reset header: without %v, with %v", RetryAfter(h, false), RetryAfter(h, true))
	}
}

func TestNoProxy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	for _, noProxy := range []bool{false, true} {
		tr, err := NewTransport(TransportOptions{NoProxy: noProxy})
		if err != nil {
			t.Fatal(err)
		}
		if (tr.Proxy == nil) != noProxy {
			t.Errorf("NoProxy %v: proxy function set = %v", noProxy, tr.Proxy != nil)
		}
	}
}

func TestProxyWarning(t *testing.T) {
	cases := []struct {
		name, proxy, lower, certFile, certDir string
		noProxy                               bool
		want                                  string
	}{
		{name: "proxy and CA file", proxy: "http://u:secretpw@proxy.corp:3128", certFile: "/etc/corp.pem", want: "proxy.corp:3128"},
		{name: "lower-case proxy and CA dir", lower: "http://proxy.corp:3128", certDir: "/etc/certs", want: "proxy.corp:3128"},
		{name: "proxy without scheme", proxy: "proxy.corp:3128", certFile: "/etc/corp.pem", want: "the configured proxy"},
		{name: "--no-proxy", proxy: "http://proxy.corp:3128", certFile: "/etc/corp.pem", noProxy: true},
		{name: "proxy only: TLS end to end", proxy: "http://proxy.corp:3128"},
		{name: "CA only", certFile: "/etc/corp.pem"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", tc.proxy)
			t.Setenv("https_proxy", tc.lower)
			t.Setenv("SSL_CERT_FILE", tc.certFile)
			t.Setenv("SSL_CERT_DIR", tc.certDir)
			got := ProxyWarning(tc.noProxy)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("warning %q", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || !strings.Contains(got, "--no-proxy") || strings.Contains(got, "secretpw") {
				t.Fatalf("warning %q", got)
			}
		})
	}
}

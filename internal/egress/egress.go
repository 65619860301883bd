// Package egress is the one gate through which nhiscan sends a credential
// anywhere. Verification (package verifiers) and remediation (package
// remediate) build their HTTP clients on it, so both obey the same rules:
//
//   - only https, only to a host on the destination's allowlist (a
//     provider's fixed official hosts, or a host an operator configured);
//     no user info in URLs;
//   - the check runs when a request is built and again in the transport,
//     for every request and every redirect, whoever built it (go-github and
//     the AWS SDK included);
//   - HTTPS_PROXY / NO_PROXY and SSL_CERT_FILE are honoured, for enterprise
//     egress proxies.
//
// Nothing read from scanned content may add a host: allowlists come from code
// and from operator configuration only.
package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dest is where a request may go: a provider id (for messages) and its
// allowed hosts. A bare host entry allows port 443; "host:port" allows
// exactly that port (operator-configured endpoints, tests).
type Dest struct {
	Provider string
	Hosts    []string
}

// HostError is a refused destination. It names the host, never a secret.
type HostError struct {
	Provider, Scheme, Host string
}

func (e *HostError) Error() string {
	if e.Scheme != "https" {
		return fmt.Sprintf("refused: %s may only use https, not %q (host %q)", e.Provider, e.Scheme, e.Host)
	}
	return fmt.Sprintf("refused: host %q is not an allowed %s host", e.Host, e.Provider)
}

// Check allows u only when it is https, carries no user info, and names a
// host of d.
func Check(d Dest, u *url.URL) error {
	host := u.Hostname()
	if u.Scheme != "https" {
		return &HostError{Provider: d.Provider, Scheme: u.Scheme, Host: host}
	}
	h, port := strings.ToLower(host), u.Port()
	var ok bool
	if port == "" || port == "443" {
		ok = slices.Contains(d.Hosts, h)
	} else {
		ok = slices.Contains(d.Hosts, net.JoinHostPort(h, port))
	}
	if u.User != nil || !ok {
		return &HostError{Provider: d.Provider, Scheme: u.Scheme, Host: host}
	}
	return nil
}

// CheckRaw parses rawURL and checks it. A malformed URL is refused without
// quoting it (it may hold a secret).
func CheckRaw(d Dest, rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("refused: %s: malformed URL", d.Provider)
	}
	return u, Check(d, u)
}

type destKey struct{}

// WithDest returns ctx carrying d: a Guard transport sends a request only
// when its context carries a Dest that allows its URL.
func WithDest(ctx context.Context, d Dest) context.Context {
	d.Hosts = lower(d.Hosts)
	return context.WithValue(ctx, destKey{}, d)
}

// DestOf returns the Dest carried by ctx.
func DestOf(ctx context.Context) (Dest, bool) {
	d, ok := ctx.Value(destKey{}).(Dest)
	return d, ok
}

func lower(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = strings.ToLower(h)
	}
	return out
}

// Guard is the last check before a connection: the request's Dest comes
// from fixed (when non-nil) or else from the request's context (WithDest);
// a request with neither is refused.
func Guard(next http.RoundTripper, fixed *Dest) http.RoundTripper {
	if fixed != nil {
		d := *fixed
		d.Hosts = lower(d.Hosts)
		fixed = &d
	}
	return guard{next: next, fixed: fixed}
}

type guard struct {
	next  http.RoundTripper
	fixed *Dest
}

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	d, ok := DestOf(req.Context())
	if g.fixed != nil {
		d, ok = *g.fixed, true
	}
	if !ok {
		return nil, errors.New("refused: request without an egress destination")
	}
	if err := Check(d, req.URL); err != nil {
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// CheckRedirect is an http.Client.CheckRedirect that applies the same
// check to every redirect (at most max hops; max 0 refuses redirects by
// returning the redirect answer itself).
func CheckRedirect(max int, fixed *Dest) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max == 0 {
			return http.ErrUseLastResponse
		}
		if len(via) >= max {
			return errors.New("too many redirects")
		}
		d, ok := DestOf(req.Context())
		if fixed != nil {
			d, ok = *fixed, true
		}
		if !ok {
			return errors.New("refused: redirect without an egress destination")
		}
		return Check(Dest{Provider: d.Provider, Hosts: lower(d.Hosts)}, req.URL)
	}
}

// TransportOptions configure NewTransport.
type TransportOptions struct {
	Timeout        time.Duration // dial, TLS handshake and response headers
	MaxIdlePerHost int
	DialContext    func(ctx context.Context, network, addr string) (net.Conn, error) // tests
	RootCAs        *x509.CertPool                                                    // tests; default SystemRoots
	// NoProxy connects directly, ignoring HTTPS_PROXY / NO_PROXY (scan
	// --no-proxy): no proxy can then see a credential.
	NoProxy bool
}

// NewTransport is the transport under every Guard: proxies from the
// environment (HTTPS_PROXY, NO_PROXY) unless NoProxy, TLS 1.2+, system
// roots plus SSL_CERT_FILE.
func NewTransport(o TransportOptions) (*http.Transport, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	roots := o.RootCAs
	if roots == nil {
		var err error
		if roots, err = SystemRoots(); err != nil {
			return nil, err
		}
	}
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	proxy := http.ProxyFromEnvironment
	if o.NoProxy {
		proxy = nil
	}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   o.MaxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}, nil
}

// ProxyWarning is what an operator must know when a proxy may read
// credentials in clear: HTTPS_PROXY is set (and NoProxy is not) and
// SSL_CERT_FILE or SSL_CERT_DIR adds certificate authorities, so the proxy
// can terminate TLS with a certificate this process trusts and see every
// request, credentials included. "" otherwise. (Without an added CA the
// proxy only tunnels: TLS runs end to end with the provider.)
func ProxyWarning(noProxy bool) string {
	if noProxy {
		return ""
	}
	proxy := os.Getenv("HTTPS_PROXY")
	if proxy == "" {
		proxy = os.Getenv("https_proxy")
	}
	ca := os.Getenv("SSL_CERT_FILE")
	if ca == "" {
		ca = os.Getenv("SSL_CERT_DIR")
	}
	if proxy == "" || ca == "" {
		return ""
	}
	host := proxy
	if u, err := url.Parse(proxy); err == nil && u.Host != "" {
		host = u.Host // never the proxy's user info
	} else {
		host = "the configured proxy"
	}
	return fmt.Sprintf("warning: credentials sent for verification, remediation or the crawl go through the HTTPS_PROXY %s, "+
		"and SSL_CERT_FILE/SSL_CERT_DIR adds a certificate authority, so that proxy can read them in clear; "+
		"use --no-proxy to connect to the providers directly", host)
}

// SystemRoots is the system pool plus the PEM certificates of SSL_CERT_FILE.
func SystemRoots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("SSL_CERT_FILE: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SSL_CERT_FILE %s: no PEM certificate", f)
		}
	}
	return pool, nil
}

// RetryAfter is how long a 429 or 503 asks to wait: Retry-After in seconds
// or as an HTTP date, else (when useReset) GitHub-style X-RateLimit-Reset;
// 0 when none is given.
func RetryAfter(h http.Header, useReset bool) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
		}
	}
	if useReset {
		if v := h.Get("X-RateLimit-Reset"); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				if d := time.Until(time.Unix(n, 0)); d > 0 {
					return d
				}
			}
		}
	}
	return 0
}

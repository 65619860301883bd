package remediate

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ClientOptions configure NewClient. The zero value is usable.
type ClientOptions struct {
	Timeout   time.Duration // per request, body included (default 20 s)
	UserAgent string        // default "nhiscan-remediate"
	Logger    *slog.Logger  // never receives a secret; default: discard
	// DialContext and RootCAs replace the dialer and trusted roots (tests
	// map official host names to a local fake and trust its certificate).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	RootCAs     *x509.CertPool
}

// Client is the one HTTP client remediation uses. Every request, whoever
// builds it (this package, go-github, the AWS SDK), must be HTTPS to one of
// the hosts given for its provider: the provider's fixed official hosts, or
// the host an operator configured. Redirects are never followed. It honours
// HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE.
type Client struct {
	opts ClientOptions
	tr   *http.Transport
	log  *slog.Logger
}

// NewClient builds the guarded client.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "nhiscan-remediate"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	roots := opts.RootCAs
	if roots == nil {
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
		roots = pool
	}
	dial := opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{opts: opts, tr: tr, log: log}, nil
}

// HostError is a refused destination. It names the host, never a secret.
type HostError struct{ Provider, Scheme, Host string }

func (e *HostError) Error() string {
	if e.Scheme != "https" {
		return fmt.Sprintf("refused: %s remediation may only use https, not %q (host %q)", e.Provider, e.Scheme, e.Host)
	}
	return fmt.Sprintf("refused: host %q is not an allowed %s host", e.Host, e.Provider)
}

// checkURL allows https to a host in hosts. An entry "host" allows port 443
// (or none); "host:port" allows exactly that port (operator-configured
// endpoints, tests).
func checkURL(provider string, hosts []string, u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" || u.User != nil {
		return &HostError{Provider: provider, Scheme: u.Scheme, Host: host}
	}
	port := u.Port()
	if (port == "" || port == "443") && slices.Contains(hosts, host) {
		return nil
	}
	if port != "" && slices.Contains(hosts, host+":"+port) {
		return nil
	}
	return &HostError{Provider: provider, Scheme: u.Scheme, Host: u.Host}
}

type guard struct {
	provider string
	hosts    []string
	ua       string
	next     http.RoundTripper
}

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkURL(g.provider, g.hosts, req.URL); err != nil {
		return nil, err
	}
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", g.ua)
	}
	return g.next.RoundTrip(req)
}

// HTTP returns an *http.Client for provider that may reach only hosts (for
// go-github and the AWS SDK). It never follows a redirect.
func (c *Client) HTTP(provider string, hosts []string) *http.Client {
	hs := make([]string, len(hosts))
	for i, h := range hosts {
		hs[i] = strings.ToLower(h)
	}
	return &http.Client{
		Transport:     guard{provider: provider, hosts: hs, ua: c.opts.UserAgent, next: c.tr},
		Timeout:       c.opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Request is one call to a provider.
type Request struct {
	Provider string
	Hosts    []string // allowed hosts (see checkURL)
	Method   string
	URL      string
	// Display replaces URL in errors, logs and evidence when the URL holds
	// a secret (Discord webhooks).
	Display string
	Header  http.Header
	Body    []byte
}

// Endpoint is "METHOD URL" without query or secret.
func (r Request) Endpoint() string {
	if r.Display != "" {
		return r.Method + " " + r.Display
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return r.Method + " (malformed URL)"
	}
	return r.Method + " " + u.Scheme + "://" + u.Host + u.EscapedPath()
}

// Response is a fully read answer (body capped at 1 MiB).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Evidence is "METHOD URL -> status".
func (r *Response) evidence(req Request) string {
	return req.Endpoint() + " -> " + strconv.Itoa(r.StatusCode)
}

// Do sends r. A 429 (or GitHub's 403 with a spent rate limit) is a
// *RateLimitError; a network error, a 5xx or a redirect is an error; other
// statuses are returned for the caller to interpret. Errors name the
// endpoint (Display for secret-bearing URLs), never a secret.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	ep := r.Endpoint()
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("refused: %s: malformed URL", r.Provider)
	}
	if err := checkURL(r.Provider, r.Hosts, u); err != nil {
		return nil, err
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: bad request", ep)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	hr, err := c.HTTP(r.Provider, r.Hosts).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL, maybe with a secret
		}
		var he *HostError
		if errors.As(err, &he) {
			return nil, he
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", ep, ctx.Err())
		}
		return nil, fmt.Errorf("%s: %v", ep, scrubURL(err.Error(), r.URL))
	}
	defer hr.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading body: %v", ep, scrubURL(err.Error(), r.URL))
	}
	c.log.Debug("remediation request", "endpoint", ep, "status", hr.StatusCode, "ms", time.Since(start).Milliseconds())
	resp := &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: b}
	switch {
	case hr.StatusCode == http.StatusTooManyRequests,
		hr.StatusCode == http.StatusForbidden && hr.Header.Get("X-RateLimit-Remaining") == "0":
		return resp, &RateLimitError{Endpoint: ep, RetryAfter: retryAfter(hr.Header)}
	case hr.StatusCode >= 500:
		return resp, fmt.Errorf("%s: server error: HTTP %d", ep, hr.StatusCode)
	case hr.StatusCode >= 300 && hr.StatusCode < 400:
		return resp, fmt.Errorf("%s: unexpected redirect (HTTP %d), not followed", ep, hr.StatusCode)
	}
	return resp, nil
}

func scrubURL(s, rawURL string) string {
	if rawURL != "" {
		s = strings.ReplaceAll(s, rawURL, "[URL]")
	}
	return s
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if d := time.Until(time.Unix(n, 0)); d > 0 {
				return d
			}
		}
	}
	return 0
}

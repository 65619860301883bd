package remediate

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"nhiscan/internal/egress"
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
	// NoProxy connects directly, ignoring HTTPS_PROXY (scan --no-proxy).
	NoProxy bool
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
	tr, err := egress.NewTransport(egress.TransportOptions{
		Timeout: opts.Timeout, DialContext: opts.DialContext, RootCAs: opts.RootCAs, NoProxy: opts.NoProxy,
	})
	if err != nil {
		return nil, err
	}
	return &Client{opts: opts, tr: tr, log: log}, nil
}

// HostError is a refused destination (see package egress). It names the
// host, never a secret.
type HostError = egress.HostError

// checkURL allows https to a host in hosts (see egress.Check).
func checkURL(provider string, hosts []string, u *url.URL) error {
	return egress.Check(egress.Dest{Provider: provider, Hosts: hosts}, u)
}

// userAgent sets a default User-Agent on requests built by libraries.
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (t userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.ua)
	}
	return t.next.RoundTrip(req)
}

// HTTP returns an *http.Client for provider that may reach only hosts (for
// go-github and the AWS SDK). It never follows a redirect.
func (c *Client) HTTP(provider string, hosts []string) *http.Client {
	dest := &egress.Dest{Provider: provider, Hosts: hosts}
	return &http.Client{
		Transport:     userAgent{ua: c.opts.UserAgent, next: egress.Guard(c.tr, dest)},
		Timeout:       c.opts.Timeout,
		CheckRedirect: egress.CheckRedirect(0, dest),
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

// Evidence is "METHOD URL -> status", for the audit trail.
func (r *Response) Evidence(req Request) string {
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

func (r *Response) evidence(req Request) string { return r.Evidence(req) }

func scrubURL(s, rawURL string) string {
	if rawURL != "" {
		s = strings.ReplaceAll(s, rawURL, "[URL]")
	}
	return s
}

func retryAfter(h http.Header) time.Duration { return egress.RetryAfter(h, true) }

package verifiers

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"nhiscan/internal/egress"
)

// ClientOptions configure NewClient. The zero value is usable.
type ClientOptions struct {
	// Timeout bounds each request, body included (default 10 s).
	Timeout time.Duration
	// MaxRequests is the request budget of the run (default 10,000); once
	// spent, every check is Unknown "budget exhausted".
	MaxRequests int
	// PerProvider limits concurrent requests to one provider (default 4).
	PerProvider int
	// MaxRetryAfter is the longest Retry-After honoured by the single retry
	// after a 429 (default 2 s); longer waits give Unknown.
	MaxRetryAfter time.Duration
	// UserAgent is sent with every request (default "nhiscan-verifier").
	UserAgent string
	// Logger receives debug lines (never a secret). Default: discard.
	Logger *slog.Logger

	// DialContext replaces the dialer (tests: map official host names to a
	// local server while URLs keep the official host, so the host allowlist
	// is exercised for real).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs replaces the trusted roots (tests). Default: system roots plus
	// SSL_CERT_FILE.
	RootCAs *x509.CertPool
	// NoProxy connects directly, ignoring HTTPS_PROXY (scan --no-proxy).
	NoProxy bool
}

// Client is the one HTTP client verifiers may use. It sends only HTTPS to the
// calling verifier's Hosts(), honours HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE,
// bounds time, retries and requests, and turns rate limits, 5xx and HTML
// pages into errors (Unknown).
type Client struct {
	opts ClientOptions
	hc   *http.Client
	log  *slog.Logger
	used atomic.Int64

	mu   sync.Mutex
	sems map[string]*semaphore.Weighted
}

// ErrBudgetExhausted is returned once the run's request budget is spent.
var ErrBudgetExhausted = errors.New("budget exhausted")

// RateLimitError is a 429 that was not (or no longer) worth retrying.
type RateLimitError struct {
	RetryAfter time.Duration // 0 when the provider gave none
	Response   *Response     // the 429 answer, e.g. for OpenAI's insufficient_quota
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("rate limited, retry after %ds", int(e.RetryAfter.Round(time.Second)/time.Second))
	}
	return "rate limited"
}

// HostError is a refused destination (see package egress). It names the
// host, never the secret.
type HostError = egress.HostError

// Response is a fully read answer (body capped at 1 MiB).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

type ctxKey struct{}

type callInfo struct {
	provider string
	display  string // replaces the URL in Endpoint when the URL holds a secret
}

// NewClient builds the guarded client.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = 10000
	}
	if opts.PerProvider <= 0 {
		opts.PerProvider = 4
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 2 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "nhiscan-verifier"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr, err := egress.NewTransport(egress.TransportOptions{
		Timeout: opts.Timeout, MaxIdlePerHost: opts.PerProvider,
		DialContext: opts.DialContext, RootCAs: opts.RootCAs, NoProxy: opts.NoProxy,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{opts: opts, log: log, sems: map[string]*semaphore.Weighted{}}
	c.hc = &http.Client{Transport: egress.Guard(tr, nil), CheckRedirect: egress.CheckRedirect(3, nil)}
	return c, nil
}

// NewRequest builds a request of verifier v. It refuses any scheme but https
// and any host not in v.Hosts(), before anything is sent.
func (c *Client) NewRequest(ctx context.Context, v Verifier, method, rawURL string, body []byte) (*http.Request, error) {
	return c.newRequest(ctx, v, method, rawURL, "", body)
}

// NewRequestSecretInURL is NewRequest for APIs that carry the credential in
// the URL itself (Telegram bots, Discord webhooks): display (e.g.
// "https://api.telegram.org/bot[REDACTED]/getMe") replaces the URL in
// Endpoint, errors and logs.
func (c *Client) NewRequestSecretInURL(ctx context.Context, v Verifier, method, rawURL, display string, body []byte) (*http.Request, error) {
	if display == "" {
		return nil, fmt.Errorf("%s: a display URL is required", v.Provider())
	}
	return c.newRequest(ctx, v, method, rawURL, display, body)
}

func (c *Client) newRequest(ctx context.Context, v Verifier, method, rawURL, display string, body []byte) (*http.Request, error) {
	dest := egress.Dest{Provider: v.Provider(), Hosts: slices.Clone(v.Hosts())}
	u, err := egress.CheckRaw(dest, rawURL)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	ctx = egress.WithDest(context.WithValue(ctx, ctxKey{}, callInfo{provider: v.Provider(), display: display}), dest)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: bad request", v.Provider())
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Endpoint describes req for results and logs: method, scheme, host and
// path; never the query, headers or user info. For requests built by
// NewRequestSecretInURL it is the display URL.
func Endpoint(req *http.Request) string {
	if ci, ok := req.Context().Value(ctxKey{}).(callInfo); ok && ci.display != "" {
		return req.Method + " " + ci.display
	}
	return req.Method + " " + req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
}

// Used reports how many requests were sent so far.
func (c *Client) Used() int { return int(c.used.Load()) }

func (c *Client) sem(provider string) *semaphore.Weighted {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sems[provider]
	if !ok {
		s = semaphore.NewWeighted(int64(c.opts.PerProvider))
		c.sems[provider] = s
	}
	return s
}

// Do sends req (built by NewRequest for v) and reads the answer. It returns
// an error (meaning Unknown) for a refused host, a network error or timeout,
// an exhausted budget, a 429 (after at most one retry following a
// Retry-After ≤ MaxRetryAfter), any 5xx, and any HTML page. Other statuses
// are returned for the verifier to interpret.
func (c *Client) Do(v Verifier, req *http.Request) (*Response, error) {
	ci, ok := req.Context().Value(ctxKey{}).(callInfo)
	if !ok || ci.provider != v.Provider() {
		return nil, fmt.Errorf("refused: %s: request not built by NewRequest for this verifier", v.Provider())
	}
	if err := egress.Check(egress.Dest{Provider: v.Provider(), Hosts: v.Hosts()}, req.URL); err != nil {
		return nil, err
	}
	ep := Endpoint(req)
	ctx := req.Context()
	sem := c.sem(v.Provider())
	if err := sem.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("%s: %w", ep, ctxErr(ctx, err))
	}
	defer sem.Release(1)
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				b, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("%s: retry: %w", ep, err)
				}
				r.Body = b
			}
		}
		resp, err := c.once(r, ep)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			ra := retryAfter(resp.Header)
			if attempt == 0 && ra > 0 && ra <= c.opts.MaxRetryAfter {
				t := time.NewTimer(ra)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil, fmt.Errorf("%s: %w", ep, ctxErr(ctx, ctx.Err()))
				case <-t.C:
				}
				continue
			}
			return resp, &RateLimitError{RetryAfter: ra, Response: resp}
		}
		if resp.StatusCode >= 500 {
			return nil, fmt.Errorf("%s: server error: HTTP %d", ep, resp.StatusCode)
		}
		if isHTML(resp) {
			return nil, fmt.Errorf("%s: unexpected HTML page (HTTP %d): WAF, proxy or captive portal", ep, resp.StatusCode)
		}
		return resp, nil
	}
}

func (c *Client) once(req *http.Request, ep string) (*Response, error) {
	if c.used.Add(1) > int64(c.opts.MaxRequests) {
		return nil, ErrBudgetExhausted
	}
	ctx, cancel := context.WithTimeout(req.Context(), c.opts.Timeout)
	defer cancel()
	start := time.Now()
	hr, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var he *HostError
		if errors.As(err, &he) {
			return nil, he
		}
		if ctx.Err() != nil {
			err = ctxErr(ctx, ctx.Err())
			if req.Context().Err() == nil {
				err = fmt.Errorf("timeout after %s", c.opts.Timeout)
			}
		}
		c.log.Debug("verify request failed", "endpoint", ep, "err", err.Error())
		return nil, fmt.Errorf("%s: %w", ep, err)
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	if err != nil {
		if ctx.Err() != nil && req.Context().Err() == nil {
			err = fmt.Errorf("timeout after %s", c.opts.Timeout)
		}
		return nil, fmt.Errorf("%s: reading body: %w", ep, err)
	}
	if ctx.Err() != nil {
		// The answer arrived as the deadline or cancellation hit: not trusted.
		err := ctxErr(ctx, ctx.Err())
		if req.Context().Err() == nil {
			err = fmt.Errorf("timeout after %s", c.opts.Timeout)
		}
		return nil, fmt.Errorf("%s: %w", ep, err)
	}
	c.log.Debug("verify request", "endpoint", ep, "status", hr.StatusCode, "ms", time.Since(start).Milliseconds())
	return &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: body}, nil
}

func ctxErr(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return errors.New("cancelled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("deadline exceeded")
	}
	return err
}

func retryAfter(h http.Header) time.Duration { return egress.RetryAfter(h, false) }

func isHTML(r *Response) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.ToLower(bytes.TrimSpace(r.Body[:min(len(r.Body), 64)]))
	return bytes.HasPrefix(b, []byte("<!doctype html")) || bytes.HasPrefix(b, []byte("<html"))
}

// HTTPClient returns an *http.Client for libraries that make their own
// requests (go-github): every request it sends is rebuilt with NewRequest
// for v and sent with Do, so the host allowlist, budget, limits and
// Retry-After handling all apply, and 429, 5xx and HTML answers come back
// as errors.
func (c *Client) HTTPClient(v Verifier) *http.Client {
	return &http.Client{Transport: adapter{c: c, v: v}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // Do has already followed allowed redirects
	}}
}

type adapter struct {
	c *Client
	v Verifier
}

func (a adapter) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: reading request body: %w", a.v.Provider(), err)
		}
		body = b
	}
	r, err := a.c.NewRequest(req.Context(), a.v, req.Method, req.URL.String(), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		if k == "User-Agent" {
			continue
		}
		r.Header[k] = vs
	}
	resp, err := a.c.Do(a.v, r)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), StatusCode: resp.StatusCode,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)), Request: req,
	}, nil
}

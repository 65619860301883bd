package remediate

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"nhiscan/finding"
)

// The remediation kit: what a provider package (providers/<name>) writes
// its revocation, rotation and re-verification with. The engine (Plan,
// Apply, policy, audit, tickets) never needs to know a provider's API.

// Simple is a revocation made of a fixed sequence of HTTP calls that the
// provider's own credential authorises (self-revocation), or an operator
// credential does. Plan shows the calls; Apply sends them in order, each
// answer read by Interpret before the next call.
type Simple struct {
	Provider string
	// Hosts are the hosts the calls may reach (fixed official hosts, or the
	// one host of the operator's config); an error blocks the action.
	Hosts func(env *Env) ([]string, error)
	// Calls builds the requests (with secrets) and their plan lines
	// (without). A request URL or body may hold "{name}", replaced by the
	// value an earlier answer's Interpret stored in carry[name].
	Calls func(env *Env, f *finding.Finding) ([]Request, []Call, error)
	// Interpret maps the i-th answer: nil goes on; an error wrapping
	// ErrAlreadyDone or ErrDenied, a *BlockedError or any other error stops.
	Interpret func(i int, resp *Response, req Request, carry map[string]string) error
	// Operator names the operator credential the calls sign with ("" when
	// only the leaked credential itself signs them): the engine then acts
	// only on a credential this run verified live with its own secret.
	Operator string
}

// OperatorCredential implements Action.
func (s Simple) OperatorCredential() string { return s.Operator }

// Fixed is a Simple.Hosts for a provider's fixed official hosts.
func Fixed(hs ...string) func(*Env) ([]string, error) {
	return func(*Env) ([]string, error) { return hs, nil }
}

// Plan implements Action.
func (s Simple) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	if _, err := s.Hosts(env); err != nil {
		return nil, err
	}
	_, calls, err := s.Calls(env, f)
	return calls, err
}

// Apply implements Action.
func (s Simple) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	hosts, err := s.Hosts(env)
	if err != nil {
		return nil, err
	}
	reqs, _, err := s.Calls(env, f)
	if err != nil {
		return nil, err
	}
	var ev []string
	carry := map[string]string{}
	for i, req := range reqs {
		req.Provider, req.Hosts = s.Provider, hosts
		for k, v := range carry { // ids learnt from an earlier answer
			req.URL = strings.ReplaceAll(req.URL, "{"+k+"}", url.PathEscape(v))
			req.Body = []byte(strings.ReplaceAll(string(req.Body), "{"+k+"}", v))
		}
		resp, err := env.Client.Do(ctx, req)
		if err != nil {
			return ev, err
		}
		ev = append(ev, resp.Evidence(req))
		if err := s.Interpret(i, resp, req, carry); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// DeniedErr is the error for an answer refusing the call for lack of
// permission (wraps ErrDenied).
func DeniedErr(req Request, status int) error {
	return fmt.Errorf("%s: HTTP %d: %w", req.Endpoint(), status, ErrDenied)
}

// AlreadyErr is the error for an answer saying the credential is already
// revoked or gone (wraps ErrAlreadyDone).
func AlreadyErr(req Request, status int, what string) error {
	return fmt.Errorf("%s: HTTP %d %s: %w", req.Endpoint(), status, what, ErrAlreadyDone)
}

// StatusErr is the error for any other answer: endpoint, status and what
// it means, never the body.
func StatusErr(ep string, status int, what string) error {
	return fmt.Errorf("%s: HTTP %d: %s", ep, status, what)
}

// errf is StatusErr (its name in the engine's files).
var errf = StatusErr

// Blocked is a *BlockedError: the action cannot be applied to this
// credential, and the reason says why for the reader of the plan.
func Blocked(format string, a ...any) error { return blocked(format, a...) }

// Header builds request headers from name, value pairs.
func Header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// ConfiguredBase parses an operator-configured base URL (https only) and
// returns it without a trailing slash, and its host[:port] as the only
// allowed host. An empty raw blocks (what names the missing setting).
func ConfiguredBase(what, raw string) (base, host string, err error) {
	if raw == "" {
		return "", "", blocked("%s: no address configured", what)
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", "", fmt.Errorf("%s: %q: want an https URL", what, raw)
	}
	return u.Scheme + "://" + u.Host + u.Path, strings.ToLower(u.Host), nil
}

// StatusMap is a Simple.Interpret by status alone: a nil error means
// success, others (ErrAlreadyDone, ErrDenied…) are wrapped with the
// endpoint; an unlisted status is an error.
func StatusMap(m map[int]error) func(int, *Response, Request, map[string]string) error {
	return func(_ int, resp *Response, req Request, _ map[string]string) error {
		e, ok := m[resp.StatusCode]
		switch {
		case !ok:
			return errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
		case e == nil:
			return nil
		}
		return fmt.Errorf("%s: HTTP %d: %w", req.Endpoint(), resp.StatusCode, e)
	}
}

// HTTPCheck is a Checker that re-verifies with one request on the hosts
// of the operator's remediation config: 200 live, a Dead status dead,
// anything else unknown.
type HTTPCheck struct {
	Provider string
	Hosts    func(env *Env) ([]string, error)
	Build    func(env *Env, f *finding.Finding) Request
	Dead     []int
}

// Check implements Checker.
func (c HTTPCheck) Check(ctx context.Context, env *Env, f *finding.Finding) *finding.Verification {
	hosts, err := c.Hosts(env)
	if err != nil {
		return nil
	}
	req := c.Build(env, f)
	req.Provider, req.Hosts = c.Provider, hosts
	now := env.now().UTC()
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return &finding.Verification{Status: finding.StatusUnknown, Reason: err.Error(), CheckedAt: now, Endpoint: req.Endpoint()}
	}
	if resp.StatusCode == 200 {
		return &finding.Verification{Status: finding.StatusLive, CheckedAt: now, Endpoint: req.Endpoint()}
	}
	for _, d := range c.Dead {
		if resp.StatusCode == d {
			return &finding.Verification{Status: finding.StatusDead, Reason: fmt.Sprintf("HTTP %d", d), CheckedAt: now, Endpoint: req.Endpoint()}
		}
	}
	return &finding.Verification{Status: finding.StatusUnknown, Reason: fmt.Sprintf("HTTP %d", resp.StatusCode), CheckedAt: now, Endpoint: req.Endpoint()}
}

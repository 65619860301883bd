package remediate

import (
	"errors"
	"fmt"
	"nhiscan/finding"
	"time"
)

// Kind is a remediation action.
type Kind string

// The actions remediate knows.
const (
	Revoke Kind = "revoke" // make the credential unusable at its provider
	Rotate Kind = "rotate" // issue a replacement, store it, then disable the old one
	Ticket Kind = "ticket" // open or update a ticket for the credential's owner
)

// Call is one API call an action makes, described without any secret.
type Call struct {
	Method string `json:"method"`
	URL    string `json:"url"`            // never holds a secret (tokens in URLs are shown as [REDACTED])
	Auth   string `json:"auth,omitempty"` // which credential signs it: "leaked token", "operator GITHUB_TOKEN", "none"
	Why    string `json:"why,omitempty"`
}

func (c Call) String() string {
	s := c.Method + " " + c.URL
	if c.Auth != "" {
		s += " (auth: " + c.Auth + ")"
	}
	if c.Why != "" {
		s += " — " + c.Why
	}
	return s
}

// Step is one planned action on one finding.
type Step struct {
	Fingerprint string `json:"fingerprint"`
	Provider    string `json:"provider"`
	Target      string `json:"target"` // redacted secret plus identity, e.g. "ghp_***** (login octocat)"
	Kind        Kind   `json:"kind"`
	// Calls are the API calls Apply would make, in order.
	Calls []Call `json:"calls,omitempty"`
	// Rule is the policy rule that chose the step; Why says what it matched.
	Rule string `json:"rule"`
	Why  string `json:"why"`
	// Blocked, when set, says why the step cannot be applied (no API, secret
	// not in the report, ASIA key, missing operator configuration, rate
	// budget spent…); Apply records it as skipped.
	Blocked string `json:"blocked,omitempty"`
	// Fallback are the actions to take when this one is denied or impossible.
	Fallback []Kind `json:"fallback,omitempty"`
	// Operator names the operator credential the action uses ("" when it
	// signs only with the leaked credential): Apply runs it only after
	// this run verified the leaked credential itself live.
	Operator string `json:"operator,omitempty"`
	// Targets are the rotation destination places a rotate step
	// overwrites (see Destination.Targets).
	Targets []string `json:"targets,omitempty"`
}

// Refusal is a finding the plan will not act on at all, and why (an
// invalid fingerprint). Fingerprint is quoted and cut short.
type Refusal struct {
	Fingerprint string `json:"fingerprint"`
	Reason      string `json:"reason"`
}

// Plan is what Apply would do, finding by finding, in order.
type Plan struct {
	CreatedAt time.Time `json:"created_at"`
	Policy    string    `json:"policy"` // policy source and SHA-256, e.g. "policy.toml sha256:ab12…"
	Mode      string    `json:"mode"`   // the policy's mode: plan or apply
	Steps     []Step    `json:"steps"`
	// Refused are findings left out of the plan, with the reason.
	Refused []Refusal `json:"refused,omitempty"`
	// Findings are the findings the plan is about, by fingerprint (secrets
	// included in memory only; never serialised).
	findings map[string]*finding.Finding
}

// Finding returns the finding a step is about.
func (p *Plan) Finding(fp string) *finding.Finding { return p.findings[fp] }

// Outcome is what happened to one step.
type Outcome string

// Outcomes of a step.
const (
	Planned  Outcome = "planned"  // recorded by Plan
	Done     Outcome = "done"     // the provider accepted the action
	Already  Outcome = "already"  // nothing to do: already revoked, ticket up to date
	Denied   Outcome = "denied"   // the provider refused: not allowed with the credential used
	Deferred Outcome = "deferred" // rate limited or budget spent: queued for a later run
	Failed   Outcome = "failed"   // anything else; Detail says what
	Skipped  Outcome = "skipped"  // blocked at plan time, or the mode does not allow applying
)

// Result is the outcome of one applied step.
type Result struct {
	Step      Step      `json:"step"`
	Outcome   Outcome   `json:"outcome"`
	Detail    string    `json:"detail,omitempty"`
	Evidence  []string  `json:"evidence,omitempty"` // "POST https://api.github.com/credentials/revoke -> 202"
	RetryAt   time.Time `json:"retry_at,omitzero"`
	TicketURL string    `json:"ticket_url,omitempty"`
	TicketKey string    `json:"ticket_key,omitempty"`
	// TicketState is open or closed after a ticket step.
	TicketState string                `json:"ticket_state,omitempty"`
	Before      *finding.Verification `json:"before,omitempty"`
	After       *finding.Verification `json:"after,omitempty"`
}

// Errors a provider action returns to say what kind of failure it met. They
// are matched with errors.Is / errors.As; their text never holds a secret.
var (
	// ErrDenied: the provider refused the call for lack of permission.
	ErrDenied = errors.New("permission denied")
	// ErrAlreadyDone: the credential is already revoked (or the ticket is
	// already in the wanted state); nothing was changed.
	ErrAlreadyDone = errors.New("already done")
	// ErrUnsupported: the provider has no API for the action.
	ErrUnsupported = errors.New("not supported by the provider's API")
)

// RateLimitError is a rate-limited call: retry after RetryAfter (0 when the
// provider did not say).
type RateLimitError struct {
	Endpoint   string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s: rate limited, retry after %s", e.Endpoint, e.RetryAfter.Round(time.Second))
	}
	return e.Endpoint + ": rate limited"
}

// BlockedError says why an action cannot be applied to a credential at all
// (an ASIA session key, no secret in the report, missing configuration).
type BlockedError struct{ Reason string }

func (e *BlockedError) Error() string { return e.Reason }

func blocked(format string, a ...any) error { return &BlockedError{Reason: fmt.Sprintf(format, a...)} }

// IsAlreadyDone reports whether err says nothing needed doing.
func IsAlreadyDone(err error) bool { return errors.Is(err, ErrAlreadyDone) }

func asRateLimit(err error, rl **RateLimitError) bool { return errors.As(err, rl) }

func timeUntil(t time.Time) time.Duration {
	if d := time.Until(t); d > 0 {
		return d
	}
	return 0
}

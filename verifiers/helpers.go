package verifiers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// The verification kit: small helpers a provider's Verify is written with
// (see providers/doc.go). None of them logs, and none of their errors or
// results holds a secret as long as the URL and headers given hold the
// secret only in headers.

// Call builds one request of v with the given headers and sends it through
// c (NewRequest then Do). ep is the request's Endpoint, set whenever the
// request could be built, for the Result.
func Call(ctx context.Context, c *Client, v Verifier, method, url string, headers map[string]string) (resp *Response, ep string, err error) {
	req, err := c.NewRequest(ctx, v, method, url, nil)
	if err != nil {
		return nil, "", err
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	ep = Endpoint(req)
	resp, err = c.Do(v, req)
	return resp, ep, err
}

// Decode parses a JSON body into into; the error names ep and the status,
// never the body (which may echo the credential).
func Decode(resp *Response, ep string, into any) error {
	if err := json.Unmarshal(resp.Body, into); err != nil {
		return fmt.Errorf("%s: HTTP %d with an unparsable body", ep, resp.StatusCode)
	}
	return nil
}

// Unexpected is the error for a status the provider does not document for
// this call: the credential is then Unknown.
func Unexpected(resp *Response, ep string) error {
	return fmt.Errorf("%s: unexpected HTTP %d", ep, resp.StatusCode)
}

// DeadResult is the Result for the provider's documented answer to an
// invalid or revoked credential.
func DeadResult(ep, reason string) Result { return Result{Status: Dead, Reason: reason, Endpoint: ep} }

// LiveResult is the Result for an accepted credential: empty identity
// values are dropped and an empty privilege level becomes "unknown".
func LiveResult(ep string, id map[string]string, p Privileges) Result {
	if p.Level == "" {
		p.Level = "unknown"
	}
	for k, v := range id {
		if v == "" {
			delete(id, k)
		}
	}
	return Result{Status: Live, Reason: "accepted by the provider", Endpoint: ep, Identity: id, Privileges: p}
}

// UnknownResult is a Result that sent nothing and says why (a missing
// companion, a kind of credential that is not verified by design).
func UnknownResult(reason string) Result { return Result{Status: Unknown, Reason: reason} }

// OfflineOnly is the Reason of every result of an offline verifier
// (private keys, database URLs): nothing was sent, the status is Unknown
// by design. Callers that gate on "unverified" can test for it.
const OfflineOnly = "offline analysis only"

// Quote quotes a non-secret value (an error code, a host) for a Reason.
func Quote(s string) string { return fmt.Sprintf("%q", s) }

// SplitScopes splits a comma-separated scope header (X-OAuth-Scopes and
// the like) into trimmed, non-empty scopes.
func SplitScopes(h string) []string {
	var out []string
	for s := range strings.SplitSeq(h, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// JWTClaims decodes a JWT's payload without checking its signature: for
// identity fields only, never for a decision. nil when tok is no JWT.
func JWTClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

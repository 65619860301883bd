package verifiers

import (
	"context"
	"encoding/json"
	"fmt"
)

// call builds and sends one request of v with the given headers.
func call(ctx context.Context, c *Client, v Verifier, method, url string, headers map[string]string) (*Response, string, error) {
	req, err := c.NewRequest(ctx, v, method, url, nil)
	if err != nil {
		return nil, "", err
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	ep := Endpoint(req)
	resp, err := c.Do(v, req)
	return resp, ep, err
}

// decode parses a JSON body; the error never quotes the body.
func decode(resp *Response, ep string, into any) error {
	if err := json.Unmarshal(resp.Body, into); err != nil {
		return fmt.Errorf("%s: HTTP %d with an unparsable body", ep, resp.StatusCode)
	}
	return nil
}

// unexpected is the error for an undocumented status.
func unexpected(resp *Response, ep string) error {
	return fmt.Errorf("%s: unexpected HTTP %d", ep, resp.StatusCode)
}

func dead(ep, reason string) Result { return Result{Status: Dead, Reason: reason, Endpoint: ep} }

func live(ep string, id map[string]string, p Privileges) Result {
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

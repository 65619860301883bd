package verifiers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// OpenAI verifies OpenAI keys with GET https://api.openai.com/v1/me (never a
// completion call: those cost money).
type OpenAI struct{}

var _ Verifier = (*OpenAI)(nil)

func (*OpenAI) Provider() string { return "openai" }
func (*OpenAI) Hosts() []string  { return []string{"api.openai.com"} }

func (v *OpenAI) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	secret := cred.Secret
	resp, ep, err := call(ctx, c, v, "GET", "https://api.openai.com/v1/me", map[string]string{"Authorization": "Bearer " + secret})
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		var b struct {
			Error struct {
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"error"`
		}
		if json.Unmarshal(rl.Response.Body, &b) == nil && (b.Error.Code == "insufficient_quota" || b.Error.Type == "insufficient_quota") {
			// The key authenticated; the account has no quota left.
			return live(ep, map[string]string{}, Privileges{Flags: []string{"quota-exhausted"}}), nil
		}
	}
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
			Orgs  struct {
				Data []struct {
					ID    string `json:"id"`
					Title string `json:"title"`
					Role  string `json:"role"`
				} `json:"data"`
			} `json:"orgs"`
		}
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		id := map[string]string{"id": b.ID, "email": b.Email, "name": b.Name}
		var orgs []string
		p := Privileges{}
		for _, o := range b.Orgs.Data {
			orgs = append(orgs, o.ID)
			if o.Role == "owner" {
				p.Flags = append(p.Flags, "org-admin")
			}
		}
		id["orgs"] = strings.Join(orgs, ",")
		return live(ep, id, p), nil
	case 401:
		return dead(ep, "invalid API key (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// openaiShapes are the forms of OpenAI credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var openaiShapes = [2]*lazyRE{lazyRegexp(`^sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{8,150}T3BlbkFJ[A-Za-z0-9_-]{8,150}$`), lazyRegexp(`^sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,300}|[A-Za-z0-9]{48})$`)}

// Owns implements Shaper.
func (*OpenAI) Owns(secret string) Shape { return shapeOf(secret, openaiShapes[0], openaiShapes[1]) }

var _ Shaper = (*OpenAI)(nil)

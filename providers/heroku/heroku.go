// Package heroku is nhiscan's Heroku provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package heroku

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strings"
)

// Provider verifies API keys and OAuth tokens with GET https://api.heroku.com/account.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)

func (*Provider) Provider() string { return "heroku" }
func (*Provider) Hosts() []string  { return []string{"api.heroku.com"} }

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://api.heroku.com/account", map[string]string{
		"Authorization": "Bearer " + cred.Secret, "Accept": "application/vnd.heroku+json; version=3",
	})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Name  string `json:"name"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an account", ep)
		}
		return verifiers.LiveResult(ep, map[string]string{"id": b.ID, "email": b.Email, "name": b.Name}, verifiers.Privileges{}), nil
	case 401:
		return verifiers.DeadResult(ep, "heroku: unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// herokuShapes are the forms of Heroku credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var herokuShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^HRKU-[A-Za-z0-9_-]{58,64}$`), verifiers.LazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, herokuShapes[0], herokuShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Heroku: find the authorization whose access token is the leaked one,
// delete it. GET /oauth/authorizations/~ is never used: it answers the
// account's API Key authorization, not the caller's (heroku-cli-util
// lib/auth.js), and deleting it would break the account's integrations
// while the leaked token stays live. The list is matched on
// access_token.token (Heroku Platform API "OAuth Authorization", read
// 2026-12); when no single authorization carries the leaked token, the
// step is blocked and a ticket says how to revoke it by hand.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "heroku", Manual: "Heroku → Account settings → Applications → Authorizations → Revoke (heroku authorizations, then heroku authorizations:revoke ID)",
		Revoke: remediate.Simple{Provider: "heroku", Hosts: remediate.Fixed("api.heroku.com"),
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				a := remediate.Header("Authorization", "Bearer "+f.Secret, "Accept", "application/vnd.heroku+json; version=3")
				l, d := "https://api.heroku.com/oauth/authorizations", "https://api.heroku.com/oauth/authorizations/{id}"
				return []remediate.Request{{Method: "GET", URL: l, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]remediate.Call{{Method: "GET", URL: l, Auth: "the leaked token itself", Why: "list the account's authorizations; the one whose access token is the leaked token is the one to delete (never /oauth/authorizations/~, the account's API key)"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete that authorization only: its id comes from the matching entry"}}, nil
			},
			Interpret: func(i int, resp *remediate.Response, req remediate.Request, carry map[string]string) error {
				if i == 0 {
					if resp.StatusCode == 401 {
						return remediate.AlreadyErr(req, 401, "token not valid")
					}
					if resp.StatusCode != 200 && resp.StatusCode != 206 {
						return remediate.StatusErr(req.Endpoint(), resp.StatusCode, "cannot list authorizations")
					}
					id, err := herokuOwnAuthorization(resp.Body, req.Header.Get("Authorization"))
					if err != nil {
						return err
					}
					carry["id"] = id
					return nil
				}
				return remediate.StatusMap(map[int]error{200: nil, 204: nil, 401: remediate.ErrAlreadyDone, 404: remediate.ErrAlreadyDone, 403: remediate.ErrDenied})(i, resp, req, carry)
			}}}
}

// herokuOwnAuthorization returns the id of the one authorization in body
// (GET /oauth/authorizations) whose access token is the token of auth
// ("Bearer TOKEN"). The list holds the account's other tokens: they are
// compared in constant time and never kept, logged or returned.
func herokuOwnAuthorization(body []byte, auth string) (string, error) {
	tok := strings.TrimPrefix(auth, "Bearer ")
	var list []struct {
		ID          string `json:"id"`
		AccessToken *struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("heroku: unparsable authorization list")
	}
	var ids []string
	for _, a := range list {
		if a.AccessToken != nil && a.ID != "" && subtle.ConstantTimeCompare([]byte(a.AccessToken.Token), []byte(tok)) == 1 {
			ids = append(ids, a.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", remediate.Blocked("heroku: none of the account's %d authorizations shows the leaked token, so the one to delete cannot be identified (the account API key, or a token Heroku no longer lists): revoke it by hand", len(list))
	}
	return "", remediate.Blocked("heroku: %d authorizations show the leaked token: revoke it by hand", len(ids))
}

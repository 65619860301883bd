// Package dockerhub is nhiscan's Docker Hub provider: the shape of its credentials,
// their parts, their verification (see package providers).
package dockerhub

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/verifiers"
)

// Provider verifies personal and organisation access tokens by
// exchanging them, with their username, at
// POST https://hub.docker.com/v2/auth/token (the token the answer carries
// is dropped unused; Docker Hub API reference "Create access token", read
// 2026-12: 200 with access_token, 401 for a wrong identifier or secret).
// The username must be found beside the token.
//
// A second factor is never asked for an access token: login_2fa_token
// belongs to the deprecated password login POST /v2/users/login ("Create
// an authentication token"), not to /v2/auth/token, so a 401 carrying it
// is not a documented answer here and is Unknown.
//
// Unknown by design: a token without its username.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "dockerhub" }
func (*Provider) Hosts() []string  { return []string{"hub.docker.com"} }

var (
	dockerUser      = verifiers.Labelled(`docker_?hub_?user(?:name)?|docker_?user(?:name)?|docker_?login|registry_?user(?:name)?|username|user|identifier`, `[a-z0-9][a-z0-9._-]{1,38}`)
	dockerLoginFlag = verifiers.LazyRegexp(`docker\s+login\b[^\n]*?\s(?:-u|--username)[ =]["']?([a-z0-9][a-z0-9._-]{1,38})`)
)

// Pair finds the Docker Hub username near the token.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	user := verifiers.Nearest(s.Context, s.Secret, dockerLoginFlag)
	if user == "" {
		user = verifiers.Nearest(s.Context, s.Secret, dockerUser)
	}
	return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("username", user)}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	user := cred.Companions["username"]
	if user == "" {
		return verifiers.UnknownResult("dockerhub: no username beside the token"), nil
	}
	body, _ := json.Marshal(map[string]string{"identifier": user, "secret": cred.Secret})
	req, err := c.NewRequest(ctx, v, "POST", "https://hub.docker.com/v2/auth/token", body)
	if err != nil {
		return verifiers.Result{}, err
	}
	ep := verifiers.Endpoint(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	var b struct {
		AccessToken string `json:"access_token"`
		TwoFA       string `json:"login_2fa_token"`
	}
	switch resp.StatusCode {
	case 200:
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.AccessToken == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a token", ep)
		}
		p := verifiers.Privileges{Level: "unknown"}
		if scope, _ := verifiers.JWTClaims(b.AccessToken)["scope"].(string); scope != "" {
			p.Scopes = verifiers.SplitScopes(scope)
			p.Level = dockerLevel(p.Scopes)
		}
		return verifiers.LiveResult(ep, map[string]string{"username": user}, p), nil
	case 401:
		if json.Unmarshal(resp.Body, &b) == nil && b.TwoFA != "" {
			// The password-login answer, undocumented for access tokens.
			return verifiers.Result{Status: verifiers.Unknown, Endpoint: ep, Reason: "dockerhub: HTTP 401 asking for a second factor, which /v2/auth/token does not document"}, nil
		}
		return verifiers.DeadResult(ep, "dockerhub: incorrect username or token (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

func dockerLevel(scopes []string) string {
	level := "read"
	for _, s := range scopes {
		switch s {
		case "repo:admin":
			return "admin"
		case "repo:write":
			level = "write"
		}
	}
	return level
}

// dockerhubShapes are the forms of DockerHub credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var dockerhubShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, dockerhubShapes[0], dockerhubShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

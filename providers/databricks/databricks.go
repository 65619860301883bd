// Package databricks is nhiscan's Databricks provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package databricks

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"slices"
	"strings"
)

// Provider verifies personal access tokens with
// GET https://{workspace}/api/2.0/preview/scim/v2/Me (Bearer), only on
// workspaces named in the operator's config (verify.hosts.databricks).
type Provider struct {
	// Workspaces are the workspace hosts of the operator's config.
	Workspaces []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string  { return "databricks" }
func (v *Provider) Hosts() []string { return slices.Clone(v.Workspaces) }
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	return verifiers.SelfHostedPair(s, v.Workspaces)
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	host, r := verifiers.SelfHostedHost("databricks", cred, v.Workspaces)
	if r != nil {
		return *r, nil
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/api/2.0/preview/scim/v2/Me", map[string]string{"Authorization": "Bearer " + cred.Secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
			Groups   []struct {
				Display string `json:"display"`
			} `json:"groups"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.UserName == "" && b.ID == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		p := verifiers.Privileges{Level: "unknown"}
		var groups []string
		for _, g := range b.Groups {
			groups = append(groups, g.Display)
			if g.Display == "admins" {
				p.Level, p.Flags = "admin", []string{"workspace-admin"}
			}
		}
		return verifiers.LiveResult(ep, map[string]string{"host": host, "user": b.UserName, "id": b.ID, "groups": strings.Join(groups, ",")}, p), nil
	case 401:
		return verifiers.DeadResult(ep, "databricks: unauthorized (HTTP 401)"), nil
	case 403:
		var b struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(resp.Body, &b) == nil && strings.Contains(strings.ToLower(b.Message), "invalid access token") {
			return verifiers.DeadResult(ep, "databricks: invalid access token (HTTP 403)"), nil
		}
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// databricksShapes are the forms of Databricks credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var databricksShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^dapi[a-f0-9]{32}(?:-\d)?$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, databricksShapes[0], databricksShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// Databricks: list the caller's tokens, delete the one in use.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	dbHosts := func(env *remediate.Env) ([]string, error) {
		_, h, err := remediate.ConfiguredBase("databricks ([providers.databricks] host)", prefixHTTPS(env.Config.Databricks.Host))
		return []string{h}, err
	}
	return &remediate.Registration{Provider: "databricks", Manual: "Databricks → User settings → Developer → Access tokens → Revoke",
		Revoke: remediate.Simple{Provider: "databricks", Hosts: dbHosts,
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				b := prefixHTTPS(env.Config.Databricks.Host)
				a := remediate.Header("Authorization", "Bearer "+f.Secret)
				return []remediate.Request{{Method: "GET", URL: b + "/api/2.0/token/list", Header: a},
						{Method: "POST", URL: b + "/api/2.0/token/delete", Header: a, Body: []byte(`{"token_id":"{id}"}`)}},
					[]remediate.Call{{Method: "GET", URL: b + "/api/2.0/token/list", Auth: "the leaked token itself", Why: "find the token's id"},
						{Method: "POST", URL: b + "/api/2.0/token/delete", Auth: "the leaked token itself", Why: "delete it"}}, nil
			},
			Interpret: func(i int, resp *remediate.Response, req remediate.Request, carry map[string]string) error {
				if i == 0 {
					if resp.StatusCode == 401 || resp.StatusCode == 403 {
						return remediate.AlreadyErr(req, resp.StatusCode, "token not valid")
					}
					var b struct {
						TokenInfos []struct {
							TokenID string `json:"token_id"`
						} `json:"token_infos"`
					}
					if resp.StatusCode != 200 || json.Unmarshal(resp.Body, &b) != nil || len(b.TokenInfos) != 1 {
						return remediate.Blocked("databricks: cannot tell which of the user's tokens leaked: revoke it by hand")
					}
					carry["id"] = b.TokenInfos[0].TokenID
					return nil
				}
				return remediate.StatusMap(map[int]error{200: nil, 401: remediate.ErrAlreadyDone, 404: remediate.ErrAlreadyDone, 403: remediate.ErrDenied})(i, resp, req, carry)
			}}}
}

func prefixHTTPS(h string) string {
	if h == "" || strings.Contains(h, "://") {
		return h
	}
	return "https://" + h
}

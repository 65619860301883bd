package verifiers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Databricks verifies personal access tokens with
// GET https://{workspace}/api/2.0/preview/scim/v2/Me (Bearer), only on
// workspaces named in the operator's config (verify.hosts.databricks).
type Databricks struct {
	// Workspaces are the workspace hosts of the operator's config.
	Workspaces []string
}

var _ Verifier = (*Databricks)(nil)
var _ Pairer = (*Databricks)(nil)

func (*Databricks) Provider() string             { return "databricks" }
func (v *Databricks) Hosts() []string            { return slices.Clone(v.Workspaces) }
func (v *Databricks) Pair(s Sighting) Credential { return selfHostedPair(s, v.Workspaces) }

func (v *Databricks) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	host, r := selfHostedHost("databricks", cred, v.Workspaces)
	if r != nil {
		return *r, nil
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://"+host+"/api/2.0/preview/scim/v2/Me", map[string]string{"Authorization": "Bearer " + cred.Secret})
	if err != nil {
		return Result{Endpoint: ep}, err
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
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.UserName == "" && b.ID == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		p := Privileges{Level: "unknown"}
		var groups []string
		for _, g := range b.Groups {
			groups = append(groups, g.Display)
			if g.Display == "admins" {
				p.Level, p.Flags = "admin", []string{"workspace-admin"}
			}
		}
		return live(ep, map[string]string{"host": host, "user": b.UserName, "id": b.ID, "groups": strings.Join(groups, ",")}, p), nil
	case 401:
		return dead(ep, "databricks: unauthorized (HTTP 401)"), nil
	case 403:
		var b struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(resp.Body, &b) == nil && strings.Contains(strings.ToLower(b.Message), "invalid access token") {
			return dead(ep, "databricks: invalid access token (HTTP 403)"), nil
		}
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// databricksShapes are the forms of Databricks credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var databricksShapes = [2]*lazyRE{lazyRegexp(`^dapi[a-f0-9]{32}(?:-\d)?$`), nil}

// Owns implements Shaper.
func (*Databricks) Owns(secret string) Shape {
	return shapeOf(secret, databricksShapes[0], databricksShapes[1])
}

var _ Shaper = (*Databricks)(nil)

// Package grafana is nhiscan's Grafana provider: the shape of its credentials,
// their parts, their verification (see package providers).
package grafana

import (
	"context"
	"nhiscan/verifiers"
	"slices"
	"sort"
	"strconv"
)

// Provider verifies service-account tokens (glsa_) and API keys with
// GET https://{instance}/api/access-control/user/permissions (Bearer), only
// on instances named in the operator's config (verify.hosts.grafana).
type Provider struct {
	// Instances are the Grafana hosts of the operator's config.
	Instances []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string  { return "grafana" }
func (v *Provider) Hosts() []string { return slices.Clone(v.Instances) }
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	return verifiers.SelfHostedPair(s, v.Instances)
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	host, r := verifiers.SelfHostedHost("grafana", cred, v.Instances)
	if r != nil {
		return *r, nil
	}
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/api/access-control/user/permissions", map[string]string{"Authorization": "Bearer " + cred.Secret})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var perms map[string][]string
		if err := verifiers.Decode(resp, ep, &perms); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		actions := make([]string, 0, len(perms))
		for a := range perms {
			actions = append(actions, a)
		}
		sort.Strings(actions)
		p := verifiers.Privileges{Level: "read", Scopes: actions}
		for _, a := range actions {
			switch a {
			case "users:write", "orgs:write", "serviceaccounts:write", "serviceaccounts:create":
				p.Level = "admin"
				if !slices.Contains(p.Flags, "can-manage-keys") && (a == "serviceaccounts:write" || a == "serviceaccounts:create") {
					p.Flags = append(p.Flags, "can-manage-keys")
				}
			case "dashboards:write", "datasources:write", "folders:write":
				if p.Level == "read" {
					p.Level = "write"
				}
			}
		}
		return verifiers.LiveResult(ep, map[string]string{"host": host, "permissions": strconv.Itoa(len(actions))}, p), nil
	case 401:
		return verifiers.DeadResult(ep, "grafana: unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// grafanaShapes are the forms of Grafana credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var grafanaShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^(?:glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}|eyJrIjoi[A-Za-z0-9+/]{40,400}={0,2})$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, grafanaShapes[0], grafanaShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

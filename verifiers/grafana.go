package verifiers

import (
	"context"
	"slices"
	"sort"
)

// Grafana verifies service-account tokens (glsa_) and API keys with
// GET https://{instance}/api/access-control/user/permissions (Bearer), only
// on instances named in the operator's config (verify.hosts.grafana).
type Grafana struct {
	// Instances are the Grafana hosts of the operator's config.
	Instances []string
}

var _ Verifier = (*Grafana)(nil)
var _ Pairer = (*Grafana)(nil)

func (*Grafana) Provider() string             { return "grafana" }
func (v *Grafana) Hosts() []string            { return slices.Clone(v.Instances) }
func (v *Grafana) Pair(s Sighting) Credential { return selfHostedPair(s, v.Instances) }

func (v *Grafana) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	host, r := selfHostedHost("grafana", cred, v.Instances)
	if r != nil {
		return *r, nil
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://"+host+"/api/access-control/user/permissions", map[string]string{"Authorization": "Bearer " + cred.Secret})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var perms map[string][]string
		if err := decode(resp, ep, &perms); err != nil {
			return Result{Endpoint: ep}, err
		}
		actions := make([]string, 0, len(perms))
		for a := range perms {
			actions = append(actions, a)
		}
		sort.Strings(actions)
		p := Privileges{Level: "read", Scopes: actions}
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
		return live(ep, map[string]string{"host": host, "permissions": itoa(len(actions))}, p), nil
	case 401:
		return dead(ep, "grafana: unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// grafanaShapes are the forms of Grafana credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var grafanaShapes = [2]*lazyRE{lazyRegexp(`^(?:glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}|eyJrIjoi[A-Za-z0-9+/]{40,400}={0,2})$`), nil}

// Owns implements Shaper.
func (*Grafana) Owns(secret string) Shape { return shapeOf(secret, grafanaShapes[0], grafanaShapes[1]) }

var _ Shaper = (*Grafana)(nil)

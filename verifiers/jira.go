package verifiers

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// Jira verifies Atlassian API tokens (ATATT…, Basic email:token, GET
// /rest/api/3/myself) and Jira Data Center personal access tokens (Bearer,
// GET /rest/api/2/myself), only on sites named in the operator's config
// (verify.hosts.jira). A cloud token needs its account email beside it.
type Jira struct {
	// Sites are the Jira hosts ("example.atlassian.net") of the operator's config.
	Sites []string
}

var _ Verifier = (*Jira)(nil)
var _ Pairer = (*Jira)(nil)

func (*Jira) Provider() string  { return "atlassian" }
func (v *Jira) Hosts() []string { return slices.Clone(v.Sites) }

var jiraEmail = labelled(`email|user(?:name)?|login|account`, `[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}`)

// Pair adds the configured site the context names and the account email.
func (v *Jira) Pair(s Sighting) Credential {
	cred := selfHostedPair(s, v.Sites)
	if email := nearest(s.Context, s.Secret, jiraEmail); email != "" {
		if cred.Companions == nil {
			cred.Companions = map[string]string{}
		}
		cred.Companions["email"] = email
	}
	return cred
}

func (v *Jira) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	host, r := selfHostedHost("jira", cred, v.Sites)
	if r != nil {
		return *r, nil
	}
	email := cred.Companions["email"]
	path, auth := "/rest/api/2/myself", "Bearer "+cred.Secret
	if strings.HasPrefix(cred.Secret, "ATATT") {
		if email == "" {
			return unknown("jira: no account email beside the API token"), nil
		}
		path, auth = "/rest/api/3/myself", "Basic "+base64.StdEncoding.EncodeToString([]byte(email+":"+cred.Secret))
	}
	resp, ep, err := call(ctx, c, v, "GET", "https://"+host+path, map[string]string{"Authorization": auth})
	if err != nil {
		return Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			AccountID   string `json:"accountId"`
			Name        string `json:"name"`
			Email       string `json:"emailAddress"`
			DisplayName string `json:"displayName"`
			Active      *bool  `json:"active"`
		}
		if err := decode(resp, ep, &b); err != nil {
			return Result{Endpoint: ep}, err
		}
		if b.AccountID == "" && b.Name == "" {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		return live(ep, map[string]string{"host": host, "account_id": b.AccountID, "name": b.Name, "email": b.Email, "display_name": b.DisplayName},
			Privileges{Level: "write"}), nil
	case 401:
		return dead(ep, "jira: unauthorized (HTTP 401)"), nil
	}
	return Result{Endpoint: ep}, unexpected(resp, ep)
}

// jiraShapes are the forms of Jira credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var jiraShapes = [2]*lazyRE{lazyRegexp(`^ATATT[A-Za-z0-9_=-]{100,300}$`), lazyRegexp(`^[A-Za-z0-9]{24}$`)}

// Owns implements Shaper.
func (*Jira) Owns(secret string) Shape { return shapeOf(secret, jiraShapes[0], jiraShapes[1]) }

var _ Shaper = (*Jira)(nil)

// Package atlassian is nhiscan's Atlassian (Jira) provider: the shape of its credentials,
// their parts, their verification (see package providers).
package atlassian

import (
	"context"
	"encoding/base64"
	"fmt"
	"nhiscan/verifiers"
	"regexp"
	"slices"
	"strings"
)

// Provider verifies Atlassian API tokens (ATATT…, Basic email:token) and Jira
// Data Center personal access tokens (Bearer, GET /rest/api/2/myself), only
// for sites named in the operator's config (verify.hosts.jira). A cloud
// token needs its account email beside it.
//
// Atlassian has two kinds of cloud API tokens that look the same
// (support.atlassian.com "Manage API tokens for your Atlassian account" and
// "401 Unauthorized error when service account accesses Jira or Confluence
// API", read 2026-12): classic tokens work on the site
// (https://SITE/rest/api/3/myself); scoped tokens — the only kind service
// accounts get — work only through the gateway
// https://api.atlassian.com/ex/jira/{cloudId}/rest/api/3/myself, and the
// site answers 401 for them. So an ATATT token is tried on the site, then
// on the gateway with the site's cloud id (read without any credential
// from https://SITE/_edge/tenant_info), and is dead only when both answer
// 401.
//
// Unknown by design: a cloud token without its email, a site that is not
// configured, a cloud id that cannot be read (the gateway is then not
// tried, so a refusal by the site alone is not a verdict).
type Provider struct {
	// Sites are the Jira hosts ("example.atlassian.net") of the operator's config.
	Sites []string
}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

// atlassianGateway is the API gateway for scoped tokens.
const atlassianGateway = "api.atlassian.com"

func (*Provider) Provider() string { return "atlassian" }
func (v *Provider) Hosts() []string {
	if len(v.Sites) == 0 {
		return nil
	}
	return append(slices.Clone(v.Sites), atlassianGateway)
}

var (
	jiraEmail   = verifiers.Labelled(`email|user(?:name)?|login|account`, `[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}`)
	jiraCloudID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// Pair adds the configured site the context names and the account email.
func (v *Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	cred := verifiers.SelfHostedPair(s, v.Sites)
	if email := verifiers.Nearest(s.Context, s.Secret, jiraEmail); email != "" {
		if cred.Companions == nil {
			cred.Companions = map[string]string{}
		}
		cred.Companions["email"] = email
	}
	return cred
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	host, r := verifiers.SelfHostedHost("jira", cred, v.Sites)
	if r != nil {
		return *r, nil
	}
	if !strings.HasPrefix(cred.Secret, "ATATT") {
		// Data Center personal access token: the site is the only route.
		return v.myself(ctx, c, "https://"+host+"/rest/api/2/myself", "Bearer "+cred.Secret, host, "site")
	}
	email := cred.Companions["email"]
	if email == "" {
		return verifiers.UnknownResult("jira: no account email beside the API token"), nil
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+cred.Secret))
	site, err := v.myself(ctx, c, "https://"+host+"/rest/api/3/myself", auth, host, "site")
	if err != nil || site.Status != verifiers.Dead {
		return site, err
	}
	// The site refused it: a scoped token works only through the gateway.
	cloudID, err := v.cloudID(ctx, c, host)
	if err != nil {
		return verifiers.Result{Status: verifiers.Unknown, Endpoint: site.Endpoint, Reason: "jira: the site refused the token and its cloud id could not be read for the scoped-token gateway: " + err.Error()}, nil
	}
	gw, err := v.myself(ctx, c, "https://"+atlassianGateway+"/ex/jira/"+cloudID+"/rest/api/3/myself", auth, host, "gateway")
	if err != nil || gw.Status != verifiers.Dead {
		return gw, err
	}
	gw.Reason = "jira: unauthorized on the site and on the scoped-token gateway (HTTP 401)"
	return gw, nil
}

// myself asks one /myself route.
func (v *Provider) myself(ctx context.Context, c *verifiers.Client, u, auth, host, route string) (verifiers.Result, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", u, map[string]string{"Authorization": auth})
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	switch resp.StatusCode {
	case 200:
		var b struct {
			AccountID   string `json:"accountId"`
			Name        string `json:"name"`
			Email       string `json:"emailAddress"`
			DisplayName string `json:"displayName"`
		}
		if err := verifiers.Decode(resp, ep, &b); err != nil {
			return verifiers.Result{Endpoint: ep}, err
		}
		if b.AccountID == "" && b.Name == "" {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without a user", ep)
		}
		kind := "classic"
		if route == "gateway" {
			kind = "scoped"
		}
		return verifiers.LiveResult(ep, map[string]string{"host": host, "account_id": b.AccountID, "name": b.Name, "email": b.Email, "display_name": b.DisplayName, "token_kind": kind},
			verifiers.Privileges{Level: "write"}), nil
	case 401:
		return verifiers.DeadResult(ep, "jira: unauthorized (HTTP 401)"), nil
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// jiraShapes are the forms of Jira credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var jiraShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^ATATT[A-Za-z0-9_=-]{100,300}$`), verifiers.LazyRegexp(`^[A-Za-z0-9]{24}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, jiraShapes[0], jiraShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// cloudID reads the site's cloud id from its public tenant_info (no
// credential is sent).
func (v *Provider) cloudID(ctx context.Context, c *verifiers.Client, host string) (string, error) {
	resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+host+"/_edge/tenant_info", nil)
	if err != nil {
		return "", err
	}
	var b struct {
		CloudID string `json:"cloudId"`
	}
	if resp.StatusCode != 200 {
		return "", verifiers.Unexpected(resp, ep)
	}
	if err := verifiers.Decode(resp, ep, &b); err != nil {
		return "", err
	}
	if !jiraCloudID.MatchString(b.CloudID) {
		return "", fmt.Errorf("%s: no cloud id in the answer", ep)
	}
	return b.CloudID, nil
}

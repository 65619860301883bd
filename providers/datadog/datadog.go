// Package datadog is nhiscan's Datadog provider: the shape of its credentials,
// their parts, their verification (see package providers).
package datadog

import (
	"context"
	"encoding/json"
	"fmt"
	"nhiscan/verifiers"
	"slices"
	"strings"
)

// Provider verifies API keys with GET https://api.{site}/api/v1/validate
// (header DD-API-KEY) on every Datadog site, starting with the one the
// key's context names: a key is live on the first site that accepts it
// and dead only when every site answers 403 (Datadog API reference
// "Validate API key", read 2026-12). With an application key beside it,
// the owner is read from GET /api/v2/current_user on that site.
//
// Sites covered (docs.datadoghq.com "Getting Started with Datadog Sites",
// read 2026-12): US1 datadoghq.com, US3 us3.datadoghq.com, US5
// us5.datadoghq.com, EU1 datadoghq.eu, AP1 ap1.datadoghq.com, AP2
// ap2.datadoghq.com, UK1 uk1.datadoghq.com, US1-FED ddog-gov.com and
// US2-FED us2.ddog-gov.com. Keys are site-scoped, so a key is sent to
// each site in turn; a site that gives no answer makes the result Unknown,
// never Dead. Unknown by design: an application key alone.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "datadog" }

// datadogSites are the API hosts of every Datadog site.
var datadogSites = []string{
	"api.datadoghq.com", "api.datadoghq.eu", "api.us3.datadoghq.com", "api.us5.datadoghq.com",
	"api.ap1.datadoghq.com", "api.ap2.datadoghq.com", "api.uk1.datadoghq.com", "api.ddog-gov.com", "api.us2.ddog-gov.com",
}

func (*Provider) Hosts() []string { return slices.Clone(datadogSites) }

var (
	ddAPIKeyExact = verifiers.LazyRegexp(`^[a-f0-9]{32}$`)
	ddAppKeyExact = verifiers.LazyRegexp(`^[a-f0-9]{40}$`)
	ddAPIKey      = verifiers.Labelled(`api_?key|apikey|dd_api|datadog`, `[a-f0-9]{32}`)
	ddAppKey      = verifiers.Labelled(`app(?:lication)?_?key|appkey|dd_app`, `[a-f0-9]{40}`)
	ddSite        = verifiers.LazyRegexp(`\b((?:us3\.|us5\.|ap1\.|ap2\.|uk1\.)?datadoghq\.(?:com|eu)|(?:us2\.)?ddog-gov\.com)\b`)
)

// Pair makes the API key the secret and the application key a secret
// companion, whichever of the two the rule reported, and notes the site
// the context names.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	var api, app string
	switch {
	case ddAppKeyExact.MatchString(s.Secret):
		app, api = s.Secret, verifiers.Nearest(s.Context, s.Secret, ddAPIKey)
	default:
		api, app = s.Secret, verifiers.Nearest(s.Context, s.Secret, ddAppKey)
	}
	site := ""
	if m := verifiers.Nearest(s.Context, s.Secret, ddSite); m != "" {
		site = "api." + strings.ToLower(m)
		if !slices.Contains(datadogSites, site) {
			site = ""
		}
	}
	return verifiers.Credential{Secret: api, Companions: verifiers.Companions("site", site), SecretCompanions: verifiers.Companions("app_key", app)}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	if !ddAPIKeyExact.MatchString(cred.Secret) {
		return verifiers.UnknownResult("datadog: no API key (an application key alone cannot be checked)"), nil
	}
	sites := datadogSites
	if s := cred.Companions["site"]; s != "" {
		sites = append([]string{s}, slices.DeleteFunc(slices.Clone(datadogSites), func(x string) bool { return x == s })...)
	}
	var unknownErr error
	for _, site := range sites {
		resp, ep, err := verifiers.Call(ctx, c, v, "GET", "https://"+site+"/api/v1/validate", map[string]string{"DD-API-KEY": cred.Secret})
		if err != nil {
			if ctx.Err() != nil {
				return verifiers.Result{Endpoint: ep}, err
			}
			unknownErr = err // this site gave no answer: the key cannot be called dead
			continue
		}
		var b struct {
			Valid bool `json:"valid"`
		}
		switch {
		case resp.StatusCode == 200 && json.Unmarshal(resp.Body, &b) == nil && b.Valid:
			return v.liveAt(ctx, c, cred, site, ep), nil
		case resp.StatusCode == 403:
			continue // the documented answer for a key this site does not know
		default:
			unknownErr = verifiers.Unexpected(resp, ep)
		}
	}
	if unknownErr != nil {
		return verifiers.Result{}, unknownErr
	}
	return verifiers.DeadResult("GET https://api.datadoghq.com/api/v1/validate", fmt.Sprintf("datadog: rejected by all %d sites", len(sites))), nil
}

// live reads the owner with the application key when there is one; its
// failure does not change the verdict on the API key.
func (v *Provider) liveAt(ctx context.Context, c *verifiers.Client, cred verifiers.Credential, site, ep string) verifiers.Result {
	id := map[string]string{"site": strings.TrimPrefix(site, "api.")}
	app := cred.SecretCompanions["app_key"]
	if app == "" {
		return verifiers.LiveResult(ep, id, verifiers.Privileges{Level: "write", Flags: []string{"can-submit-data"}})
	}
	resp, _, err := verifiers.Call(ctx, c, v, "GET", "https://"+site+"/api/v2/current_user", map[string]string{"DD-API-KEY": cred.Secret, "DD-APPLICATION-KEY": app})
	p := verifiers.Privileges{Level: "write", Flags: []string{"can-submit-data"}}
	if err == nil && resp.StatusCode == 200 {
		var b struct {
			Data struct {
				ID         string `json:"id"`
				Attributes struct {
					Email  string `json:"email"`
					Handle string `json:"handle"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if json.Unmarshal(resp.Body, &b) == nil {
			id["user_id"], id["email"], id["handle"] = b.Data.ID, b.Data.Attributes.Email, b.Data.Attributes.Handle
			id["app_key"] = "valid"
			p.Flags = append(p.Flags, "can-read-api")
		}
	} else if err == nil && (resp.StatusCode == 403 || resp.StatusCode == 401) {
		id["app_key"] = "rejected"
	}
	return verifiers.LiveResult(ep, id, p)
}

// datadogShapes are the forms of Datadog credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var datadogShapes = [2]*verifiers.LazyRE{nil, verifiers.LazyRegexp(`^(?:[a-f0-9]{32}|[a-f0-9]{40})$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, datadogShapes[0], datadogShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

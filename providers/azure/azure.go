// Package azure is nhiscan's Azure (Entra ID) provider: the shape of its credentials,
// their parts, their verification (see package providers).
package azure

import (
	"context"
	"fmt"
	"net/url"
	"nhiscan/verifiers"
	"slices"
	"strings"
)

// Provider verifies Entra ID (Azure AD) application client secrets with a
// client-credentials token request to
// https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token. The tenant
// and client (application) ids must be found beside the secret; without
// them nothing is sent. The tenant only ever goes into the path as a GUID.
//
// Dead only on AADSTS7000215 (invalid secret) and 7000222 (expired
// secret); 700016, 90002, 700023 and 7000216 speak of the paired ids or
// the request and are Unknown. Covers the public cloud
// (login.microsoftonline.com); national clouds (Azure Government, China)
// are not called: Unknown by design for their apps.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "azure" }
func (*Provider) Hosts() []string  { return []string{"login.microsoftonline.com"} }

const guid = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

var (
	azureTenant    = verifiers.Labelled(`tenant|directory`, guid)
	azureTenantURL = verifiers.LazyRegexp(`login\.microsoftonline\.com/(` + guid + `)`)
	azureClient    = verifiers.Labelled(`client_?id|clientid|app_?id|appid|application_?id|applicationid`, guid)
	guidExact      = verifiers.LazyRegexp(`^` + guid + `$`)
)

// Pair finds the tenant and client ids near the secret.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	tenant := verifiers.Nearest(s.Context, s.Secret, azureTenant)
	if tenant == "" {
		tenant = verifiers.Nearest(s.Context, s.Secret, azureTenantURL)
	}
	client := verifiers.Nearest(s.Context, s.Secret, azureClient, tenant)
	return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("tenant_id", strings.ToLower(tenant), "client_id", strings.ToLower(client))}
}

// azureDead are the AADSTS codes that reject the secret itself (Microsoft
// Entra "Authentication and authorization error codes", read 2026-12).
var azureDead = map[int]string{
	7000215: "invalid client secret",
	7000222: "client secret expired",
}

// azureNotTheSecret are AADSTS codes about the request or the ids paired
// with the secret, not about the secret: a mis-paired tenant or client id
// must not make a working secret dead (same page).
var azureNotTheSecret = map[int]string{
	700016:  "application not found in the tenant (the client id found beside the secret may not be its app)",
	90002:   "tenant not found (the tenant id found beside the secret may be wrong)",
	700023:  "invalid audience or tenant for the request",
	7000216: "no client secret or assertion in the request",
}

// azureAdminRoles are Graph application roles that can change credentials
// or the directory.
var azureAdminRoles = []string{"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All"}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	tenant, client := cred.Companions["tenant_id"], cred.Companions["client_id"]
	if !guidExact.MatchString(tenant) || !guidExact.MatchString(client) {
		return verifiers.UnknownResult("azure: no tenant/client id beside the secret"), nil
	}
	u := "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
	ep := "POST " + u
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {cred.Secret}, "scope": {"https://graph.microsoft.com/.default"}}
	req, err := c.NewRequest(ctx, v, "POST", u, []byte(form.Encode()))
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(v, req)
	if err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	var b struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Codes       []int  `json:"error_codes"`
	}
	if err := verifiers.Decode(resp, ep, &b); err != nil {
		return verifiers.Result{Endpoint: ep}, err
	}
	ident := map[string]string{"tenant_id": tenant, "client_id": client}
	switch {
	case resp.StatusCode == 200 && b.AccessToken != "":
		claims := verifiers.JWTClaims(b.AccessToken)
		ident["app_name"], _ = claims["app_displayname"].(string)
		var roles []string
		if rs, ok := claims["roles"].([]any); ok {
			for _, r := range rs {
				if s, ok := r.(string); ok {
					roles = append(roles, s)
				}
			}
		}
		p := verifiers.Privileges{Level: "unknown", Scopes: roles}
		if len(roles) > 0 {
			p.Level = "read"
		}
		for _, r := range roles {
			if strings.Contains(r, ".ReadWrite.") && p.Level == "read" {
				p.Level = "write"
			}
			if slices.Contains(azureAdminRoles, r) {
				p.Level = "admin"
				if !slices.Contains(p.Flags, "can-manage-keys") {
					p.Flags = append(p.Flags, "can-manage-keys")
				}
			}
		}
		return verifiers.LiveResult(ep, ident, p), nil
	case resp.StatusCode == 400 || resp.StatusCode == 401:
		for _, code := range b.Codes {
			if why, ok := azureDead[code]; ok {
				return verifiers.DeadResult(ep, fmt.Sprintf("azure: AADSTS%d %s", code, why)), nil
			}
			if why, ok := azureNotTheSecret[code]; ok {
				return verifiers.Result{Status: verifiers.Unknown, Endpoint: ep, Reason: fmt.Sprintf("azure: AADSTS%d %s", code, why)}, nil
			}
		}
	}
	return verifiers.Result{Endpoint: ep}, verifiers.Unexpected(resp, ep)
}

// azureShapes are the forms of Azure credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var azureShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}$`), nil}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, azureShapes[0], azureShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

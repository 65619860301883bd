// Package gcp is nhiscan's Google Cloud provider: the shape of its credentials,
// their parts, their verification and its remediation (see package providers).
package gcp

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"nhiscan/remediate"
	"nhiscan/verifiers"
	"strings"

	"golang.org/x/oauth2"
	oauth2jwt "golang.org/x/oauth2/jwt"
)

// Provider verifies service-account keys with the OAuth 2.0 JWT-bearer grant:
// an RS256 assertion signed with the key (iss = client_email, aud = the
// token endpoint, scope cloud-platform) is exchanged at
// https://oauth2.googleapis.com/token. An access token back means the key
// works; it is dropped unused. The key file's own token_uri is ignored:
// the assertion only ever goes to Google's official endpoint.
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ remediate.Remediator = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "gcp" }
func (*Provider) Hosts() []string  { return []string{"oauth2.googleapis.com"} }

const gcpTokenURL = "https://oauth2.googleapis.com/token"

var (
	gcpField = func(name string) *verifiers.LazyRE {
		return verifiers.LazyRegexp(`"` + name + `"\s*:\s*"((?:[^"\\]|\\.)*)"`)
	}
	gcpKeyID    = gcpField("private_key_id")
	gcpKey      = gcpField("private_key")
	gcpEmail    = gcpField("client_email")
	gcpProject  = gcpField("project_id")
	gcpAPIKey   = verifiers.LazyRegexp(`^AIza[0-9A-Za-z_-]{35}$`)
	gcpHexKeyID = verifiers.LazyRegexp(`^[a-f0-9]{40}$`)
)

// Pair reads the key file's fields around the finding: the rule reports
// the private_key_id, the private key and client_email sit beside it.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	if gcpAPIKey.MatchString(s.Secret) {
		return verifiers.Credential{Secret: s.Secret, Companions: verifiers.Companions("kind", "api-key")}
	}
	field := func(re *verifiers.LazyRE) string {
		var v string
		if err := json.Unmarshal([]byte(`"`+verifiers.Nearest(s.Context, s.Secret, re)+`"`), &v); err != nil {
			return ""
		}
		return v
	}
	keyID := ""
	if gcpHexKeyID.MatchString(s.Secret) {
		keyID = s.Secret
	} else {
		keyID = field(gcpKeyID)
	}
	key := field(gcpKey)
	if key == "" {
		key = verifiers.SiblingSecret(s, func(sb verifiers.Sibling) bool {
			return sb.Provider == "privatekey" && strings.Contains(sb.Secret, "PRIVATE KEY")
		})
		key = strings.ReplaceAll(key, `\n`, "\n")
	}
	return verifiers.Credential{Secret: key, Companions: verifiers.Companions("private_key_id", keyID, "client_email", field(gcpEmail), "project_id", field(gcpProject))}
}

func (v *Provider) Verify(ctx context.Context, c *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	ep := "POST " + gcpTokenURL
	email, keyID := cred.Companions["client_email"], cred.Companions["private_key_id"]
	ident := verifiers.Companions("client_email", email, "project_id", cred.Companions["project_id"], "private_key_id", finding.Redact(keyID)) // half of a key file: shown redacted
	switch {
	case cred.Companions["kind"] == "api-key":
		return verifiers.UnknownResult("gcp: API keys are not verified (no free identity call)"), nil
	case cred.Secret == "" || email == "":
		r := verifiers.UnknownResult("gcp: no private key and client_email beside the key id")
		r.Identity = ident
		return r, nil
	}
	if _, err := parseRSAKey(cred.Secret); err != nil {
		r := verifiers.UnknownResult("gcp: private key is not an RSA key")
		r.Identity = ident
		return r, nil
	}
	// golang.org/x/oauth2/jwt signs the RS256 assertion and exchanges it;
	// its requests go through c (host allowlist, budget, 429/5xx/HTML as
	// errors). The token URL is fixed here, never the key file's token_uri.
	conf := &oauth2jwt.Config{
		Email:        email,
		PrivateKey:   []byte(strings.ReplaceAll(cred.Secret, `\n`, "\n")),
		PrivateKeyID: keyID,
		Scopes:       []string{"https://www.googleapis.com/auth/cloud-platform"},
		TokenURL:     gcpTokenURL,
	}
	// x/oauth2/jwt posts without a context: bind ctx to its requests so
	// cancellation and deadlines still apply.
	hc := c.HTTPClient(v)
	hc.Transport = withContext{ctx: ctx, next: hc.Transport}
	tok, err := conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc)).Token()
	var re *oauth2.RetrieveError
	switch {
	case err == nil && tok.AccessToken != "":
		return verifiers.LiveResult(ep, ident, verifiers.Privileges{Level: "unknown", Scopes: []string{"cloud-platform"}}), nil
	case errors.As(err, &re):
		var b struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &b) != nil {
			return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP %d with an unparsable body", ep, re.Response.StatusCode)
		}
		if code := re.Response.StatusCode; (code == 400 && b.Error == "invalid_grant") || (code == 401 && b.Error == "invalid_client") {
			r := verifiers.DeadResult(ep, "gcp: "+b.Error+gcpDescription(b.Description))
			r.Identity = ident
			return r, nil
		}
		return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: unexpected HTTP %d", ep, re.Response.StatusCode)
	case err != nil:
		// Not a provider answer: the client refused or failed (its text
		// names the endpoint, never the key).
		return verifiers.Result{Endpoint: ep}, fmt.Errorf("gcp: %v", err)
	}
	return verifiers.Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an access token", ep)
}

// withContext sends every request with ctx (for libraries that build
// requests without one).
type withContext struct {
	ctx  context.Context
	next http.RoundTripper
}

func (w withContext) RoundTrip(req *http.Request) (*http.Response, error) {
	return w.next.RoundTrip(req.WithContext(w.ctx))
}

// gcpDescription keeps Google's short error descriptions ("Invalid JWT
// Signature.") and nothing long.
func gcpDescription(d string) string {
	if d == "" || len(d) > 80 {
		return ""
	}
	return " (" + d + ")"
}

// parseRSAKey reads a PEM RSA private key (PKCS#8 or PKCS#1).
func parseRSAKey(p string) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode([]byte(strings.ReplaceAll(p, `\n`, "\n")))
	if blk == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, fmt.Errorf("not RSA")
	}
	return x509.ParsePKCS1PrivateKey(blk.Bytes)
}

// gcpShapes are the forms of GCP credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var gcpShapes = [2]*verifiers.LazyRE{verifiers.LazyRegexp(`^AIza[0-9A-Za-z_-]{35}$`), verifiers.LazyRegexp(`(?s)^(?:[a-f0-9]{40}|-----BEGIN [A-Z ]*PRIVATE KEY-----.*)$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, gcpShapes[0], gcpShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

// GCP service account keys: :disable with operator credentials.
//
// Remediation implements remediate.Remediator.
func (*Provider) Remediation() *remediate.Registration {
	return &remediate.Registration{Provider: "gcp", Manual: "Cloud console → IAM → Service accounts → Keys → Disable or Delete (gcloud iam service-accounts keys disable)",
		Revoke: remediate.Simple{Provider: "gcp", Hosts: remediate.Fixed("iam.googleapis.com"), Operator: "GCP operator access token",
			Calls: func(env *remediate.Env, f *finding.Finding) ([]remediate.Request, []remediate.Call, error) {
				// The scanner assembles the key file's parts (client_email,
				// private_key_id, project_id) around the private key; a whole
				// key file as the secret (a report of an earlier version)
				// works too.
				email, keyID, project := f.Parts["client_email"], f.Parts["private_key_id"], f.Parts["project_id"]
				if email == "" || keyID == "" {
					var sa struct {
						ClientEmail  string `json:"client_email"`
						PrivateKeyID string `json:"private_key_id"`
						ProjectID    string `json:"project_id"`
					}
					if json.Unmarshal([]byte(f.Secret), &sa) == nil {
						email, keyID, project = sa.ClientEmail, sa.PrivateKeyID, sa.ProjectID
					}
				}
				if email == "" || keyID == "" {
					return nil, nil, remediate.Blocked("gcp: the key file's client_email and private_key_id were not found beside the key: disable it by hand (%s)", "Cloud console → IAM → Service accounts → Keys")
				}
				// With the project wildcard "-", a missing key answers 403
				// like a missing permission (Cloud IAM "keys.disable" and
				// resource-name wildcard notes, read 2026-12): name the
				// project so that a deleted key is a 404.
				if project == "" {
					if _, dom, ok := strings.Cut(email, "@"); ok && strings.HasSuffix(dom, ".iam.gserviceaccount.com") {
						project = strings.TrimSuffix(dom, ".iam.gserviceaccount.com")
					}
				}
				if project == "" {
					project = "-"
				}
				base := "https://iam.googleapis.com/v1/projects/" + url.PathEscape(project) + "/serviceAccounts/" + url.PathEscape(email) + "/keys/"
				u := base + url.PathEscape(keyID) + ":disable"
				// The key id is half of what a key file names: shown redacted.
				shown := base + finding.Redact(keyID) + ":disable"
				calls := []remediate.Call{{Method: "POST", URL: shown, Auth: "operator access token", Why: "disable this key (" + finding.Redact(keyID) + " of " + email + "), named by the file's private_key_id (reversible; needs iam.serviceAccountKeys.disable)"}}
				tok, err := env.OperatorToken("gcp ([providers.gcp] token_env)", env.Config.GCP.TokenEnv)
				if err != nil {
					return nil, calls, err
				}
				return []remediate.Request{{Method: "POST", URL: u, Display: shown, Header: remediate.Header("Authorization", "Bearer "+tok), Body: []byte(`{"serviceAccountKeyDisableReason":"SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"}`)}}, calls, nil
			},
			Interpret: func(i int, resp *remediate.Response, req remediate.Request, carry map[string]string) error {
				if resp.StatusCode == 403 && strings.Contains(req.URL, "/projects/-/") {
					return remediate.StatusErr(req.Endpoint(), 403, "denied, or the key no longer exists (the project wildcard hides which)")
				}
				return remediate.StatusMap(map[int]error{200: nil, 404: remediate.ErrAlreadyDone, 401: remediate.ErrDenied, 403: remediate.ErrDenied})(i, resp, req, carry)
			}}}
}

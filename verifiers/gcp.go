package verifiers

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"nhiscan/finding"
	"strings"

	"golang.org/x/oauth2"
	oauth2jwt "golang.org/x/oauth2/jwt"
)

// GCP verifies service-account keys with the OAuth 2.0 JWT-bearer grant:
// an RS256 assertion signed with the key (iss = client_email, aud = the
// token endpoint, scope cloud-platform) is exchanged at
// https://oauth2.googleapis.com/token. An access token back means the key
// works; it is dropped unused. The key file's own token_uri is ignored:
// the assertion only ever goes to Google's official endpoint.
type GCP struct{}

var _ Verifier = (*GCP)(nil)
var _ Pairer = (*GCP)(nil)

func (*GCP) Provider() string { return "gcp" }
func (*GCP) Hosts() []string  { return []string{"oauth2.googleapis.com"} }

const gcpTokenURL = "https://oauth2.googleapis.com/token"

var (
	gcpField = func(name string) *lazyRE {
		return lazyRegexp(`"` + name + `"\s*:\s*"((?:[^"\\]|\\.)*)"`)
	}
	gcpKeyID    = gcpField("private_key_id")
	gcpKey      = gcpField("private_key")
	gcpEmail    = gcpField("client_email")
	gcpProject  = gcpField("project_id")
	gcpAPIKey   = lazyRegexp(`^AIza[0-9A-Za-z_-]{35}$`)
	gcpHexKeyID = lazyRegexp(`^[a-f0-9]{40}$`)
)

// Pair reads the key file's fields around the finding: the rule reports
// the private_key_id, the private key and client_email sit beside it.
func (*GCP) Pair(s Sighting) Credential {
	if gcpAPIKey.MatchString(s.Secret) {
		return Credential{Secret: s.Secret, Companions: companions("kind", "api-key")}
	}
	field := func(re *lazyRE) string {
		var v string
		if err := json.Unmarshal([]byte(`"`+nearest(s.Context, s.Secret, re)+`"`), &v); err != nil {
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
		key = sibling(s, func(sb Sibling) bool {
			return sb.Provider == "privatekey" && strings.Contains(sb.Secret, "PRIVATE KEY")
		})
		key = strings.ReplaceAll(key, `\n`, "\n")
	}
	return Credential{Secret: key, Companions: companions("private_key_id", keyID, "client_email", field(gcpEmail), "project_id", field(gcpProject))}
}

func (v *GCP) Verify(ctx context.Context, c *Client, cred Credential) (Result, error) {
	ep := "POST " + gcpTokenURL
	email, keyID := cred.Companions["client_email"], cred.Companions["private_key_id"]
	ident := companions("client_email", email, "project_id", cred.Companions["project_id"], "private_key_id", finding.Redact(keyID)) // half of a key file: shown redacted
	switch {
	case cred.Companions["kind"] == "api-key":
		return unknown("gcp: API keys are not verified (no free identity call)"), nil
	case cred.Secret == "" || email == "":
		r := unknown("gcp: no private key and client_email beside the key id")
		r.Identity = ident
		return r, nil
	}
	if _, err := parseRSAKey(cred.Secret); err != nil {
		r := unknown("gcp: private key is not an RSA key")
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
		return live(ep, ident, Privileges{Level: "unknown", Scopes: []string{"cloud-platform"}}), nil
	case errors.As(err, &re):
		var b struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &b) != nil {
			return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP %d with an unparsable body", ep, re.Response.StatusCode)
		}
		if code := re.Response.StatusCode; (code == 400 && b.Error == "invalid_grant") || (code == 401 && b.Error == "invalid_client") {
			r := dead(ep, "gcp: "+b.Error+gcpDescription(b.Description))
			r.Identity = ident
			return r, nil
		}
		return Result{Endpoint: ep}, fmt.Errorf("%s: unexpected HTTP %d", ep, re.Response.StatusCode)
	case err != nil:
		// Not a provider answer: the client refused or failed (its text
		// names the endpoint, never the key).
		return Result{Endpoint: ep}, fmt.Errorf("gcp: %v", err)
	}
	return Result{Endpoint: ep}, fmt.Errorf("%s: HTTP 200 without an access token", ep)
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
var gcpShapes = [2]*lazyRE{lazyRegexp(`^AIza[0-9A-Za-z_-]{35}$`), lazyRegexp(`(?s)^(?:[a-f0-9]{40}|-----BEGIN [A-Z ]*PRIVATE KEY-----.*)$`)}

// Owns implements Shaper.
func (*GCP) Owns(secret string) Shape { return shapeOf(secret, gcpShapes[0], gcpShapes[1]) }

var _ Shaper = (*GCP)(nil)

package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TokenSource gives the token for API calls and git fetches. Token is safe
// for concurrent use and may refresh an expiring token. Errors never
// contain a token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a token that never changes (GITHUB_TOKEN).
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// TokenFromEnv returns GITHUB_TOKEN, or nil when it is unset (anonymous
// access: public repositories only, 60 API requests an hour).
func TokenFromEnv() TokenSource {
	if t := strings.TrimSpace(os.Getenv("GITHUB_TOKEN")); t != "" {
		return StaticToken(t)
	}
	return nil
}

// Transport adds the token to every request to the API host (and only
// there) and counts requests.
type Transport struct {
	Base   http.RoundTripper
	Tokens TokenSource // nil: anonymous
	// Host is the only host the token is sent to (the API's).
	Host string

	mu       sync.Mutex
	requests int
}

// Requests returns how many requests went through the transport.
func (t *Transport) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.requests++
	t.mu.Unlock()
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Tokens == nil || !strings.EqualFold(req.URL.Host, t.Host) {
		return base.RoundTrip(req)
	}
	tok, err := t.Tokens.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.Header.Set("Authorization", "Bearer "+tok)
	return base.RoundTrip(r2)
}

// App authenticates as a GitHub App installation: a JWT signed RS256 with
// the App's private key buys an installation token (valid one hour), which
// is refreshed five minutes before it expires.
type App struct {
	ID  int64
	Key *rsa.PrivateKey
	// InstallationID, when 0, is looked up from Org, User or Repo (OWNER/NAME).
	InstallationID int64
	Org, User      string
	Repo           string
	APIURL         string // REST base with a trailing slash, e.g. https://api.github.com/
	HTTP           *http.Client
	Now            func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// LoadAppKey reads a PEM private key file (PKCS#1 or PKCS#8 RSA).
func LoadAppKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("GitHub App key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("GitHub App key %s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("GitHub App key %s: not an RSA private key", path)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("GitHub App key %s: not an RSA private key", path)
	}
	return rk, nil
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// JWT returns the App's JSON Web Token (RS256; issued a minute in the past
// against clock drift, valid nine minutes).
func (a *App) JWT() (string, error) {
	now := a.now()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": strconv.FormatInt(a.ID, 10),
	})
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.Key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign GitHub App JWT: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// Token returns a valid installation token, fetching a new one when the
// last one expires within five minutes.
func (a *App) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.now().Add(5*time.Minute).Before(a.expires) {
		return a.token, nil
	}
	jwt, err := a.JWT()
	if err != nil {
		return "", err
	}
	if a.InstallationID == 0 {
		var p string
		switch {
		case a.Org != "":
			p = "orgs/" + url.PathEscape(a.Org) + "/installation"
		case a.User != "":
			p = "users/" + url.PathEscape(a.User) + "/installation"
		case a.Repo != "":
			owner, name, _ := strings.Cut(a.Repo, "/")
			p = "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/installation"
		default:
			return "", errors.New("GitHub App: no installation id and no org, user or repo to find it")
		}
		var inst struct {
			ID int64 `json:"id"`
		}
		if err := a.call(ctx, http.MethodGet, p, jwt, &inst); err != nil {
			return "", fmt.Errorf("GitHub App installation: %w", err)
		}
		a.InstallationID = inst.ID
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := a.call(ctx, http.MethodPost, "app/installations/"+strconv.FormatInt(a.InstallationID, 10)+"/access_tokens", jwt, &tok); err != nil {
		return "", fmt.Errorf("GitHub App installation token: %w", err)
	}
	if tok.Token == "" {
		return "", errors.New("GitHub App installation token: empty answer")
	}
	a.token, a.expires = tok.Token, tok.ExpiresAt
	if a.expires.IsZero() {
		a.expires = a.now().Add(time.Hour)
	}
	return a.token, nil
}

func (a *App) call(ctx context.Context, method, p, jwt string, out any) error {
	base := a.APIURL
	if base == "" {
		base = "https://api.github.com/"
	}
	req, err := http.NewRequestWithContext(ctx, method, base+p, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("User-Agent", "nhiscan")
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		// The body of an error holds no token; keep only its message.
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("%s %s: %s %s", method, "/"+p, resp.Status, e.Message)
	}
	return json.NewDecoder(bytes.NewReader(body)).Decode(out)
}

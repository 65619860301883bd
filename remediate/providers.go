package remediate

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"nhiscan/providers/cloudflare"
	"nhiscan/verifiers"
	"regexp"
	"strings"
	"time"
)

// simple is a revocation made of HTTP calls the provider's own credential
// authorises (self-revocation), or an operator credential does.
type simple struct {
	provider string
	hosts    func(env *Env) ([]string, error)
	// calls builds the requests (with secrets) and their plan lines.
	calls func(env *Env, f *finding.Finding) ([]Request, []Call, error)
	// interpret maps each answer: nil = go on, ErrAlreadyDone, ErrDenied…
	interpret func(i int, resp *Response, req Request, carry map[string]string) error
}

func fixed(hs ...string) func(*Env) ([]string, error) {
	return func(*Env) ([]string, error) { return hs, nil }
}

func (s simple) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	if _, err := s.hosts(env); err != nil {
		return nil, err
	}
	_, calls, err := s.calls(env, f)
	return calls, err
}

func (s simple) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	hosts, err := s.hosts(env)
	if err != nil {
		return nil, err
	}
	reqs, _, err := s.calls(env, f)
	if err != nil {
		return nil, err
	}
	var ev []string
	carry := map[string]string{}
	for i, req := range reqs {
		req.Provider, req.Hosts = s.provider, hosts
		for k, v := range carry { // ids learnt from an earlier answer
			req.URL = strings.ReplaceAll(req.URL, "{"+k+"}", url.PathEscape(v))
			req.Body = []byte(strings.ReplaceAll(string(req.Body), "{"+k+"}", v))
		}
		resp, err := env.Client.Do(ctx, req)
		if err != nil {
			return ev, err
		}
		ev = append(ev, resp.evidence(req))
		if err := s.interpret(i, resp, req, carry); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

func denied(req Request, status int) error {
	return fmt.Errorf("%s: HTTP %d: %w", req.Endpoint(), status, ErrDenied)
}

func already(req Request, status int, what string) error {
	return fmt.Errorf("%s: HTTP %d %s: %w", req.Endpoint(), status, what, ErrAlreadyDone)
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// configuredHost parses an operator-configured base URL (https only) and
// returns its host[:port] as the only allowed host.
func configuredHost(what, raw string) (string, string, error) {
	if raw == "" {
		return "", "", blocked("%s: no address configured", what)
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", "", fmt.Errorf("%s: %q: want an https URL", what, raw)
	}
	return u.Scheme + "://" + u.Host + u.Path, strings.ToLower(u.Host), nil
}

func init() {
	// Slack: auth.revoke with the token itself.
	Register(&Registration{Provider: "slack", Manual: "api.slack.com/apps → the app → OAuth & Permissions → Revoke tokens (or remove the app)",
		Revoke: simple{provider: "slack", hosts: fixed("slack.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				if strings.HasPrefix(f.Secret, "https://") {
					return nil, nil, blocked("slack: incoming webhooks have no revocation API: remove the webhook in the app's settings")
				}
				u := "https://slack.com/api/auth.revoke"
				return []Request{{Method: "POST", URL: u, Header: hdr("Authorization", "Bearer "+f.Secret, "Content-Type", "application/x-www-form-urlencoded"), Body: []byte{}}},
					[]Call{{Method: "POST", URL: u, Auth: "the leaked token itself", Why: "self-revocation (auth.revoke)"}}, nil
			},
			interpret: func(_ int, resp *Response, req Request, _ map[string]string) error {
				var b struct {
					OK      bool   `json:"ok"`
					Revoked bool   `json:"revoked"`
					Error   string `json:"error"`
				}
				_ = json.Unmarshal(resp.Body, &b)
				switch {
				case b.OK:
					return nil
				case b.Error == "invalid_auth" || b.Error == "token_revoked" || b.Error == "account_inactive" || b.Error == "not_authed":
					return already(req, resp.StatusCode, b.Error)
				}
				return errf(req.Endpoint(), resp.StatusCode, "slack error "+orDash(b.Error))
			}}})

	// Discord webhooks: DELETE the URL itself.
	Register(&Registration{Provider: "discord", Manual: "Server Settings → Integrations → Webhooks → Delete Webhook",
		Revoke: simple{provider: "discord", hosts: fixed("discord.com", "discordapp.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				u, err := url.Parse(strings.TrimSpace(f.Secret))
				if err != nil || !strings.HasPrefix(u.Path, "/api/webhooks/") {
					return nil, nil, blocked("discord: only webhook URLs can be revoked by API; reset bot tokens in the Developer Portal")
				}
				parts := strings.Split(strings.TrimPrefix(u.Path, "/api/webhooks/"), "/")
				display := "https://" + u.Host + "/api/webhooks/" + parts[0] + "/[REDACTED]"
				return []Request{{Method: "DELETE", URL: "https://" + u.Host + u.Path, Display: display}},
					[]Call{{Method: "DELETE", URL: display, Auth: "the webhook URL itself", Why: "deleting the webhook kills its token"}}, nil
			},
			interpret: func(_ int, resp *Response, req Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 404, 401:
					return already(req, resp.StatusCode, "unknown webhook")
				case 403:
					return denied(req, resp.StatusCode)
				}
				return errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}}})

	// GitLab: DELETE personal_access_tokens/self; rotate with self/rotate.
	gitlabHosts := func(env *Env) ([]string, error) {
		_, h, err := configuredHost("gitlab", orDefault(env.Config.GitLab.URL, "https://gitlab.com"))
		return []string{h}, err
	}
	gitlabBase := func(env *Env) string {
		b, _, _ := configuredHost("gitlab", orDefault(env.Config.GitLab.URL, "https://gitlab.com"))
		return b
	}
	Register(&Registration{Provider: "gitlab", Manual: "GitLab → User settings → Access tokens → Revoke",
		Check: httpCheck{provider: "gitlab", hosts: gitlabHosts, build: func(env *Env, f *finding.Finding) Request {
			return Request{Method: "GET", URL: gitlabBase(env) + "/api/v4/personal_access_tokens/self", Header: hdr("PRIVATE-TOKEN", f.Secret)}
		}, dead: []int{401}},
		Revoke: simple{provider: "gitlab", hosts: gitlabHosts,
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				u := gitlabBase(env) + "/api/v4/personal_access_tokens/self"
				return []Request{{Method: "DELETE", URL: u, Header: hdr("PRIVATE-TOKEN", f.Secret)}},
					[]Call{{Method: "DELETE", URL: u, Auth: "the leaked token itself", Why: "self-revocation"}}, nil
			},
			interpret: func(_ int, resp *Response, req Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 401:
					return already(req, resp.StatusCode, "token not valid")
				case 403:
					return denied(req, resp.StatusCode)
				}
				return errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}},
		Rotate: gitlabRotate{hosts: gitlabHosts, base: gitlabBase},
	})

	// Vault: revoke-self at the configured address only.
	vaultHosts := func(env *Env) ([]string, error) {
		_, h, err := configuredHost("vault ([providers.vault] addr)", env.Config.Vault.Addr)
		return []string{h}, err
	}
	vaultReq := func(env *Env, f *finding.Finding, method, p string) Request {
		b, _, _ := configuredHost("vault", env.Config.Vault.Addr)
		h := hdr("X-Vault-Token", f.Secret)
		if env.Config.Vault.Namespace != "" {
			h.Set("X-Vault-Namespace", env.Config.Vault.Namespace)
		}
		return Request{Method: method, URL: b + p, Header: h}
	}
	Register(&Registration{Provider: "vault", Manual: "vault token revoke -self (with the token), or vault token revoke -accessor <accessor>",
		Check: httpCheck{provider: "vault", hosts: vaultHosts, build: func(env *Env, f *finding.Finding) Request {
			return vaultReq(env, f, "GET", "/v1/auth/token/lookup-self")
		}, dead: []int{403, 401}},
		Revoke: simple{provider: "vault", hosts: vaultHosts,
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				r := vaultReq(env, f, "POST", "/v1/auth/token/revoke-self")
				r.Body = []byte{}
				return []Request{r}, []Call{{Method: "POST", URL: r.URL, Auth: "the leaked token itself", Why: "self-revocation (revoke-self)"}}, nil
			},
			interpret: func(_ int, resp *Response, req Request, _ map[string]string) error {
				switch resp.StatusCode {
				case 204, 200:
					return nil
				case 403:
					return already(req, resp.StatusCode, "permission denied (token already invalid)")
				}
				return errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
			}}})

	// SendGrid: the key id is the middle part of SG.<id>.<secret>; deleting
	// needs the api_keys scope (Twilio SendGrid "Delete API keys", read
	// 2026-12). The key is deleted on the host it lives on: EU regional
	// subusers' keys on api.eu.sendgrid.com (identity "region" of its
	// verification), others on api.sendgrid.com; a 401 there is "already".
	Register(&Registration{Provider: "sendgrid", Manual: "SendGrid → Settings → API Keys → Delete", Revoke: sendgridRevoke{}})

	// Cloudflare: learn the token's id from its own verify endpoint, then
	// delete that id (Cloudflare API reference "Verify Token" and "Delete
	// Token", user and account variants, read 2026-12). User tokens live
	// under /user/tokens, account-owned tokens (cfat_, or a legacy token
	// verified at an account) under /accounts/{account_id}/tokens; the id
	// deleted is the one the leaked token's own verify call returned.
	Register(&Registration{Provider: "cloudflare", Manual: "Cloudflare dashboard → My Profile → API Tokens (account tokens: Manage Account → Account API Tokens) → Roll or Delete",
		Revoke: simple{provider: "cloudflare", hosts: fixed("api.cloudflare.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				base, owner, err := cloudflareBase(f)
				if err != nil {
					return nil, nil, err
				}
				a := hdr("Authorization", "Bearer "+f.Secret)
				v, d := base+"/tokens/verify", base+"/tokens/{id}"
				need := "API Tokens Write"
				if owner == "account" {
					need = "Account API Tokens Write"
				}
				return []Request{{Method: "GET", URL: v, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]Call{{Method: "GET", URL: v, Auth: "the leaked token itself", Why: "learn the " + owner + " token's own id"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete that id only (needs " + need + ")"}}, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if i == 0 {
					var b struct {
						Result struct{ ID, Status string } `json:"result"`
					}
					_ = json.Unmarshal(resp.Body, &b)
					tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
					explicit := strings.HasPrefix(tok, "cfut_") || strings.HasPrefix(tok, "cfat_") || strings.Contains(req.URL, "/accounts/")
					switch {
					case resp.StatusCode == 401 && explicit, resp.StatusCode == 200 && b.Result.Status != "" && b.Result.Status != "active":
						return already(req, resp.StatusCode, "token not active")
					case resp.StatusCode == 401:
						return errf(req.Endpoint(), 401, "not a user token; it may be account-owned (no account id known): revoke it in the dashboard")
					case resp.StatusCode != 200 || b.Result.ID == "":
						return errf(req.Endpoint(), resp.StatusCode, "no token id")
					}
					carry["id"] = b.Result.ID
					return nil
				}
				return statusMap(map[int]error{200: nil, 204: nil, 403: ErrDenied, 404: ErrAlreadyDone})(i, resp, req, carry)
			}}})

	// Heroku: find the authorization whose access token is the leaked one,
	// delete it. GET /oauth/authorizations/~ is never used: it answers the
	// account's API Key authorization, not the caller's (heroku-cli-util
	// lib/auth.js), and deleting it would break the account's integrations
	// while the leaked token stays live. The list is matched on
	// access_token.token (Heroku Platform API "OAuth Authorization", read
	// 2026-12); when no single authorization carries the leaked token, the
	// step is blocked and a ticket says how to revoke it by hand.
	Register(&Registration{Provider: "heroku", Manual: "Heroku → Account settings → Applications → Authorizations → Revoke (heroku authorizations, then heroku authorizations:revoke ID)",
		Revoke: simple{provider: "heroku", hosts: fixed("api.heroku.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				a := hdr("Authorization", "Bearer "+f.Secret, "Accept", "application/vnd.heroku+json; version=3")
				l, d := "https://api.heroku.com/oauth/authorizations", "https://api.heroku.com/oauth/authorizations/{id}"
				return []Request{{Method: "GET", URL: l, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]Call{{Method: "GET", URL: l, Auth: "the leaked token itself", Why: "list the account's authorizations; the one whose access token is the leaked token is the one to delete (never /oauth/authorizations/~, the account's API key)"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete that authorization only: its id comes from the matching entry"}}, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if i == 0 {
					if resp.StatusCode == 401 {
						return already(req, 401, "token not valid")
					}
					if resp.StatusCode != 200 && resp.StatusCode != 206 {
						return errf(req.Endpoint(), resp.StatusCode, "cannot list authorizations")
					}
					id, err := herokuOwnAuthorization(resp.Body, req.Header.Get("Authorization"))
					if err != nil {
						return err
					}
					carry["id"] = id
					return nil
				}
				return statusMap(map[int]error{200: nil, 204: nil, 401: ErrAlreadyDone, 404: ErrAlreadyDone, 403: ErrDenied})(i, resp, req, carry)
			}}})

	// Databricks: list the caller's tokens, delete the one in use.
	dbHosts := func(env *Env) ([]string, error) {
		_, h, err := configuredHost("databricks ([providers.databricks] host)", prefixHTTPS(env.Config.Databricks.Host))
		return []string{h}, err
	}
	Register(&Registration{Provider: "databricks", Manual: "Databricks → User settings → Developer → Access tokens → Revoke",
		Revoke: simple{provider: "databricks", hosts: dbHosts,
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				b := prefixHTTPS(env.Config.Databricks.Host)
				a := hdr("Authorization", "Bearer "+f.Secret)
				return []Request{{Method: "GET", URL: b + "/api/2.0/token/list", Header: a},
						{Method: "POST", URL: b + "/api/2.0/token/delete", Header: a, Body: []byte(`{"token_id":"{id}"}`)}},
					[]Call{{Method: "GET", URL: b + "/api/2.0/token/list", Auth: "the leaked token itself", Why: "find the token's id"},
						{Method: "POST", URL: b + "/api/2.0/token/delete", Auth: "the leaked token itself", Why: "delete it"}}, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if i == 0 {
					if resp.StatusCode == 401 || resp.StatusCode == 403 {
						return already(req, resp.StatusCode, "token not valid")
					}
					var b struct {
						TokenInfos []struct {
							TokenID string `json:"token_id"`
						} `json:"token_infos"`
					}
					if resp.StatusCode != 200 || json.Unmarshal(resp.Body, &b) != nil || len(b.TokenInfos) != 1 {
						return blocked("databricks: cannot tell which of the user's tokens leaked: revoke it by hand")
					}
					carry["id"] = b.TokenInfos[0].TokenID
					return nil
				}
				return statusMap(map[int]error{200: nil, 401: ErrAlreadyDone, 404: ErrAlreadyDone, 403: ErrDenied})(i, resp, req, carry)
			}}})

	// Twilio API keys: DELETE with the operator's Main credentials.
	Register(&Registration{Provider: "twilio", Manual: "Twilio Console → Account → API keys & tokens → Delete",
		Revoke: simple{provider: "twilio", hosts: fixed("iam.twilio.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				sid := f.Secret
				if !strings.HasPrefix(sid, "SK") || len(sid) != 34 {
					return nil, nil, blocked("twilio: only API keys (SK…) can be deleted by API; rotate the auth token in the console")
				}
				ac := env.Config.Twilio.AccountSID
				if ac == "" {
					return nil, nil, blocked("twilio: [providers.twilio] account_sid and auth_token_env are required")
				}
				// Key resource v1 manages Standard and Restricted keys alike
				// (twilio.com/docs/iam/api-keys/key-resource-v1, read
				// 2026-12); the 2010 Keys resource does not know Restricted
				// keys. Deleting needs a Main key or the auth token.
				u := "https://iam.twilio.com/v1/Keys/" + sid
				calls := []Call{{Method: "DELETE", URL: u, Auth: "operator Main auth token", Why: "delete this API key, named by its SID (Standard or Restricted)"}}
				tok := env.getenv(env.Config.Twilio.AuthTokenEnv)
				if tok == "" {
					return nil, calls, blocked("twilio: environment variable %s is empty", orDefault(env.Config.Twilio.AuthTokenEnv, "(auth_token_env)"))
				}
				r := Request{Method: "DELETE", URL: u, Header: http.Header{}}
				r.Header.Set("Authorization", basicAuth(ac, tok))
				return []Request{r}, calls, nil
			},
			interpret: statusMap(map[int]error{204: nil, 200: nil, 404: ErrAlreadyDone, 401: ErrDenied, 403: ErrDenied})}})

	// GCP service account keys: :disable with operator credentials.
	Register(&Registration{Provider: "gcp", Manual: "Cloud console → IAM → Service accounts → Keys → Disable or Delete (gcloud iam service-accounts keys disable)",
		Revoke: simple{provider: "gcp", hosts: fixed("iam.googleapis.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
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
					return nil, nil, blocked("gcp: the key file's client_email and private_key_id were not found beside the key: disable it by hand (%s)", "Cloud console → IAM → Service accounts → Keys")
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
				calls := []Call{{Method: "POST", URL: shown, Auth: "operator access token", Why: "disable this key (" + finding.Redact(keyID) + " of " + email + "), named by the file's private_key_id (reversible; needs iam.serviceAccountKeys.disable)"}}
				tok, err := env.operatorToken("gcp ([providers.gcp] token_env)", env.Config.GCP.TokenEnv)
				if err != nil {
					return nil, calls, err
				}
				return []Request{{Method: "POST", URL: u, Display: shown, Header: hdr("Authorization", "Bearer "+tok), Body: []byte(`{"serviceAccountKeyDisableReason":"SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"}`)}}, calls, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if resp.StatusCode == 403 && strings.Contains(req.URL, "/projects/-/") {
					return errf(req.Endpoint(), 403, "denied, or the key no longer exists (the project wildcard hides which)")
				}
				return statusMap(map[int]error{200: nil, 404: ErrAlreadyDone, 401: ErrDenied, 403: ErrDenied})(i, resp, req, carry)
			}}})

	// Providers without a revocation API: tickets say how to do it by hand.
	for p, manual := range map[string]string{
		"npm":          "npm token revoke <id> (npm token list shows it), or npmjs.com → Access Tokens → Delete",
		"stripe":       "Stripe Dashboard → Developers → API keys → Roll key",
		"openai":       "platform.openai.com → API keys → Revoke (admin keys: the Admin API)",
		"anthropic":    "console.anthropic.com → API keys → Disable",
		"huggingface":  "huggingface.co → Settings → Access Tokens → Invalidate",
		"telegram":     "@BotFather → /revoke",
		"digitalocean": "cloud.digitalocean.com → API → Tokens → Delete",
	} {
		Register(&Registration{Provider: p, Manual: manual})
	}
}

func prefixHTTPS(h string) string {
	if h == "" || strings.Contains(h, "://") {
		return h
	}
	return "https://" + h
}

func basicAuth(u, p string) string {
	return "Basic " + b64(u+":"+p)
}

// statusMap interprets an answer by status: nil = success; others are
// wrapped with the endpoint.
func statusMap(m map[int]error) func(int, *Response, Request, map[string]string) error {
	return func(_ int, resp *Response, req Request, _ map[string]string) error {
		e, ok := m[resp.StatusCode]
		switch {
		case !ok:
			return errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
		case e == nil:
			return nil
		}
		return fmt.Errorf("%s: HTTP %d: %w", req.Endpoint(), resp.StatusCode, e)
	}
}

// httpCheck re-verifies with one GET: 200 live, a dead status dead.
type httpCheck struct {
	provider string
	hosts    func(env *Env) ([]string, error)
	build    func(env *Env, f *finding.Finding) Request
	dead     []int
}

func (c httpCheck) Check(ctx context.Context, env *Env, f *finding.Finding) *finding.Verification {
	hosts, err := c.hosts(env)
	if err != nil {
		return nil
	}
	req := c.build(env, f)
	req.Provider, req.Hosts = c.provider, hosts
	now := env.now().UTC()
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return &finding.Verification{Status: finding.StatusUnknown, Reason: err.Error(), CheckedAt: now, Endpoint: req.Endpoint()}
	}
	if resp.StatusCode == 200 {
		return &finding.Verification{Status: finding.StatusLive, CheckedAt: now, Endpoint: req.Endpoint()}
	}
	for _, d := range c.dead {
		if resp.StatusCode == d {
			return &finding.Verification{Status: finding.StatusDead, Reason: fmt.Sprintf("HTTP %d", d), CheckedAt: now, Endpoint: req.Endpoint()}
		}
	}
	return &finding.Verification{Status: finding.StatusUnknown, Reason: fmt.Sprintf("HTTP %d", resp.StatusCode), CheckedAt: now, Endpoint: req.Endpoint()}
}

// gitlabRotate: POST personal_access_tokens/self/rotate returns a new token
// and revokes the old one in one call; the new token goes to the destination.
type gitlabRotate struct {
	hosts func(env *Env) ([]string, error)
	base  func(env *Env) string
}

func (g gitlabRotate) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	if _, err := g.hosts(env); err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.noDestination("gitlab")
	}
	calls := []Call{{Method: "GET", URL: g.base(env) + "/api/v4/personal_access_tokens/self", Auth: "the leaked token itself", Why: "read the token's lifetime (created_at, expires_at)"},
		{Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate", Auth: "the leaked token itself", Why: "GitLab issues a new token with the same lifetime (expires_at) and revokes this one (needs api or self_rotate scope)"}}
	return append(calls, env.Destination.Calls()...), nil
}

func (g gitlabRotate) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	hosts, err := g.hosts(env)
	if err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.noDestination("gitlab")
	}
	// Without expires_at GitLab gives the new token one week where expiry
	// is required (GitLab REST "Rotate a personal access token", read
	// 2026-12): keep the old token's lifetime instead.
	self := Request{Provider: "gitlab", Hosts: hosts, Method: "GET", URL: g.base(env) + "/api/v4/personal_access_tokens/self", Header: hdr("PRIVATE-TOKEN", f.Secret)}
	sresp, err := env.Client.Do(ctx, self)
	if err != nil {
		return nil, err
	}
	ev := []string{sresp.evidence(self)}
	switch sresp.StatusCode {
	case 200:
	case 401:
		return ev, already(self, 401, "token not valid")
	default:
		return ev, errf(self.Endpoint(), sresp.StatusCode, "cannot read the token's lifetime")
	}
	body := []byte("{}")
	if exp, ok := gitlabKeepLifetime(sresp.Body, env.now()); ok {
		body, _ = json.Marshal(map[string]string{"expires_at": exp})
	}
	req := Request{Provider: "gitlab", Hosts: hosts, Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate",
		Header: hdr("PRIVATE-TOKEN", f.Secret, "Content-Type", "application/json"), Body: body}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return ev, err
	}
	ev = append(ev, resp.evidence(req))
	switch resp.StatusCode {
	case 200, 201:
	case 401:
		return ev, already(req, 401, "token not valid")
	case 403:
		return ev, denied(req, 403)
	default:
		return ev, errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
	}
	var nt struct {
		ID        int    `json:"id"`
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if json.Unmarshal(resp.Body, &nt) != nil || nt.Token == "" {
		return ev, fmt.Errorf("%s: no token in the answer; the old token may already be revoked", req.Endpoint())
	}
	env.progress(ctx, fmt.Sprintf("GitLab issued token id %d and revoked the leaked one; storing it in %s", nt.ID, env.Destination.Describe()))
	dev, err := env.Destination.Put(ctx, map[string]string{"GITLAB_TOKEN": nt.Token})
	ev = append(ev, dev...)
	if err != nil {
		// GitLab already revoked the old token: the new one must not be lost.
		return ev, fmt.Errorf("GitLab rotated the token (new token id %d, old one revoked) but storing it in %s failed (%v): rotate again by hand", nt.ID, env.Destination.Describe(), err)
	}
	return append(ev, fmt.Sprintf("stored the new token (id %d, expires %s) in %s", nt.ID, orDash(nt.ExpiresAt), env.Destination.Describe())), nil
}

// gitlabKeepLifetime returns the expires_at giving a rotated token the
// lifetime of the token described by body (GET …/self): today plus
// expires_at − created_at, at most 365 days (GitLab's default maximum).
// ok is false when the old token does not expire.
func gitlabKeepLifetime(body []byte, now time.Time) (string, bool) {
	var b struct {
		CreatedAt string `json:"created_at"`
		ExpiresAt string `json:"expires_at"`
	}
	if json.Unmarshal(body, &b) != nil || b.ExpiresAt == "" {
		return "", false
	}
	exp, err := time.Parse("2006-01-02", b.ExpiresAt)
	if err != nil {
		return "", false
	}
	created, err := time.Parse(time.RFC3339, b.CreatedAt)
	if err != nil {
		return "", false
	}
	days := int(exp.Sub(created.UTC().Truncate(24*time.Hour)).Hours() / 24)
	days = min(max(days, 1), 365)
	return now.UTC().AddDate(0, 0, days).Format("2006-01-02"), true
}

// herokuOwnAuthorization returns the id of the one authorization in body
// (GET /oauth/authorizations) whose access token is the token of auth
// ("Bearer TOKEN"). The list holds the account's other tokens: they are
// compared in constant time and never kept, logged or returned.
func herokuOwnAuthorization(body []byte, auth string) (string, error) {
	tok := strings.TrimPrefix(auth, "Bearer ")
	var list []struct {
		ID          string `json:"id"`
		AccessToken *struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("heroku: unparsable authorization list")
	}
	var ids []string
	for _, a := range list {
		if a.AccessToken != nil && a.ID != "" && subtle.ConstantTimeCompare([]byte(a.AccessToken.Token), []byte(tok)) == 1 {
			ids = append(ids, a.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", blocked("heroku: none of the account's %d authorizations shows the leaked token, so the one to delete cannot be identified (the account API key, or a token Heroku no longer lists): revoke it by hand", len(list))
	}
	return "", blocked("heroku: %d authorizations show the leaked token: revoke it by hand", len(ids))
}

// cloudflareBase is the API base of f's token: /user, or
// /accounts/{account_id} for account-owned tokens (the cfat_ prefix, or a
// verification that answered at an account endpoint), with the account id
// read from the verification or beside the token.
func cloudflareBase(f *finding.Finding) (string, string, error) {
	cred := verifiers.PairSighting(&cloudflare.Provider{}, verifiers.Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context})
	kind, account := cred.Companions["kind"], cred.Companions["account_id"]
	if v := f.Verification; v != nil && v.Identity["owner"] == "account" {
		kind = "account-token"
		if id := v.Identity["account_id"]; id != "" {
			account = id
		}
	}
	switch kind {
	case "global-key", "origin-ca-key":
		return "", "", blocked("cloudflare: %ss are not revoked by API: roll them in the dashboard", kind)
	case "account-token":
		if !cloudflareAccountID.MatchString(account) {
			return "", "", blocked("cloudflare: account-owned token without its account id: revoke it in the dashboard (Manage Account → Account API Tokens)")
		}
		return "https://api.cloudflare.com/client/v4/accounts/" + account, "account", nil
	}
	return "https://api.cloudflare.com/client/v4/user", "user", nil
}

var cloudflareAccountID = regexp.MustCompile(`^[a-f0-9]{32}$`)

// sendgridRevoke deletes a SendGrid key on the host it lives on.
type sendgridRevoke struct{}

// sendgridTarget is the DELETE URL of f's key and whether its host is
// known from a live verification.
func sendgridTarget(f *finding.Finding) (string, bool, error) {
	parts := strings.Split(f.Secret, ".")
	if len(parts) != 3 || parts[1] == "" {
		return "", false, blocked("sendgrid: not an SG.<id>.<secret> key")
	}
	host, known := "api.sendgrid.com", false
	if v := f.Verification; v != nil && v.Status == finding.StatusLive {
		switch v.Identity["region"] {
		case "eu":
			host, known = "api.eu.sendgrid.com", true
		case "global":
			known = true
		}
	}
	return "https://" + host + "/v3/api_keys/" + url.PathEscape(parts[1]), known, nil
}

func (sendgridRevoke) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	u, _, err := sendgridTarget(f)
	if err != nil {
		return nil, err
	}
	return []Call{{Method: "DELETE", URL: u, Auth: "the leaked key itself",
		Why: "delete this key (its id is the middle part of the key; needs the api_keys scope) on the host it verified on: api.eu.sendgrid.com for EU regional subusers"}}, nil
}

func (sendgridRevoke) Apply(ctx context.Context, env *Env, f *finding.Finding) ([]string, error) {
	u, known, err := sendgridTarget(f)
	if err != nil {
		return nil, err
	}
	req := Request{Provider: "sendgrid", Hosts: []string{"api.sendgrid.com", "api.eu.sendgrid.com"}, Method: "DELETE", URL: u, Header: hdr("Authorization", "Bearer "+f.Secret)}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.evidence(req)}
	switch resp.StatusCode {
	case 200, 204:
		return ev, nil
	case 401:
		if !known {
			// An EU key answers 401 on the global host while it works.
			return ev, errf(req.Endpoint(), 401, "unauthorized here; the key's region is not known from a live verification")
		}
		return ev, already(req, 401, "key not valid")
	case 404:
		return ev, already(req, 404, "no such key")
	case 403:
		return ev, denied(req, 403)
	}
	return ev, errf(req.Endpoint(), resp.StatusCode, "unexpected answer")
}

package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"nhiscan/verifiers"
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
	// operator names the operator credential the calls sign with; "" when
	// only the leaked credential itself signs them.
	operator string
}

// OperatorCredential implements Action.
func (s simple) OperatorCredential() string { return s.operator }

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
	// needs the api_keys scope.
	Register(&Registration{Provider: "sendgrid", Manual: "SendGrid → Settings → API Keys → Delete",
		Revoke: simple{provider: "sendgrid", hosts: fixed("api.sendgrid.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				parts := strings.Split(f.Secret, ".")
				if len(parts) != 3 {
					return nil, nil, blocked("sendgrid: not an SG.<id>.<secret> key")
				}
				u := "https://api.sendgrid.com/v3/api_keys/" + parts[1]
				return []Request{{Method: "DELETE", URL: u, Header: hdr("Authorization", "Bearer "+f.Secret)}},
					[]Call{{Method: "DELETE", URL: u, Auth: "the leaked key itself", Why: "delete the key (needs the api_keys scope)"}}, nil
			},
			interpret: statusMap(map[int]error{204: nil, 200: nil, 401: ErrAlreadyDone, 404: ErrAlreadyDone, 403: ErrDenied})}})

	// Cloudflare: learn the token id, then delete it (needs API Tokens Write).
	Register(&Registration{Provider: "cloudflare", Manual: "Cloudflare dashboard → My Profile → API Tokens → Roll or Delete",
		Revoke: simple{provider: "cloudflare", hosts: fixed("api.cloudflare.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				a := hdr("Authorization", "Bearer "+f.Secret)
				v, d := "https://api.cloudflare.com/client/v4/user/tokens/verify", "https://api.cloudflare.com/client/v4/user/tokens/{id}"
				return []Request{{Method: "GET", URL: v, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]Call{{Method: "GET", URL: v, Auth: "the leaked token itself", Why: "learn the token's id"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete it (needs API Tokens Write)"}}, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if i == 0 {
					var b struct {
						Result struct{ ID, Status string } `json:"result"`
					}
					_ = json.Unmarshal(resp.Body, &b)
					if resp.StatusCode == 401 || (resp.StatusCode == 200 && b.Result.Status != "" && b.Result.Status != "active") {
						return already(req, resp.StatusCode, "token not active")
					}
					if resp.StatusCode != 200 || b.Result.ID == "" {
						return errf(req.Endpoint(), resp.StatusCode, "no token id")
					}
					carry["id"] = b.Result.ID
					return nil
				}
				return statusMap(map[int]error{200: nil, 204: nil, 403: ErrDenied, 404: ErrAlreadyDone})(i, resp, req, carry)
			}}})

	// Heroku: find the authorization the token belongs to, delete it.
	Register(&Registration{Provider: "heroku", Manual: "Heroku → Account settings → Applications → Authorizations → Revoke",
		Revoke: simple{provider: "heroku", hosts: fixed("api.heroku.com"),
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				a := hdr("Authorization", "Bearer "+f.Secret, "Accept", "application/vnd.heroku+json; version=3")
				l, d := "https://api.heroku.com/oauth/authorizations/~", "https://api.heroku.com/oauth/authorizations/{id}"
				return []Request{{Method: "GET", URL: l, Header: a}, {Method: "DELETE", URL: d, Header: a}},
					[]Call{{Method: "GET", URL: l, Auth: "the leaked token itself", Why: "the authorization behind the token"},
						{Method: "DELETE", URL: d, Auth: "the leaked token itself", Why: "delete it"}}, nil
			},
			interpret: func(i int, resp *Response, req Request, carry map[string]string) error {
				if i == 0 {
					if resp.StatusCode == 401 {
						return already(req, 401, "token not valid")
					}
					var b struct{ ID string }
					if resp.StatusCode != 200 || json.Unmarshal(resp.Body, &b) != nil || b.ID == "" {
						return errf(req.Endpoint(), resp.StatusCode, "no authorization id")
					}
					carry["id"] = b.ID
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

	// Twilio API keys: DELETE with the operator's Main credentials, only
	// for a key whose secret was found with its SID (and verified live).
	Register(&Registration{Provider: "twilio", Manual: "Twilio Console → Account → API keys & tokens → Delete",
		Revoke: simple{provider: "twilio", hosts: fixed("api.twilio.com"), operator: "Twilio account Main auth token",
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				sid, secret := twilioKey(f)
				switch {
				case !strings.HasPrefix(sid, "SK") || len(sid) != 34:
					return nil, nil, blocked("twilio: only API keys (SK…) can be deleted by API; rotate the auth token in the console")
				case secret == "":
					return nil, nil, blocked("twilio: only the API key SID %s… is known, not its secret: nothing proves this key leaked, so the operator's account will not delete it; check it and delete it by hand", sid[:8])
				}
				ac := env.Config.Twilio.AccountSID
				if ac == "" {
					return nil, nil, blocked("twilio: [providers.twilio] account_sid and auth_token_env are required")
				}
				u := "https://api.twilio.com/2010-04-01/Accounts/" + url.PathEscape(ac) + "/Keys/" + sid + ".json"
				calls := []Call{{Method: "DELETE", URL: u, Auth: "operator Main auth token", Why: "delete the API key"}}
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
		Revoke: simple{provider: "gcp", hosts: fixed("iam.googleapis.com"), operator: "GCP operator access token",
			calls: func(env *Env, f *finding.Finding) ([]Request, []Call, error) {
				// The scanner assembles the key file's parts (client_email,
				// private_key_id) around the private key; a whole key file
				// as the secret (a report of an earlier version) works too.
				email, keyID := f.Parts["client_email"], f.Parts["private_key_id"]
				if email == "" || keyID == "" {
					var sa struct {
						ClientEmail  string `json:"client_email"`
						PrivateKeyID string `json:"private_key_id"`
					}
					if json.Unmarshal([]byte(f.Secret), &sa) == nil {
						email, keyID = sa.ClientEmail, sa.PrivateKeyID
					}
				}
				if email == "" || keyID == "" {
					return nil, nil, blocked("gcp: the key file's client_email and private_key_id were not found beside the key: disable it by hand (%s)", "Cloud console → IAM → Service accounts → Keys")
				}
				base := "https://iam.googleapis.com/v1/projects/-/serviceAccounts/" + url.PathEscape(email) + "/keys/"
				u := base + url.PathEscape(keyID) + ":disable"
				// The key id is half of what a key file names: shown redacted.
				shown := base + finding.Redact(keyID) + ":disable"
				calls := []Call{{Method: "POST", URL: shown, Auth: "operator access token", Why: "disable the key " + finding.Redact(keyID) + " of " + email + " (reversible; needs iam.serviceAccountKeys.disable)"}}
				tok, err := env.operatorToken("gcp ([providers.gcp] token_env)", env.Config.GCP.TokenEnv)
				if err != nil {
					return nil, calls, err
				}
				return []Request{{Method: "POST", URL: u, Display: shown, Header: hdr("Authorization", "Bearer "+tok), Body: []byte(`{"serviceAccountKeyDisableReason":"SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED"}`)}}, calls, nil
			},
			interpret: statusMap(map[int]error{200: nil, 404: ErrAlreadyDone, 401: ErrDenied, 403: ErrDenied})}})

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

// twilioKey returns the API key (or account) SID and its secret: from the
// credential's parts when the scanner assembled them, else found beside
// the finding as verification pairs them.
func twilioKey(f *finding.Finding) (sid, secret string) {
	if p := f.Parts["sid"]; p != "" && !twilioSID(f.Secret) {
		return p, f.Secret
	}
	c := verifiers.PairSighting(&verifiers.Twilio{}, verifiers.Sighting{RuleID: f.RuleID, Secret: f.Secret, Context: f.Context})
	return c.Companions["sid"], c.Secret
}

func twilioSID(s string) bool {
	return len(s) == 34 && (strings.HasPrefix(s, "SK") || strings.HasPrefix(s, "AC"))
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

// OperatorCredential implements Action: the new token is written to the
// destination with the operator's token.
func (g gitlabRotate) OperatorCredential() string { return "rotation destination's operator token" }

// ValueNames implements valueNamer.
func (g gitlabRotate) ValueNames() []string { return []string{"GITLAB_TOKEN"} }

func (g gitlabRotate) Plan(env *Env, f *finding.Finding) ([]Call, error) {
	if _, err := g.hosts(env); err != nil {
		return nil, err
	}
	if env.Destination == nil {
		return nil, env.noDestination("gitlab")
	}
	calls := []Call{{Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate", Auth: "the leaked token itself", Why: "GitLab issues a new token and revokes the old one (needs api or self_rotate scope)"}}
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
	req := Request{Provider: "gitlab", Hosts: hosts, Method: "POST", URL: g.base(env) + "/api/v4/personal_access_tokens/self/rotate",
		Header: hdr("PRIVATE-TOKEN", f.Secret), Body: []byte("{}")}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ev := []string{resp.evidence(req)}
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

var _ = time.Second

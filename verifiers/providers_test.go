package verifiers_test

import (
	"context"
	"fmt"
	"nhiscan/providers/all"
	"slices"
	"strings"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

func verifyOne(t *testing.T, provider, secret string, a *fakeapi.Account, f fakeapi.Fault) verifiers.Result {
	t.Helper()
	e := newEnv(t, verifiers.ClientOptions{})
	if a != nil {
		e.srv.AddLive(provider, secret, *a)
	}
	e.srv.SetFault(provider, f)
	r := verifiers.NewChecker(testRegistry(t), e.client).Verify(context.Background(), provider, secret)
	if pr := e.srv.Problems(); len(pr) > 0 {
		t.Errorf("requests did not match the real API: %v", pr)
	}
	return r
}

func TestGitHubPrivileges(t *testing.T) {
	g := fixtures.NewGen(31)
	for _, c := range []struct {
		scopes []string
		level  string
		flag   string
	}{
		{[]string{"admin:org", "repo"}, "admin", "org-admin"},
		{[]string{"delete_repo"}, "admin", ""},
		{[]string{"repo", "read:org"}, "write", ""},
		{[]string{"write:packages"}, "write", ""},
		{[]string{"read:user", "gist"}, "read", ""},
		{nil, "unknown", ""}, // fine-grained tokens report no scopes
	} {
		r := verifyOne(t, "github", g.GitHubToken("ghp_"), &fakeapi.Account{Scopes: c.scopes}, fakeapi.Fault{})
		if r.Status != verifiers.Live || r.Privileges.Level != c.level || !slices.Equal(r.Privileges.Scopes, c.scopes) {
			t.Errorf("scopes %v: got %v level %q scopes %v, want level %q", c.scopes, r.Status, r.Privileges.Level, r.Privileges.Scopes, c.level)
		}
		if c.flag != "" && !slices.Contains(r.Privileges.Flags, c.flag) {
			t.Errorf("scopes %v: flags %v lack %q", c.scopes, r.Privileges.Flags, c.flag)
		}
	}
}

func TestStripeRestrictedKeyIsLive(t *testing.T) {
	r := verifyOne(t, "stripe", fixtures.NewGen(32).StripeSecretKey(), &fakeapi.Account{Restricted: true}, fakeapi.Fault{})
	if r.Status != verifiers.Live || r.Privileges.Level != "unknown" || !slices.Contains(r.Privileges.Flags, "restricted") {
		t.Fatalf("got %v %+v", r.Status, r.Privileges)
	}
}

func TestOpenAIQuotaExhaustedIsLive(t *testing.T) {
	r := verifyOne(t, "openai", fixtures.NewGen(33).OpenAIKey(), &fakeapi.Account{QuotaExhausted: true}, fakeapi.Fault{})
	if r.Status != verifiers.Live || !slices.Contains(r.Privileges.Flags, "quota-exhausted") {
		t.Fatalf("got %v (%s) %+v", r.Status, r.Reason, r.Privileges)
	}
}

func TestSlackOtherErrorIsUnknown(t *testing.T) {
	// HTTP 200 with ok:false and an error that is not an auth failure.
	r := verifyOne(t, "slack", fixtures.NewGen(34).SlackBotToken(), &fakeapi.Account{}, fakeapi.Fault{Status: 200})
	if r.Status != verifiers.Unknown {
		t.Fatalf("got %v (%s), want Unknown", r.Status, r.Reason)
	}
}

func TestSlackRevokedReason(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{})
	s := fixtures.NewGen(35).SlackBotToken()
	e.srv.AddLive("slack", s, fakeapi.Account{})
	e.srv.Revoke(s)
	r := verifiers.NewChecker(all.Default(), e.client).Verify(context.Background(), "slack", s)
	if r.Status != verifiers.Dead || r.Reason != "slack: token_revoked" {
		t.Fatalf("got %v (%s)", r.Status, r.Reason)
	}
}

func TestHuggingFaceRole(t *testing.T) {
	r := verifyOne(t, "huggingface", fixtures.NewGen(36).HuggingFaceToken(), &fakeapi.Account{Role: "write"}, fakeapi.Fault{})
	if r.Status != verifiers.Live || r.Privileges.Level != "write" {
		t.Fatalf("got %v %+v", r.Status, r.Privileges)
	}
}

func TestSendGridKeyManager(t *testing.T) {
	r := verifyOne(t, "sendgrid", fixtures.NewGen(37).SendGridKey(), &fakeapi.Account{Scopes: []string{"mail.send", "api_keys.create"}}, fakeapi.Fault{})
	if r.Status != verifiers.Live || r.Privileges.Level != "admin" || !slices.Contains(r.Privileges.Flags, "can-manage-keys") {
		t.Fatalf("got %v %+v", r.Status, r.Privileges)
	}
}

func TestUndocumentedStatusIsUnknown(t *testing.T) {
	g := fixtures.NewGen(38)
	reg := testRegistry(t)
	for _, sp := range specs {
		if sp.provider == "slack" || sp.offline { // slack answers everything with 200
			continue
		}
		e := newEnv(t, verifiers.ClientOptions{})
		smp := sp.gen(g)
		v, _ := reg.Lookup(sp.provider)
		sight := verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}
		addLive(e, sp, verifiers.PairSighting(v, sight), smp)
		e.srv.SetFault(sp.provider, fakeapi.Fault{Status: 418})
		if r := verifiers.NewChecker(reg, e.client).VerifySighting(context.Background(), sp.provider, sight); r.Status != verifiers.Unknown {
			t.Errorf("%s: HTTP 418 gave %v", sp.name, r.Status)
		}
	}
}

func TestDiscordWebhookURLFromContent(t *testing.T) {
	g := fixtures.NewGen(39)
	hook := g.DiscordWebhook()
	e := newEnv(t, verifiers.ClientOptions{})
	e.srv.AddLive("discord", hook, fakeapi.Account{})
	k := verifiers.NewChecker(all.Default(), e.client)
	ctx := context.Background()

	// The legacy host spelling still goes to https://discord.com.
	legacy := strings.Replace(hook, "https://discord.com/", "https://discordapp.com/", 1)
	if r := k.Verify(ctx, "discord", legacy); r.Status != verifiers.Live {
		t.Fatalf("discordapp.com webhook: %v (%s)", r.Status, r.Reason)
	}
	// Look-alike hosts and non-webhook values are never sent anywhere.
	for _, s := range []string{
		strings.Replace(hook, "https://discord.com/", "https://discord.com.evil.example/", 1),
		strings.Replace(hook, "https://discord.com/", "https://evil.example/discord.com/", 1),
		g.HuggingFaceToken(), // e.g. a client secret: not verifiable alone
	} {
		r := k.Verify(ctx, "discord", s)
		if r.Status != verifiers.Unknown {
			t.Errorf("got %v for a non-webhook value", r.Status)
		}
		if strings.Contains(fmt.Sprintf("%#v", r), s) {
			t.Error("result holds the value")
		}
	}
	if n := e.srv.Requests("discord"); n != 1 {
		t.Fatalf("requests = %d, want 1", n)
	}
}

func TestTelegramTokenNeverInEndpoint(t *testing.T) {
	s := fixtures.NewGen(40).TelegramBotToken()
	r := verifyOne(t, "telegram", s, &fakeapi.Account{}, fakeapi.Fault{})
	if r.Status != verifiers.Live || r.Endpoint != "GET https://api.telegram.org/bot[REDACTED]/getMe" {
		t.Fatalf("got %v endpoint %q", r.Status, r.Endpoint)
	}
	// A value that would change the path is refused before any request.
	e := newEnv(t, verifiers.ClientOptions{})
	r = verifiers.NewChecker(all.Default(), e.client).Verify(context.Background(), "telegram", "123456:AA/../../evil")
	if r.Status != verifiers.Unknown || e.srv.Requests("telegram") != 0 {
		t.Fatalf("got %v with %d requests", r.Status, e.srv.Requests("telegram"))
	}
}

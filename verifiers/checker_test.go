package verifiers_test

import (
	"context"
	"nhiscan/providers/all"
	"nhiscan/providers/github"
	"strings"
	"sync"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

func TestCacheChecksEachSecretOnce(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{})
	g := fixtures.NewGen(21)
	secrets := make([]string, 50)
	for i := range secrets {
		secrets[i] = g.GitHubToken("ghp_")
		if i%5 != 0 { // a fifth stay unknown to the fake: dead
			e.srv.AddLive("github", secrets[i], fakeapi.Account{})
		}
	}
	k := verifiers.NewChecker(all.Default(), e.client)
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for i := range 50 {
				s := secrets[(i+w)%50]
				r := k.Verify(context.Background(), "github", s)
				if want := map[bool]verifiers.Status{true: verifiers.Dead, false: verifiers.Live}[(i+w)%50%5 == 0]; r.Status != want {
					t.Errorf("got %v, want %v", r.Status, want)
				}
			}
		})
	}
	wg.Wait()
	if n := e.srv.Requests("github"); n != 50 {
		t.Fatalf("1,000 lookups of 50 secrets made %d requests, want 50", n)
	}
}

func TestCacheKeyedByProvider(t *testing.T) {
	if verifiers.Key("github", "x") == verifiers.Key("npm", "x") {
		t.Fatal("same key for two providers")
	}
	if strings.Contains(verifiers.Key("github", "secret-value"), "secret-value") {
		t.Fatal("key holds the secret")
	}
}

func TestRegistry(t *testing.T) {
	r := verifiers.NewRegistry()
	if err := r.Register(&github.Provider{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(&github.Provider{}); err == nil {
		t.Fatal("duplicate registration accepted")
	}
	if _, ok := r.Lookup("github"); !ok {
		t.Fatal("github not found")
	}
	if _, ok := r.Lookup("aws"); ok {
		t.Fatal("aws found")
	}
	want := []string{"anthropic", "atlassian", "aws", "azure", "cloudflare", "database", "databricks", "datadog", "digitalocean", "discord",
		"dockerhub", "gcp", "github", "gitlab", "grafana", "heroku", "huggingface", "linear", "mailgun", "npm", "openai", "postman",
		"privatekey", "sendgrid", "slack", "stripe", "telegram", "twilio", "vault"}
	if got := all.Default().Providers(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Default providers = %v", got)
	}
	e := newEnv(t, verifiers.ClientOptions{})
	res := verifiers.NewChecker(r, e.client).Verify(context.Background(), "aws", "AKIAFAKE")
	if res.Status != verifiers.Unknown || !strings.Contains(res.Reason, "no verifier") {
		t.Fatalf("unknown provider: %v (%s)", res.Status, res.Reason)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[verifiers.Status]string{verifiers.Unknown: "unknown", verifiers.Live: "live", verifiers.Dead: "dead", 42: "unknown"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

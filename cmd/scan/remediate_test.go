package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/fixtures/faketracker"
	"nhiscan/internal/store"
	"nhiscan/remediate"
)

// withTracker points remediation traffic at the fake providers and tracker.
func withTracker(t *testing.T, srv *fakeapi.Server) *faketracker.Server {
	t.Helper()
	tr := faketracker.New(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertPEM())
	pool.AddCert(tr.TLS.Certificate())
	remediateClientOptions = func(o *remediate.ClientOptions) {
		o.RootCAs = pool
		o.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == tr.Host() {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
			return srv.DialContext(ctx, network, addr)
		}
	}
	t.Cleanup(func() { remediateClientOptions = nil })
	t.Setenv("NHISCAN_DEMO_TRACKER_TOKEN", "operator-token")
	return tr
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb strings.Builder
	code := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), code
}

// TestRemediateDemo is the README's demo: a repository with live fake
// credentials is scanned and verified, the plan is printed (no call made),
// applied (revoked, re-verified dead, one ticket each, closed), verified
// again, and applied again (nothing changes).
func TestRemediateDemo(t *testing.T) {
	srv := withFakes(t)
	tr := withTracker(t, srv)
	g := fixtures.NewGen(505)
	gh, slack := g.GitHubToken("ghp_"), g.SlackBotToken()
	srv.AddLive("github", gh, fakeapi.Account{Login: "deploy-bot", Scopes: []string{"repo", "admin:org"}})
	srv.AddLive("slack", slack, fakeapi.Account{Login: "alerts-bot"})
	repo := fixtures.NewRepo(t)
	repo.WriteFile("deploy/ci.env", "GITHUB_TOKEN="+gh+"\nSLACK_BOT_TOKEN="+slack+"\n")
	repo.CommitAs("Alice", "alice@example.com", "ci settings")
	dir := t.TempDir()
	raw, audit, policy := filepath.Join(dir, "raw.json"), filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf(`mode = "apply"
[[rule]]
name = "live: revoke and ticket"
status = ["live"]
actions = ["revoke", "ticket"]
fallback = ["ticket"]
[ticket]
system = "github"
[ticket.github]
repo = "acme/app"
api_url = %q
token_env = "NHISCAN_DEMO_TRACKER_TOKEN"
`, tr.URL())), 0o600); err != nil {
		t.Fatal(err)
	}
	step := func(title string, want int, args ...string) string {
		out, code := runCLI(t, args...)
		t.Logf("\n$ scan %s   # %s\n%s", strings.Join(args, " "), title, out)
		if code != want {
			t.Fatalf("exit %d, want %d", code, want)
		}
		if strings.Contains(out, gh) || strings.Contains(out, slack) {
			t.Fatal("a secret was printed")
		}
		return out
	}
	step("scan, verify, keep the raw secrets for remediation", 1, "git", repo.Dir(), "--verify", "--show-secrets", "--format", "json", "--report", raw, "--quiet")
	before := srv.TotalRequests()
	out := step("the plan: no call to any provider or tracker", 0, "remediate", raw, "--policy", policy, "--audit", audit, "--plan")
	if srv.TotalRequests() != before || len(tr.Calls()) != 0 || len(srv.Mutations()) != 0 {
		t.Fatalf("--plan made calls: %d provider, %v tracker", srv.TotalRequests()-before, tr.Calls())
	}
	if !strings.Contains(out, "POST https://api.github.com/credentials/revoke") || !strings.Contains(out, "POST https://slack.com/api/auth.revoke") {
		t.Fatalf("plan lacks the calls")
	}
	db := filepath.Join(dir, "state.db")
	out = step("apply: revoke, re-verify, ticket", 0, "remediate", raw, "--policy", policy, "--audit", audit, "--state", db, "--apply")
	if srv.IsLive(gh) || srv.IsLive(slack) || strings.Count(out, "re-verified: dead") < 2 {
		t.Fatal("not revoked")
	}
	is := tr.Issues()
	if len(is) != 2 || is[0].State != "closed" || is[1].State != "closed" {
		t.Fatalf("issues: %+v", is)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if tk, err := st.Ticket(context.Background(), testFP(gh), "github"); err != nil || tk.State != "closed" {
		t.Fatalf("store ticket %+v %v", tk, err)
	}
	out = step("verify again: dead", 0, "verify", raw, "--fail-on", "live")
	if strings.Count(strings.ToLower(out), "dead") < 2 {
		t.Fatalf("verify: %s", out)
	}
	step("apply again: nothing to do", 0, "remediate", raw, "--policy", policy, "--audit", audit, "--apply")
	if len(tr.Issues()) != 2 {
		t.Fatalf("a second run opened tickets: %d", len(tr.Issues()))
	}
	b, _ := os.ReadFile(audit)
	if strings.Contains(string(b), gh) || strings.Contains(string(b), slack) {
		t.Fatal("secret in the audit trail")
	}
	t.Logf("\n$ head -c 600 audit.jsonl\n%s", string(b[:min(600, len(b))]))
}

// TestScanRemediateHook: scan git --verify --remediate plan|apply acts on
// the scan's own findings (raw secrets in memory, no report needed).
func TestScanRemediateHook(t *testing.T) {
	srv := withFakes(t)
	withTracker(t, srv)
	tok := fixtures.NewGen(506).GitHubToken("ghp_")
	srv.AddLive("github", tok, fakeapi.Account{Login: "ci-bot"})
	repo := fixtures.NewRepo(t)
	repo.WriteFile("ci.env", "GH="+tok+"\n")
	repo.Commit("ci")
	dir := t.TempDir()
	audit, policy := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(policy, []byte("mode = \"apply\"\n[[rule]]\nstatus = [\"live\"]\nactions = [\"revoke\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "git", repo.Dir(), "--verify", "--remediate", "plan", "--remediate-audit", audit, "--format", "json")
	if code != 1 || !strings.Contains(out, "POST https://api.github.com/credentials/revoke") || !srv.IsLive(tok) || len(srv.Mutations()) != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "git", repo.Dir(), "--verify", "--remediate", "apply", "--remediate-policy", policy, "--remediate-audit", audit, "--format", "json")
	if code != 1 || srv.IsLive(tok) || !strings.Contains(out, `"state": "revoked"`) {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if strings.Contains(out, tok) {
		t.Fatal("secret printed")
	}
}

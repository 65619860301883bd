package remediate_test

import (
	"context"
	"crypto/x509"
	"net"
	"nhiscan/providers/all"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"nhiscan/finding"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/fixtures/faketracker"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// harness wires remediate to the fake providers and the fake tracker.
type harness struct {
	t       *testing.T
	api     *fakeapi.Server
	tr      *faketracker.Server
	env     *remediate.Env
	pol     *remediate.Policy
	audit   *remediate.Audit
	auditP  string
	tracker remediate.Tracker
	ver     remediate.Verifier
	vc      *verifiers.Client
	now     time.Time
	secrets []string
}

const adminID, adminSecret = "AKIAADMINFAKE0000001", "adminSecretFakeadminSecretFakeadminSecre"

func newHarness(t *testing.T, policy string) *harness {
	t.Helper()
	api := fakeapi.New()
	t.Cleanup(api.Close)
	tr := faketracker.New(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(api.CertPEM())
	pool.AddCert(tr.TLS.Certificate())
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == tr.Host() {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return api.DialContext(ctx, network, addr)
	}
	c, err := remediate.NewClient(remediate.ClientOptions{DialContext: dial, RootCAs: pool, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	policy = strings.ReplaceAll(policy, "TRACKER", tr.URL())
	pol, err := remediate.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	h := &harness{t: t, api: api, tr: tr, pol: pol, now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	env := remediate.NewEnv(c, &pol.Providers)
	env.Registry = all.RemediationRegistry()
	env.Getenv = func(k string) string {
		return map[string]string{"GITHUB_TOKEN": "operator-gh-token", "JIRA_TOKEN": "operator-jira-token", "JIRA_EMAIL": "sec@example.com", "VAULT_TOKEN": "hvs.operator-vault-token"}[k]
	}
	env.Now = func() time.Time { return h.now }
	env.SettleWait = 20 * time.Millisecond
	env.AWS = &remediate.AWSClients{Admin: credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""), Propagation: time.Millisecond}
	api.AddAWSAdmin(adminID, adminSecret)
	api.AddLive("vault", "hvs.operator-vault-token", fakeapi.Account{})
	h.env = env
	h.auditP = filepath.Join(t.TempDir(), "audit.jsonl")
	h.reopen()
	if pol.Ticket.System != "" {
		if h.tracker, err = remediate.NewTracker(env, &pol.Ticket); err != nil {
			t.Fatal(err)
		}
	}
	if pol.Rotate.Kind != "" {
		if env.Destination, err = remediate.NewDestination(env, pol.Rotate); err != nil {
			t.Fatal(err)
		}
	}
	vc, err := verifiers.NewClient(verifiers.ClientOptions{DialContext: api.DialContext, RootCAs: api.CertPool()})
	if err != nil {
		t.Fatal(err)
	}
	h.vc = vc
	h.ver = remediate.FreshVerifier(all.Default(), vc)
	return h
}

// verifyWith re-verifies with verifiers configured by cfg (self-hosted hosts).
func (h *harness) verifyWith(cfg verifiers.Config) {
	h.t.Helper()
	reg, err := all.Registry(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ver = remediate.FreshVerifier(reg, h.vc)
}

// reopen re-reads the audit file, as a new run does.
func (h *harness) reopen() {
	if h.audit != nil {
		h.audit.Close()
	}
	a, err := remediate.OpenAudit(h.auditP)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { a.Close() })
	h.audit = a
	h.env.Budget = budgetAt{a, h}
}

type budgetAt struct {
	a *remediate.Audit
	h *harness
}

func (b budgetAt) Take(key string, limit int, per time.Duration) (bool, time.Time) {
	return b.a.TakeAt(key, limit, per, b.h.now)
}

func (h *harness) planner() *remediate.Planner {
	return &remediate.Planner{Policy: h.pol, Env: h.env, Tracker: h.tracker, Audit: h.audit}
}

// run plans and applies fs as one run would.
func (h *harness) run(fs []finding.Finding) []remediate.Result {
	h.t.Helper()
	p := h.planner()
	pl := p.Plan(fs)
	a := &remediate.Applier{Planner: p, Verifier: h.ver}
	if err := a.RecordPlan(context.Background(), pl); err != nil {
		h.t.Fatal(err)
	}
	res, err := a.Apply(context.Background(), pl)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// finding makes a finding of provider with a live verification.
func (h *harness) finding(provider, rule, secret string, live bool) finding.Finding {
	h.secrets = append(h.secrets, secret)
	st := finding.StatusDead
	if live {
		st = finding.StatusLive
	}
	return finding.Finding{
		Fingerprint: finding.Fingerprint(rule, secret), RuleID: rule, Provider: provider, Secret: secret, Redacted: finding.Redact(secret),
		InHead: true, Verification: &finding.Verification{Status: st, Identity: map[string]string{"login": "fake-" + provider + "-user"}},
		Locations: []finding.Location{{Commit: "0123456789abcdef0123456789abcdef01234567", Path: "deploy/" + provider + ".env", Line: 3, Author: "Alice", Email: "alice@example.com",
			Date: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}},
	}
}

// noSecretsIn fails when a secret is in the audit file or a ticket.
func (h *harness) noSecretsIn() {
	h.t.Helper()
	b, err := os.ReadFile(h.auditP)
	if err != nil {
		h.t.Fatal(err)
	}
	fi, _ := os.Stat(h.auditP)
	if fi.Mode().Perm() != 0o600 {
		h.t.Errorf("audit mode %v, want 0600", fi.Mode().Perm())
	}
	var texts []string
	for _, is := range h.tr.Issues() {
		texts = append(texts, is.Title, is.Body, strings.Join(is.Comments, "\n"))
	}
	for _, is := range h.tr.JiraIssues() {
		texts = append(texts, is.Summary, is.Description, strings.Join(is.Comments, "\n"))
	}
	all := string(b) + strings.Join(texts, "\n")
	for _, s := range h.secrets {
		if strings.Contains(all, s) {
			h.t.Errorf("a secret leaked into the audit trail or a ticket")
		}
	}
}

func outcomes(rs []remediate.Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, string(r.Step.Kind)+":"+string(r.Outcome))
	}
	return strings.Join(s, " ")
}

package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/internal/report"
	"nhiscan/rules"
	"nhiscan/verifiers"
)

// errNoNetwork is what every verification dial of an in-process test gets
// unless the test points the client at the fakes: tests never reach the
// network, and never send a (fake) secret to a real provider.
var errNoNetwork = errors.New("network disabled in tests")

func noNetwork(o *verifiers.ClientOptions) {
	o.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, errNoNetwork }
}

func init() { verifyClientOptions = noNetwork }

// withFakes points in-process verification at a fake provider server.
func withFakes(t *testing.T) *fakeapi.Server {
	t.Helper()
	srv := fakeapi.New()
	verifyClientOptions = func(o *verifiers.ClientOptions) {
		o.DialContext = srv.DialContext
		o.RootCAs = srv.CertPool()
	}
	t.Cleanup(func() {
		verifyClientOptions = noNetwork
		srv.Close()
		if p := srv.Problems(); len(p) > 0 {
			t.Errorf("fake API saw bad requests: %v", p)
		}
	})
	return srv
}

// refusingProxy is an HTTPS proxy that records each CONNECT target and
// refuses it: a subprocess run with HTTPS_PROXY pointing here attempts
// verification but can reach no provider (its verifications are unknown).
func refusingProxy(t *testing.T) (env []string, targets func() []string) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "no network in tests", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	env = []string{"HTTPS_PROXY=" + srv.URL, "https_proxy=" + srv.URL, "NO_PROXY=", "no_proxy="}
	return env, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// verifyRepo is a repository holding one secret of each verification
// outcome, and the fakes that answer for them.
type verifyRepo struct {
	dir                           string
	repo                          *fixtures.Repo
	live, dead, unknown, unknown2 string // github live, github dead, slack (503), custom rule (no verifier)
	config                        string // --config adding the custom rule
	commit                        string
}

func (v verifyRepo) secrets() []string { return []string{v.live, v.dead, v.unknown, v.unknown2} }

const customRule = `[extend]
useDefault = true

[[rules]]
id = "acme-internal-token"
description = "ACME internal token"
regex = '''acme_[0-9a-f]{32}'''
keywords = ["acme_"]
`

func newVerifyRepo(t *testing.T, srv *fakeapi.Server, seed uint64) verifyRepo {
	t.Helper()
	g := fixtures.NewGen(seed)
	v := verifyRepo{live: g.GitHubToken("ghp_"), dead: g.GitHubToken("ghp_"), unknown: g.SlackBotToken(), unknown2: "acme_" + g.HexKey(32)}
	srv.AddLive("github", v.live, fakeapi.Account{Login: "deploy-bot", Scopes: []string{"repo", "admin:org"}})
	srv.AddLive("slack", v.unknown, fakeapi.Account{})
	srv.SetFault("slack", fakeapi.ServerError(503))
	r := fixtures.NewRepo(t)
	v.dir, v.repo = r.Dir(), r
	v.commit = r.CommitFiles("config", map[string]string{
		"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + v.live + "\n",
		"deploy.sh":      "export GH_TOKEN=" + v.dead + "\n",
		"slack.yaml":     "bot_token: " + v.unknown + "\n",
		"internal.txt":   "token " + v.unknown2 + "\n",
	})
	v.config = filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(v.config, []byte(customRule), 0o600); err != nil {
		t.Fatal(err)
	}
	return v
}

// statuses reads a JSON report and maps each finding's secret (by
// fingerprint) to its verification status ("" when not verified).
func statuses(t *testing.T, out string, secrets map[string]string) map[string]string {
	t.Helper()
	fs, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	byFP := map[string]string{}
	for name, s := range secrets {
		byFP[testFP(s)] = name
	}
	got := map[string]string{}
	for _, f := range fs {
		name, ok := byFP[f.Fingerprint]
		if !ok {
			continue // another rule's view of the same text
		}
		st := ""
		if f.Verification != nil {
			st = string(f.Verification.Status)
		}
		got[name] = st
	}
	return got
}

func TestVerifyScanModes(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 101)
	names := map[string]string{"live": v.live, "dead": v.dead, "unknown": v.unknown, "unverified": v.unknown2}
	want := map[string]string{"live": "live", "dead": "dead", "unknown": "unknown", "unverified": ""}
	// the same secrets, staged in another repository
	st := fixtures.NewRepo(t)
	st.CommitFiles("base", map[string]string{"README.md": "# x\n"})
	st.Stage("config/app.env", "GITHUB_TOKEN="+v.live+"\n")
	st.Stage("deploy.sh", "export GH_TOKEN="+v.dead+"\n")
	st.Stage("slack.yaml", "bot_token: "+v.unknown+"\n")
	st.Stage("internal.txt", "token "+v.unknown2+"\n")
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"git", []string{"git", v.dir}},
		{"dir", []string{"dir", v.dir}},
		{"staged", []string{"staged", "--repo", st.Dir()}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			args := append(append([]string{}, mode.args...), "--verify", "--config", v.config, "--format", "json")
			code, out, errOut := cli(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (--fail-on any)\n%s", code, errOut)
			}
			got := statuses(t, out, names)
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s secret: status %q, want %q (all: %v)", name, got[name], w, got)
				}
			}
		})
	}
	if n := srv.Requests("github"); n != 6 {
		t.Errorf("github got %d requests for 2 secrets in 3 runs, want 6 (one per unique secret per run)", n)
	}
}

func TestVerifyExitCodes(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 102)
	// a repository whose only secrets are dead or unknown
	g := fixtures.NewGen(103)
	noLive := fixtures.NewRepo(t)
	noLive.CommitFiles("old", map[string]string{"a.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n", "b.yaml": "bot: " + v.unknown + "\n"})
	cases := []struct {
		name string
		args []string
		code int
		want []string // in stdout+stderr
	}{
		{"verify, fail-on any (default)", []string{"git", v.dir, "--verify"}, 1, nil},
		{"fail-on live with a live secret", []string{"git", v.dir, "--verify", "--fail-on", "live"}, 1, nil},
		{"fail-on live without one", []string{"git", noLive.Dir(), "--verify", "--fail-on", "live"}, 0, []string{"== UNKNOWN", "== DEAD"}},
		{"fail-on unknown", []string{"git", noLive.Dir(), "--verify", "--fail-on", "unknown"}, 1, nil},
		{"fail-on live,unverified: a secret no verifier covers", []string{"git", v.dir, "--verify", "--config", v.config, "--enable-rule", "acme-internal-token", "--fail-on", "live,unverified"}, 1, nil},
		{"fail-on none", []string{"git", v.dir, "--verify", "--fail-on", "none"}, 0, nil},
		{"exit-code applies to fail-on", []string{"git", v.dir, "--verify", "--fail-on", "live", "--exit-code", "3"}, 3, nil},
		{"exit-code 0 never fails", []string{"git", v.dir, "--verify", "--exit-code", "0"}, 0, nil},
		{"fail-on severity still works", []string{"git", noLive.Dir(), "--fail-on", "critical"}, 0, nil},
		{"only-verified keeps live ones", []string{"git", noLive.Dir(), "--verify", "--only-verified"}, 0, []string{"No secrets found."}},
		{"fail-on live needs --verify", []string{"git", v.dir, "--fail-on", "live"}, 2, []string{"--fail-on live needs --verify"}},
		{"only-verified needs --verify", []string{"git", v.dir, "--only-verified"}, 2, []string{"--only-verified needs --verify"}},
		{"bad fail-on", []string{"git", v.dir, "--fail-on", "sometimes"}, 2, []string{"--fail-on"}},
		{"none does not combine", []string{"git", v.dir, "--verify", "--fail-on", "none,live"}, 2, []string{"none cannot be combined"}},
		{"bad timeout", []string{"git", v.dir, "--verify", "--verify-timeout", "0s"}, 2, []string{"--verify-timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
	t.Run("only-verified reports only live", func(t *testing.T) {
		code, out, _ := cli(t, "git", v.dir, "--verify", "--only-verified", "--config", v.config, "--format", "json")
		fs, err := report.ReadJSON(strings.NewReader(out))
		if err != nil || code != 1 {
			t.Fatalf("exit %d, %v", code, err)
		}
		if len(fs) != 1 || fs[0].Fingerprint != testFP(v.live) {
			t.Fatalf("only-verified reported %d findings: %+v", len(fs), fs)
		}
	})
}

func TestVerifyTextShowsBlastRadius(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 104)
	_, out, _ := cli(t, "git", v.dir, "--verify", "--config", v.config)
	heads := []string{"== LIVE", "== UNKNOWN", "== DEAD", "== NOT VERIFIED"}
	last := -1
	for _, h := range heads {
		i := strings.Index(out, h)
		if i <= last {
			t.Fatalf("group %q missing or out of order:\n%s", h, out)
		}
		last = i
	}
	for _, w := range []string{"verified: live", "identity: ", "login=deploy-bot", "scopes: repo, admin:org", "via GET https://api.github.com/user",
		"verification: 1 live, 1 unknown, 1 dead, 1 not verified"} {
		if !strings.Contains(out, w) {
			t.Errorf("text lacks %q:\n%s", w, out)
		}
	}
}

// The whole verification phase is bounded by --verify-timeout: a provider
// that does not answer makes its secrets unknown, and says so.
func TestVerifyTimeout(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 105)
	srv.SetFault("github", fakeapi.Slow(20*time.Second))
	start := time.Now()
	code, out, errOut := cli(t, "git", v.dir, "--verify", "--verify-timeout", "500ms", "--fail-on", "live", "--format", "json")
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("verification took %s with --verify-timeout 500ms", elapsed)
	}
	if code != 0 {
		t.Fatalf("exit %d: an unknown secret must not fail --fail-on live\n%s", code, errOut)
	}
	got := statuses(t, out, map[string]string{"live": v.live, "dead": v.dead})
	if got["live"] != "unknown" || got["dead"] != "unknown" {
		t.Errorf("statuses after timeout: %v", got)
	}
	if !strings.Contains(out, "verification stopped after --verify-timeout 500ms") {
		t.Errorf("no timeout warning in the report:\n%s", out)
	}
}

// In-process tests never reach the network: without the fakes every dial
// fails, and the secret is unknown.
func TestVerifyNoNetworkInTests(t *testing.T) {
	lr := newLeakyRepo(t, 106)
	code, out, _ := cli(t, "git", lr.dir, "--verify", "--fail-on", "live", "--format", "json")
	if code != 0 || !strings.Contains(out, errNoNetwork.Error()) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestVerifyRedaction: a scan with --verify against the fakes, with -v and
// every report format, never prints or writes a secret: not on stdout or
// stderr, not in report files, log lines or errors.
func TestVerifyRedaction(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 107)
	dir := t.TempDir()
	var texts = map[string]string{}
	for _, format := range report.Formats {
		path := filepath.Join(dir, "report."+format)
		code, out, errOut := cli(t, "git", v.dir, "--verify", "-v", "--config", v.config, "--format", format, "--report", path)
		if code != 1 {
			t.Fatalf("%s: exit %d\n%s", format, code, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts[format+" stdout"], texts[format+" stderr"], texts[format+" file"] = out, errOut, string(b)
	}
	// the log (-v) says what was verified
	if log := texts["json stderr"]; !strings.Contains(log, "info: verified ") || !strings.Contains(log, "status=live") {
		t.Errorf("-v log lacks the verification lines:\n%s", log)
	}
	// errors: a provider that fails, a report whose secret does not match
	srv.SetFault("github", fakeapi.WAFPage(403))
	_, out, errOut := cli(t, "git", v.dir, "--verify", "-v", "--format", "json")
	texts["waf stdout"], texts["waf stderr"] = out, errOut
	raw := filepath.Join(dir, "raw.json")
	if code, _, errOut := cli(t, "git", v.dir, "--show-secrets", "--format", "json", "--report", raw); code != 1 {
		t.Fatalf("raw report: %s", errOut)
	}
	b, _ := os.ReadFile(raw)
	tampered := filepath.Join(dir, "tampered.json")
	other := fixtures.NewGen(108).GitHubToken("ghp_")
	if err := os.WriteFile(tampered, []byte(strings.ReplaceAll(string(b), v.live, other)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, errOut = cli(t, "verify", tampered, "-v")
	texts["tampered stdout"], texts["tampered stderr"] = out, errOut
	if !strings.Contains(out, "does not match the finding's fingerprint") {
		t.Errorf("tampered report not refused:\n%s", out)
	}
	for where, text := range texts {
		for _, s := range append(v.secrets(), other) {
			if strings.Contains(text, s) {
				t.Errorf("%s holds a raw secret (%.4s…)", where, s)
			}
		}
	}
}

// TestVerifyCommand re-checks earlier reports: raw ones, redacted ones with
// the secret re-read from the repository, and says why when it cannot.
func TestVerifyCommand(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 109)
	dir := t.TempDir()
	names := map[string]string{"live": v.live, "dead": v.dead, "unknown": v.unknown, "unverified": v.unknown2}
	scan := func(name string, args ...string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		args = append(args, "--config", v.config, "--report", p, "-q")
		if code, _, errOut := cli(t, args...); code != 1 {
			t.Fatalf("scan for %s: exit %d: %s", name, code, errOut)
		}
		return p
	}
	redacted := scan("redacted.json", "git", v.dir, "--format", "json")
	raw := scan("raw.json", "git", v.dir, "--format", "json", "--show-secrets")
	jsonl := scan("redacted.jsonl", "git", v.dir, "--format", "jsonl")
	dirReport := scan("dir.json", "dir", v.dir, "--format", "json")
	// A later commit removes the live token from the tree: its commit still
	// holds it.
	v.repo.CommitFiles("rotate", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=${GITHUB_TOKEN}\n"})

	all := map[string]string{"live": "live", "dead": "dead", "unknown": "unknown", "unverified": ""}
	cases := []struct {
		name   string
		args   []string
		code   int
		want   map[string]string
		reason string // in the output
	}{
		{"raw report", []string{"verify", raw}, 1, all, ""},
		{"redacted report re-read from the repository", []string{"verify", redacted, "--repo", v.dir}, 1, all, ""},
		{"jsonl report", []string{"verify", jsonl, "--repo", v.dir}, 1, all, ""},
		{"dir report re-read from disk", []string{"verify", dirReport, "--repo", v.dir}, 1,
			map[string]string{"live": "unknown", "dead": "dead", "unknown": "unknown", "unverified": ""}, "not found in the repository"},
		{"redacted report without --repo", []string{"verify", redacted}, 1,
			map[string]string{"live": "unknown", "dead": "unknown", "unknown": "unknown", "unverified": ""}, "pass --repo PATH"},
		{"fail-on live", []string{"verify", redacted, "--repo", v.dir, "--fail-on", "live"}, 1, nil, ""},
		{"only-verified", []string{"verify", raw, "--only-verified"}, 1, map[string]string{"live": "live"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), "--config", v.config, "--format", "json")
			code, out, errOut := cli(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if tc.want != nil {
				got := statuses(t, out, names)
				for name, w := range tc.want {
					if got[name] != w {
						t.Errorf("%s: status %q, want %q (all: %v)", name, got[name], w, got)
					}
				}
				if len(got) != len(tc.want) {
					t.Errorf("statuses %v, want %v", got, tc.want)
				}
			}
			if tc.reason != "" && !strings.Contains(out, tc.reason) {
				t.Errorf("output lacks %q:\n%s", tc.reason, out)
			}
			for _, s := range v.secrets() {
				if strings.Contains(out+errOut, s) {
					t.Error("raw secret printed")
				}
			}
		})
	}
	t.Run("the earlier status is kept in the reason", func(t *testing.T) {
		verified := scan("verified.json", "git", v.dir, "--format", "json", "--verify")
		_, out, _ := cli(t, "verify", verified, "--config", v.config)
		for _, w := range []string{"the report said live at ", "the report said dead at ", "re-verified 4 findings of an earlier report; nothing was scanned"} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run("revoked since the scan", func(t *testing.T) {
		srv.Revoke(v.live)
		code, out, _ := cli(t, "verify", redacted, "--repo", v.dir, "--fail-on", "live", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: nothing is live any more", code)
		}
		if got := statuses(t, out, names); got["live"] != "dead" {
			t.Errorf("revoked token: %q", got["live"])
		}
		srv.AddLive("github", v.live, fakeapi.Account{Login: "deploy-bot"})
	})
	t.Run("errors", func(t *testing.T) {
		for _, args := range [][]string{{"verify", filepath.Join(dir, "missing.json")}, {"verify"}, {"verify", v.config}} {
			if code, _, errOut := cli(t, args...); code != 2 || errOut == "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
			}
		}
	})
}

func TestFindSecret(t *testing.T) {
	g := fixtures.NewGen(110)
	tok := g.GitHubToken("ghp_")
	fp := testFP(tok)
	rs := loadRules(t)
	line := "GITHUB_TOKEN=" + tok
	col := strings.Index(line, tok) + 1
	cases := []struct {
		name string
		data string
		loc  finding.Location
		ok   bool
	}{
		{"exact span", "a\n" + line + "\n", finding.Location{Line: 2, Column: col, EndLine: 2, EndColumn: col + len(tok) - 1}, true},
		{"rule regex on the line", "a\n" + line + "\n", finding.Location{Line: 2, Column: 1, EndLine: 2, EndColumn: 3}, true},
		{"quoted field", "x\ntoken: \"" + tok + "\"\n", finding.Location{Line: 2}, true},
		{"wrong line", "a\n" + line + "\n", finding.Location{Line: 1, EndLine: 1}, false},
		{"line past the end", line, finding.Location{Line: 9}, false},
		{"changed secret", "a\nGITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n", finding.Location{Line: 2}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := findSecret([]byte(tc.data), tc.loc, rs, []string{"github-pat"}, func(s string) bool { return testFP(s) == fp })
			if ok != tc.ok || (ok && got != tok) {
				t.Errorf("findSecret = %v (match %v), want %v", ok, got == tok, tc.ok)
			}
		})
	}
}

// TestVerifyConfig: self-hosted hosts come only from --verify-config.
func TestVerifyConfig(t *testing.T) {
	srv := withFakes(t)
	g := fixtures.NewGen(112)
	tok := g.VaultToken()
	srv.AddLive("vault", tok, fakeapi.Account{Login: "ci"})
	r := fixtures.NewRepo(t)
	r.CommitFiles("vault", map[string]string{"deploy.env": "VAULT_ADDR=https://vault.example.com:8200\nVAULT_TOKEN=" + tok + "\n"})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("verify.toml", "[verify.hosts]\nvault = [\"vault.example.com:8200\"]\n")
	goodYAML := write("verify.yaml", "verify:\n  hosts:\n    vault: [\"vault.example.com:8200\"]\n")
	other := write("other.toml", "[verify.hosts]\nvault = [\"vault.other.example:8200\"]\n")
	bad := write("bad.toml", "[verify.hosts]\nvault = [\"https://evil.example/path\"]\n")
	cases := []struct {
		name   string
		args   []string
		code   int
		status string
		reason string
	}{
		{"no config: vault is not verifiable", []string{"--verify"}, 1, "unknown", "no configured host"},
		{"no config blocks under fail-on unverified", []string{"--verify", "--fail-on", "live,unverified"}, 1, "unknown", ""},
		{"configured host: live", []string{"--verify", "--verify-config", good}, 1, "live", ""},
		{"yaml config", []string{"--verify", "--verify-config", goodYAML}, 1, "live", ""},
		{"the file names another host: never sent there", []string{"--verify", "--verify-config", other, "--fail-on", "live"}, 0, "unknown", ""},
		{"bad host in config", []string{"--verify", "--verify-config", bad}, 2, "", "verify-config"},
		{"missing config", []string{"--verify", "--verify-config", filepath.Join(dir, "nope.toml")}, 2, "", "verify-config"},
		{"config without --verify", []string{"--verify-config", good}, 2, "", "--verify-config needs --verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"git", r.Dir(), "--format", "json"}, tc.args...)
			code, out, errOut := cli(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if tc.reason != "" && !strings.Contains(out+errOut, tc.reason) {
				t.Errorf("output lacks %q:\n%s%s", tc.reason, out, errOut)
			}
			if tc.status == "" {
				return
			}
			fs, err := report.ReadJSON(strings.NewReader(out))
			if err != nil || len(fs) == 0 {
				t.Fatalf("report: %v", err)
			}
			for _, f := range fs {
				if f.Provider == "vault" && (f.Verification == nil || string(f.Verification.Status) != tc.status) {
					t.Errorf("vault finding %s: %+v, want %s", f.RuleID, f.Verification, tc.status)
				}
			}
			if strings.Contains(out+errOut, tok) {
				t.Error("raw secret printed")
			}
		})
	}
	if n := srv.Requests("vault"); n != 2 {
		t.Errorf("vault got %d requests, want 2 (the two runs naming its host)", n)
	}
}

// verifyFindings is shared by concurrent callers (the org crawl verifies
// repositories in parallel): one checker per run, so a secret found in many
// repositories is sent once.
func TestVerifyFindingsConcurrent(t *testing.T) {
	srv := withFakes(t)
	g := fixtures.NewGen(113)
	tok := g.GitHubToken("ghp_")
	srv.AddLive("github", tok, fakeapi.Account{Login: "bot"})
	opts := &globalOpts{verify: true, failOn: "any", verifyTimeout: time.Minute, verifyRequest: 5 * time.Second,
		verifyMax: 100, verifyWorkers: 4}
	var wg sync.WaitGroup
	results := make([]*finding.Result, 8)
	for i := range results {
		results[i] = &finding.Result{Findings: []finding.Finding{{RuleID: "github-pat", Provider: "github", Secret: tok,
			Fingerprint: testFP(tok)}}}
		wg.Go(func() {
			if err := opts.verifyFindings(context.Background(), results[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.Findings[0].Status() != finding.StatusLive {
			t.Errorf("result %d: %q", i, r.Findings[0].Status())
		}
	}
	if n := srv.Requests("github"); n != 1 {
		t.Errorf("%d requests for one secret in 8 concurrent calls, want 1", n)
	}
}

func TestUnverifiable(t *testing.T) {
	cases := []struct {
		name string
		v    *finding.Verification
		want bool
	}{
		{"not verified", nil, true},
		{"live", &finding.Verification{Status: "live"}, false},
		{"dead", &finding.Verification{Status: "dead"}, false},
		{"offline only", &finding.Verification{Status: "unknown", Reason: verifiers.OfflineOnly}, true},
		{"companion missing", &finding.Verification{Status: "unknown", Reason: "aws: no access key id beside the secret"}, true},
		{"no configured host", &finding.Verification{Status: "unknown", Reason: "vault: no configured host (verify.hosts.vault)"}, true},
		{"secret not available", &finding.Verification{Status: "unknown", Reason: "secret not available: the report holds no secret"}, true},
		{"provider asked, no answer", &finding.Verification{Status: "unknown", Reason: "503", Endpoint: "GET https://api.github.com/user"}, false},
		{"budget", &finding.Verification{Status: "unknown", Reason: "budget exhausted"}, false},
		{"run out of time", &finding.Verification{Status: "unknown", Reason: "context deadline exceeded"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := unverifiable(tc.v); got != tc.want {
				t.Errorf("unverifiable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestContextAround(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 20; i++ {
		b.WriteString("line" + strings.Repeat("x", i) + "\n")
	}
	data := []byte(b.String())
	cases := []struct {
		name        string
		loc         finding.Location
		first, last string
	}{
		{"middle", finding.Location{Line: 10, EndLine: 10}, "line" + strings.Repeat("x", 4) + "\n", "line" + strings.Repeat("x", 16) + "\n"},
		{"start", finding.Location{Line: 1}, "linex\n", "line" + strings.Repeat("x", 7) + "\n"},
		{"multi-line end", finding.Location{Line: 18, EndLine: 20}, "line" + strings.Repeat("x", 12) + "\n", "line" + strings.Repeat("x", 20) + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := contextAround(data, tc.loc)
			if !strings.HasPrefix(got, tc.first) || !strings.HasSuffix(got, tc.last) {
				t.Errorf("context %q: want from %q to %q", got, tc.first, tc.last)
			}
		})
	}
	if got := contextAround(data, finding.Location{Line: 99}); got != "" {
		t.Errorf("past the end: %q", got)
	}
	long := []byte(strings.Repeat("y", 10000) + "\nsecret\n" + strings.Repeat("z", 10000) + "\n")
	if got := contextAround(long, finding.Location{Line: 2}); len(got) > 2*contextBytes+len("secret\n") || !strings.Contains(got, "secret") {
		t.Errorf("context of %d bytes around a short line", len(got))
	}
}

// TestPreCommitVerifyHookArgs runs the nhiscan-verify hook's own entry (from
// .pre-commit-hooks.yaml) in-process against the fakes: a live secret or
// one no verifier covers blocks the commit; unknown and dead ones do not.
func TestPreCommitVerifyHookArgs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	entry := hookEntry(t, b, "nhiscan-verify")
	args := strings.Fields(entry)
	if entry != "scan staged "+verifyHookArgs {
		t.Fatalf("entry %q: want the same arguments as install-hook --verify: scan staged %s", entry, verifyHookArgs)
	}
	for i, a := range args {
		if a == "--verify-timeout" {
			if d, err := time.ParseDuration(args[i+1]); err != nil || d > 5*time.Second {
				t.Errorf("--verify-timeout %s: a pre-commit hook must time out fast", args[i+1])
			}
		}
	}
	srv := withFakes(t)
	g := fixtures.NewGen(111)
	live, dead, slack := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.SlackBotToken()
	srv.AddLive("github", live, fakeapi.Account{Login: "ci-bot"})
	srv.AddLive("slack", slack, fakeapi.Account{})
	srv.SetFault("slack", fakeapi.Slow(10*time.Second))
	cfg := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(cfg, []byte(customRule), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		files   map[string]string
		extra   []string
		blocked bool
		want    string
	}{
		{"live blocks", map[string]string{"a.env": "GITHUB_TOKEN=" + live + "\n"}, nil, true, "commit blocked"},
		{"dead passes", map[string]string{"a.env": "GITHUB_TOKEN=" + dead + "\n"}, nil, false, "commit allowed"},
		{"unknown (slow provider) passes", map[string]string{"s.yaml": "bot: " + slack + "\n"}, nil, false, "1 unknown"},
		{"unverifiable blocks", map[string]string{"i.txt": "token acme_" + g.HexKey(32) + "\n"}, []string{"--config", cfg}, true, "commit blocked"},
		{"private key (offline analysis only) blocks", map[string]string{"id_rsa": g.RSAPrivateKeyPEM()}, nil, true, "commit blocked"},
		{"configured: fail-on any blocks unknown", map[string]string{"s.yaml": "bot: " + slack + "\n"}, []string{"--fail-on", "any"}, true, "commit blocked"},
		{"clean passes (quietly)", map[string]string{"main.go": "package main\n"}, nil, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			r.CommitFiles("base", map[string]string{"README.md": "# x\n"})
			for p, c := range tc.files {
				r.Stage(p, c)
			}
			a := append(append(append([]string{}, args[1:]...), "--repo", r.Dir()), tc.extra...)
			start := time.Now()
			code, out, errOut := cli(t, a...)
			if blocked := code != 0; blocked != tc.blocked {
				t.Fatalf("%v: exit %d, blocked want %v\n%s%s", a, code, tc.blocked, out, errOut)
			}
			if time.Since(start) > 8*time.Second {
				t.Errorf("the hook ran %s: its verification must stop at --verify-timeout", time.Since(start))
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
		})
	}
}

// hookEntry returns the entry of hook id in a .pre-commit-hooks.yaml.
func hookEntry(t *testing.T, manifest []byte, id string) string {
	t.Helper()
	var hooks []struct {
		ID      string `yaml:"id"`
		Entry   string `yaml:"entry"`
		Verbose bool   `yaml:"verbose"`
	}
	if err := yaml.Unmarshal(manifest, &hooks); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if h.ID == id {
			if !h.Verbose {
				t.Errorf("hook %s is not verbose: a secret let through as unknown would go unseen", id)
			}
			return h.Entry
		}
	}
	t.Fatalf("no hook %q", id)
	return ""
}

func loadRules(t *testing.T) *rules.Ruleset {
	t.Helper()
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

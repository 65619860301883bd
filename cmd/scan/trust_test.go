package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakegithub"
	"nhiscan/internal/store"
	"nhiscan/verifiers"
)

// hostileRepo is a repository whose own configuration tries to make every
// git command nhiscan runs execute a program: each program appends its name
// to marker.
type hostileRepo struct {
	r              *fixtures.Repo
	marker         string
	base, tip      string
	token, staged  string
	missingBlob    string
	armedByHostile []string
}

func newHostileRepo(t *testing.T) *hostileRepo {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	g := fixtures.NewGen(13)
	h := &hostileRepo{r: fixtures.NewRepo(t), marker: filepath.Join(t.TempDir(), "marker"), token: g.GitHubToken("ghp_"), staged: g.GitHubToken("ghp_")}
	r := h.r
	bin := t.TempDir()
	script := func(name string) string {
		p := filepath.Join(bin, name)
		body := "#!/bin/sh\necho " + name + " >> '" + h.marker + "'\n"
		if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	h.base = r.CommitFiles("base", map[string]string{"README.md": "# app\n", ".gitattributes": "*.env diff=evil filter=evil\n"})
	r.CommitFiles("leak", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + h.token + "\n"})
	// A signed commit (a gpgsig header git verifies with gpg.program when
	// log.showSignature is on).
	raw := "tree " + r.Git("rev-parse", "HEAD^{tree}") + "\nparent " + r.Head() +
		"\nauthor a <a@example.com> 1700000000 +0000\ncommitter a <a@example.com> 1700000000 +0000\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n"
	obj := filepath.Join(t.TempDir(), "commit")
	if err := os.WriteFile(obj, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	signed := r.Git("hash-object", "-t", "commit", "-w", obj)
	r.Git("update-ref", "HEAD", signed)
	// A commit whose blob is then lost: reading it makes git fetch lazily
	// from the promisor remote below.
	h.tip = r.CommitFiles("lost", map[string]string{"notes.txt": "nothing here\n"})
	h.missingBlob = r.Git("rev-parse", "HEAD:notes.txt")
	r.Stage("staged.env", "GITHUB_TOKEN="+h.staged+"\n")
	r.DeleteObject(h.missingBlob)

	hooks := filepath.Join(bin, "hooks")
	if err := os.Mkdir(hooks, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, hk := range []string{"post-index-change", "reference-transaction", "post-checkout", "pre-commit", "fsmonitor-watchman"} {
		if err := os.Rename(script("hook-"+hk), filepath.Join(hooks, hk)); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range [][2]string{
		{"core.fsmonitor", script("fsmonitor")},
		{"core.hooksPath", hooks},
		{"core.pager", script("pager")},
		{"core.sshCommand", script("ssh")},
		{"core.askPass", script("askpass")},
		{"core.editor", script("editor")},
		{"credential.helper", "!" + script("credential")},
		{"log.showSignature", "true"},
		{"gpg.program", script("gpg")},
		{"gpg.ssh.program", script("gpg-ssh")},
		{"gpg.x509.program", script("gpg-x509")},
		{"diff.external", script("diff-external")},
		{"diff.evil.textconv", script("textconv")},
		{"diff.evil.command", script("diff-command")},
		{"alias.log", "!" + script("alias-log")},
		{"alias.ls-files", "!" + script("alias-ls-files")},
		{"alias.diff", "!" + script("alias-diff")},
		{"pager.log", script("pager-log")},
		{"log.showRoot", "false"},
		{"log.mailmap", "true"},
		{"color.ui", "always"},
		{"diff.noprefix", "true"},
		{"core.repositoryFormatVersion", "1"},
		{"extensions.partialClone", "origin"},
		{"remote.origin.url", "ext::" + script("lazy-fetch") + " %S"},
		{"remote.origin.promisor", "true"},
		{"protocol.allow", "always"},
	} {
		r.Git("config", kv[0], kv[1])
	}
	// Arm check: plain git, without nhiscan's neutralising, runs them.
	for _, args := range [][]string{
		{"ls-files"},
		{"log", "-3", "--format=%H"},
		{"diff", "--cached"},
		{"diff", "--cached", "--no-ext-diff"},
		{"cat-file", "-p", h.missingBlob},
	} {
		_, _ = r.TryGit(args...)
	}
	data, _ := os.ReadFile(h.marker)
	h.armedByHostile = strings.Fields(string(data))
	for _, want := range []string{"fsmonitor", "gpg", "textconv", "lazy-fetch"} {
		if !strings.Contains(string(data), want) {
			t.Fatalf("the hostile configuration is not armed: %s did not run under plain git (ran: %q)", want, h.armedByHostile)
		}
	}
	if err := os.Remove(h.marker); err != nil {
		t.Fatal(err)
	}
	// Filters last: a failing filter process stops plain git before the
	// textconv above could run.
	for _, kv := range [][2]string{
		{"filter.evil.clean", script("clean")},
		{"filter.evil.smudge", script("smudge")},
		{"filter.evil.process", script("filter-process")},
	} {
		r.Git("config", kv[0], kv[1])
	}
	return h
}

// TestHostileGitConfigRunsNothing scans a repository whose own git
// configuration names programs for fsmonitor, signature checks, external
// diffs, textconv, filters, pagers, hooks, aliases and a lazy fetch: scan
// dir, staged, git and action run none of them and still find the secrets.
func TestHostileGitConfigRunsNothing(t *testing.T) {
	isolateGitConfig(t)
	for _, k := range []string{"GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"} {
		t.Setenv(k, "")
	}
	h := newHostileRepo(t)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(pushPayload("refs/heads/main", h.base, h.tip)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string // in stdout
	}{
		{"dir", []string{"dir", h.r.Dir(), "--format", "json"}, []string{"config/app.env", "staged.env"}},
		{"staged", []string{"staged", "--repo", h.r.Dir(), "--format", "json"}, []string{"staged.env"}},
		{"git", []string{"git", h.r.Dir(), "--format", "json"}, []string{"config/app.env"}},
		{"git range", []string{"git", h.r.Dir(), "--range", h.base + ".." + h.tip, "--format", "json"}, []string{"config/app.env"}},
		{"action", []string{"action", "--event-name", "push", "--event", event, "--workspace", h.r.Dir()}, []string{"config/app.env"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if data, err := os.ReadFile(h.marker); err == nil {
				os.Remove(h.marker)
				t.Fatalf("the repository's configuration ran: %q", strings.Fields(string(data)))
			}
			if code != 1 {
				t.Errorf("exit %d, want 1 (findings)\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no finding at %s\nstdout: %s\nstderr: %s", w, out, errOut)
				}
			}
			if strings.Contains(out, "\x1b[") {
				t.Errorf("color escapes from the repository's color.ui reached the output")
			}
		})
	}
}

// TestOrgRefusesClearTextAPI: --api-url http://… is refused before anything
// is sent (the token would travel in clear), and so are other schemes.
func TestOrgRefusesClearTextAPI(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	const token = "org-cleartext-token-not-a-secret"
	t.Setenv("GITHUB_TOKEN", token)
	dir := t.TempDir()
	for _, api := range []string{srv.URL + "/api/v3/", "file:///tmp/api", "ssh://" + srv.Listener.Addr().String() + "/"} {
		t.Run(api, func(t *testing.T) {
			code, out, errOut := cli(t, "org", "acme", "--api-url", api, "--state", filepath.Join(dir, "state.db"), "--cache-dir", filepath.Join(dir, "cache"))
			if code != 2 || !strings.Contains(errOut, "https") {
				t.Fatalf("exit %d, stderr %q; want 2 and a word on https", code, errOut)
			}
			if strings.Contains(out+errOut, token) {
				t.Fatal("token printed")
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the clear-text API", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err == nil {
		t.Error("the store was opened before the URL was checked")
	}
}

// TestNoProxyAndProxyWarning: with HTTPS_PROXY and an added CA
// (SSL_CERT_FILE) the proxy could read credentials: one warning on stderr
// (even with several clients), never the proxy's user info; --no-proxy
// builds the clients without the proxy, verifies directly and warns not.
func TestNoProxyAndProxyWarning(t *testing.T) {
	srv := withFakes(t)
	v := newVerifyRepo(t, srv, 131)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var noProxy []bool
	prev := verifyClientOptions
	verifyClientOptions = func(o *verifiers.ClientOptions) {
		prev(o)
		mu.Lock()
		noProxy = append(noProxy, o.NoProxy)
		mu.Unlock()
	}
	t.Cleanup(func() { verifyClientOptions = prev })
	const warning = "can read them in clear"
	cases := []struct {
		name     string
		proxy    string
		ca       string
		args     []string
		warnings int
		noProxy  bool
	}{
		{"proxy and added CA", "http://user:pw-not-a-secret@127.0.0.1:1", ca, nil, 1, false},
		{"proxy and added CA, --no-proxy", "http://user:pw-not-a-secret@127.0.0.1:1", ca, []string{"--no-proxy"}, 0, true},
		{"proxy without an added CA", "http://127.0.0.1:1", "", nil, 0, false},
		{"no proxy", "", ca, nil, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", tc.proxy)
			t.Setenv("SSL_CERT_FILE", tc.ca)
			t.Setenv("SSL_CERT_DIR", "")
			t.Setenv("https_proxy", "")
			mu.Lock()
			noProxy = nil
			mu.Unlock()
			args := append([]string{"git", v.dir, "--verify", "--format", "json"}, tc.args...)
			_, out, errOut := cli(t, args...)
			if n := strings.Count(errOut, warning); n != tc.warnings {
				t.Errorf("%d warnings, want %d:\n%s", n, tc.warnings, errOut)
			}
			if strings.Contains(errOut, "pw-not-a-secret") {
				t.Error("the proxy's password was printed")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(noProxy) == 0 || slices.Contains(noProxy, !tc.noProxy) {
				t.Errorf("clients built with NoProxy %v, want all %v", noProxy, tc.noProxy)
			}
			if tc.noProxy && !strings.Contains(out, `"live"`) {
				t.Errorf("--no-proxy: the live secret was not verified directly:\n%s", out)
			}
		})
	}
}

// TestOrgConcurrentRunsQuietPrivateCache: two crawls of one org sharing a
// cache folder and a store at the same time both succeed, with no clone
// tripping over the other's, and record two runs; -q prints nothing on
// stderr (no progress); an existing world-writable cache folder is made
// 0700.
func TestOrgConcurrentRunsQuietPrivateCache(t *testing.T) {
	const token = "org-concurrent-token-not-a-secret"
	gh := fakegithub.New(t)
	t.Setenv("SSL_CERT_FILE", gh.CAFile())
	gh.RequireToken(token)
	t.Setenv("GITHUB_TOKEN", token)
	gen := fixtures.NewGen(33)
	for _, name := range []string{"a", "b", "c"} {
		w := fixtures.NewRepo(t)
		w.CommitFiles("init", map[string]string{"app.env": "GITHUB_TOKEN=" + gen.GitHubToken("ghp_") + "\n"})
		gh.Add(fakegithub.Repo{Owner: "acme", Name: name}, w.Dir())
	}
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.db")
	args := []string{"org", "acme", "--api-url", gh.APIURL(), "--state", state, "--cache-dir", cache,
		"--progress", "lines", "--format", "json", "-q", "--concurrency", "1", "--check-concurrency", "1"}
	arrived, release := gh.Hold("acme/a")
	type result struct {
		code     int
		out, err string
	}
	results := make(chan result, 2)
	start := func() {
		go func() {
			code, out, errOut := cli(t, args...)
			results <- result{code, out, errOut}
		}()
	}
	start()
	select {
	case <-arrived:
	case <-time.After(time.Minute):
		t.Fatal("the first crawl never reached acme/a")
	}
	start()
	time.Sleep(time.Second) // the second crawl is listing and waiting for acme/a's mirror
	release()
	for range 2 {
		r := <-results
		if r.code != 1 {
			t.Errorf("exit %d, want 1 (findings); stderr:\n%s", r.code, r.err)
		}
		if r.err != "" {
			t.Errorf("-q: stderr not empty:\n%s", r.err)
		}
		if strings.Count(r.out, `"fingerprint"`) < 3 {
			t.Errorf("report misses findings:\n%s", r.out)
		}
	}
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), "org:acme", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID == runs[1].ID || runs[0].FinishedAt.IsZero() || runs[1].FinishedAt.IsZero() {
		t.Errorf("runs %+v, want two separate finished runs", runs)
	}
	fi, err := os.Stat(cache)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache folder mode %v, want 700 (%v)", fi.Mode().Perm(), err)
	}
}

// TestReportOntoHardLink: --report where a hard link to another file sits
// replaces the link and leaves the other file alone; the report is 0600.
func TestReportOntoHardLink(t *testing.T) {
	g := fixtures.NewGen(34)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "prod.env"), []byte("GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "important.txt")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "report.json")
	if err := os.Link(victim, rep); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	code, _, errOut := cli(t, "dir", src, "--format", "json", "--report", rep, "-q")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep me\n" {
		t.Fatalf("the linked file was written through: %q", data)
	}
	data, err := os.ReadFile(rep)
	if err != nil || !strings.Contains(string(data), `"fingerprint"`) {
		t.Fatalf("report: %v %q", err, data)
	}
	if fi, _ := os.Stat(rep); fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".report.json.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A symbolic link is still refused, and its target untouched.
	sl := filepath.Join(dir, "link.json")
	if err := os.Symlink(victim, sl); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "dir", src, "--format", "json", "--report", sl); code != 2 || !strings.Contains(errOut, "symbolic link") {
		t.Fatalf("symlink: exit %d, %s", code, errOut)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
)

// pushServer is a bare repository with `scan pre-receive` installed as its
// hook, and a client repository whose origin it is.
type pushServer struct {
	t      *testing.T
	bin    string
	bare   string
	log    string
	client *fixtures.Repo
	env    []string
}

func newPushServer(t *testing.T) *pushServer {
	t.Helper()
	p := &pushServer{t: t, bin: buildScan(t), client: fixtures.NewRepo(t)}
	p.env = p.client.GitEnv()
	p.bare = filepath.Join(t.TempDir(), "srv.git")
	p.log = filepath.Join(t.TempDir(), "bypass.jsonl")
	p.git("", "init", "-q", "--bare", "-b", "main", p.bare)
	p.git(p.bare, "config", "receive.advertisePushOptions", "true")
	p.client.Git("remote", "add", "origin", p.bare)
	p.hook("--bypass-log", p.log)
	return p
}

func (p *pushServer) git(dir string, args ...string) string {
	p.t.Helper()
	out, err := runIn(dir, p.env, "git", args...)
	if err != nil {
		p.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(out)
}

// hook (re)writes the server's pre-receive hook with these arguments.
func (p *pushServer) hook(args ...string) {
	p.t.Helper()
	script := "#!/bin/sh\nexec " + shQuote(p.bin) + " pre-receive"
	for _, a := range args {
		script += " " + shQuote(a)
	}
	if err := os.WriteFile(filepath.Join(p.bare, "hooks", "pre-receive"), []byte(script+"\n"), 0o755); err != nil {
		p.t.Fatal(err)
	}
}

// push runs git push in the client and returns its output and whether git
// reported success.
func (p *pushServer) push(args ...string) (string, bool) {
	p.t.Helper()
	out, err := runIn(p.client.Dir(), p.env, "git", append([]string{"push"}, args...)...)
	return out, err == nil
}

// serverRef is the object a ref names on the server ("" when absent).
func (p *pushServer) serverRef(ref string) string {
	out, err := runIn(p.bare, p.env, "git", "rev-parse", "-q", "--verify", ref)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

func (p *pushServer) logEntries() []bypassEntry {
	p.t.Helper()
	f, err := os.Open(p.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	var out []bypassEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e bypassEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			p.t.Fatalf("bypass log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

var fingerprintRE = regexp.MustCompile(`fingerprint ([0-9a-f]{32})`)

// TestPreReceivePushes pushes to a bare repository whose pre-receive hook
// is the built binary, over git's local transport: new branches,
// fast-forwards, force pushes, tags and deletions; a leaked token is
// rejected with its message on the client's terminal, and the allowed ones
// (push option, ignore file) pass and are logged.
func TestPreReceivePushes(t *testing.T) {
	isolateGitConfig(t)
	p := newPushServer(t)
	r := p.client
	g := fixtures.NewGen(1801)
	tok, tok2, tok3, tok4 := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	var fp string // the fingerprint of tok, read from a rejection

	type step struct {
		name     string
		do       func() (string, bool)
		accepted bool
		want     []string // in the client's output
		check    func(t *testing.T, out string)
	}
	steps := []step{
		{name: "clean new branch is accepted", accepted: true, do: func() (string, bool) {
			r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
			return p.push("-u", "origin", "main")
		}},
		{name: "fast-forward adding a token is rejected", want: []string{
			"remote: nhiscan: push rejected: the pushed commits add 1 secret(s)",
			"remote:   - github-pat", "refs/heads/main commit ", "config/app.env:2", "fingerprint ",
			"nhiscan.allow=<fingerprint>", ".gitleaksignore", "pre-receive hook declined"},
			do: func() (string, bool) {
				before := p.serverRef("main")
				r.CommitFiles("leak", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + tok + "\n"})
				out, ok := p.push("origin", "main")
				if got := p.serverRef("main"); got != before {
					t.Errorf("server main moved to %s after a rejected push", got)
				}
				return out, ok
			},
			check: func(t *testing.T, out string) {
				m := fingerprintRE.FindStringSubmatch(out)
				if m == nil {
					t.Fatal("no fingerprint in the rejection")
				}
				fp = m[1]
				// git quarantined the pushed objects and dropped them.
				if _, err := runIn(p.bare, p.env, "git", "cat-file", "-e", r.Head()); err == nil {
					t.Error("the rejected commit is in the server's object store")
				}
			}},
		{name: "the same push with nhiscan.allow is accepted and logged", accepted: true,
			want: []string{"allowed by push option nhiscan.allow: github-pat", "recorded for the security team"},
			do: func() (string, bool) {
				return p.push("-o", "nhiscan.allow="+fp, "-o", "nhiscan.reason=test fixture, not a real token", "origin", "main")
			},
			check: func(t *testing.T, out string) {
				es := p.logEntries()
				if len(es) != 1 {
					t.Fatalf("bypass log: %+v", es)
				}
				e := es[0]
				if e.Event != "allowed-by-push-option" || e.Fingerprint != fp || e.Ref != "refs/heads/main" || e.Rule != "github-pat" ||
					e.Reason != "test fixture, not a real token" || len(e.Locations) != 1 || e.Locations[0].Path != "config/app.env" || e.Locations[0].Line != 2 {
					t.Errorf("bypass entry %+v", e)
				}
			}},
		{name: "force push of a rewritten history with a new token is rejected", want: []string{"push rejected", "rewrite.env:1", "refs/heads/main"},
			do: func() (string, bool) {
				r.Git("reset", "-q", "--hard", "HEAD~1")
				r.CommitFiles("rewrite", map[string]string{"rewrite.env": "TOKEN=" + tok2 + "\n"})
				return p.push("--force", "origin", "main")
			}},
		{name: "force push of a clean rewrite is accepted", accepted: true, do: func() (string, bool) {
			r.Git("reset", "-q", "--hard", "HEAD~1")
			r.CommitFiles("clean rewrite", map[string]string{"main.go": "package main\n"})
			return p.push("--force", "origin", "main")
		}},
		{name: "new branch with a token is rejected", want: []string{"push rejected", "refs/heads/feature", "feature.env:1"},
			do: func() (string, bool) {
				r.Git("checkout", "-q", "-b", "feature")
				r.CommitFiles("feature", map[string]string{"feature.env": "TOKEN=" + tok3 + "\n"})
				r.Checkout("main")
				return p.push("origin", "feature")
			}},
		{name: "a .gitleaksignore in the pushed commit allows it, logged", accepted: true,
			want: []string{"allowed by ignore file"},
			do: func() (string, bool) {
				out, _ := p.push("origin", "feature")
				m := fingerprintRE.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no fingerprint:\n%s", out)
				}
				r.Checkout("feature")
				r.CommitFiles("allow the fixture", map[string]string{".gitleaksignore": "# test fixture\n" + m[1] + "\n"})
				r.Checkout("main")
				return p.push("origin", "feature")
			},
			check: func(t *testing.T, out string) {
				es := p.logEntries()
				if e := es[len(es)-1]; e.Event != "allowed-by-ignore-file" || e.Ref != "refs/heads/feature" || !strings.HasSuffix(e.Source, ":.gitleaksignore") {
					t.Errorf("bypass entry %+v", e)
				}
			}},
		{name: "annotated tag on a new commit with a token is rejected", want: []string{"push rejected", "refs/tags/v1", "release.env:1"},
			do: func() (string, bool) {
				r.Git("checkout", "-q", "--detach")
				r.CommitFiles("release", map[string]string{"release.env": "TOKEN=" + tok4 + "\n"})
				r.Git("tag", "-a", "-m", "v1", "v1")
				r.Checkout("main")
				return p.push("origin", "v1")
			}},
		{name: "tag on a known commit is accepted", accepted: true, do: func() (string, bool) {
			r.Git("tag", "-f", "-a", "-m", "v1", "v1", "main")
			return p.push("origin", "v1")
		}},
		{name: "deletion of a branch is accepted", accepted: true, do: func() (string, bool) {
			out, ok := p.push("origin", "--delete", "feature")
			if p.serverRef("refs/heads/feature") != "" {
				t.Error("feature still exists on the server")
			}
			return out, ok
		}},
	}
	secrets := []string{tok, tok2, tok3, tok4}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, ok := s.do()
			t.Logf("git push:\n%s", out)
			if ok != s.accepted {
				t.Fatalf("push accepted = %v, want %v\n%s", ok, s.accepted, out)
			}
			for _, w := range s.want {
				if !strings.Contains(out, w) {
					t.Errorf("client output lacks %q", w)
				}
			}
			for _, sec := range secrets {
				if strings.Contains(out, sec) {
					t.Error("the hook printed a raw secret")
				}
			}
			if s.check != nil {
				s.check(t, out)
			}
		})
	}
	if data, err := os.ReadFile(p.log); err == nil {
		for _, sec := range secrets {
			if bytes.Contains(data, []byte(sec)) {
				t.Error("the bypass log holds a raw secret")
			}
		}
		if fi, _ := os.Stat(p.log); fi.Mode().Perm() != 0o600 {
			t.Errorf("bypass log mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

// TestPreReceivePolicies covers the hook's policies that do not depend on
// history: the time budget (fail open, logged; fail closed), a bypass that
// cannot be logged, a server that refuses push options, and the
// administrators' ignore file.
func TestPreReceivePolicies(t *testing.T) {
	isolateGitConfig(t)
	g := fixtures.NewGen(1802)
	cases := []struct {
		name     string
		hook     func(p *pushServer) []string
		pushOpts func(fp string) []string // extra push options, given the token's fingerprint
		second   bool                     // the leak commit holds a second token
		accepted bool
		want     []string
		event    string // the bypass log's last event
	}{
		{name: "timeout fails open with a warning and a log entry", accepted: true,
			hook:  func(p *pushServer) []string { return []string{"--bypass-log", p.log, "--timeout", "1ns"} },
			want:  []string{"WARNING: this push was NOT checked for secrets", "--on-timeout open"},
			event: "accepted-unscanned"},
		{name: "timeout fails closed when asked",
			hook: func(p *pushServer) []string {
				return []string{"--bypass-log", p.log, "--timeout", "1ns", "--on-timeout", "closed"}
			},
			want: []string{"push rejected: the secret scan did not finish within 1ns"}},
		{name: "timeout with an unwritable log fails closed",
			hook: func(p *pushServer) []string {
				return []string{"--bypass-log", filepath.Join(p.bare, "no", "such", "dir.jsonl"), "--timeout", "1ns"}
			},
			want: []string{"bypass log cannot record the unscanned push"}},
		{name: "a bypass that cannot be logged is refused",
			hook: func(p *pushServer) []string {
				return []string{"--bypass-log", filepath.Join(p.bare, "no", "such", "dir.jsonl")}
			},
			pushOpts: func(fp string) []string { return []string{"-o", "nhiscan.allow=" + fp} },
			want:     []string{"bypass log cannot be written", "push rejected"}},
		{name: "an allowed secret beside a rejected one is not logged", second: true,
			hook:     func(p *pushServer) []string { return []string{"--bypass-log", p.log} },
			pushOpts: func(fp string) []string { return []string{"-o", "nhiscan.allow=" + fp} },
			want:     []string{"recorded once the push is accepted", "push rejected: the pushed commits add 1 secret(s)"}},
		{name: "a server may refuse push-option bypasses",
			hook: func(p *pushServer) []string {
				return []string{"--bypass-log", p.log, "--allow-push-option=false"}
			},
			pushOpts: func(fp string) []string { return []string{"-o", "nhiscan.allow=" + fp} },
			want:     []string{"does not accept nhiscan.allow push options", "push rejected"}},
		{name: "a malformed allow option allows nothing",
			hook:     func(p *pushServer) []string { return []string{"--bypass-log", p.log} },
			pushOpts: func(string) []string { return []string{"-o", "nhiscan.allow=\x1b[31mred"} },
			want:     []string{`is not a fingerprint`, `"\x1b[31mred"`, "push rejected"}},
		{name: "the administrators' ignore file allows it, logged", accepted: true,
			hook: func(p *pushServer) []string {
				return []string{"--bypass-log", p.log, "--gitleaks-ignore-path", filepath.Join(p.bare, "admin.gitleaksignore")}
			},
			want:  []string{"allowed by ignore file"},
			event: "allowed-by-ignore-file"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPushServer(t)
			p.client.CommitFiles("base", map[string]string{"README.md": "# app\n"})
			if out, ok := p.push("origin", "main"); !ok {
				t.Fatalf("clean push: %s", out)
			}
			tok := g.GitHubToken("ghp_")
			files := map[string]string{"app.env": "TOKEN=" + tok + "\n"}
			if tc.second {
				files["other.env"] = "TOKEN=" + g.GitHubToken("ghp_") + "\n"
			}
			p.client.CommitFiles("leak", files)
			out, ok := p.push("origin", "main")
			m := fingerprintRE.FindStringSubmatch(out)
			if ok || m == nil {
				t.Fatalf("the leak was not rejected with a fingerprint:\n%s", out)
			}
			fp := m[1]
			if err := os.WriteFile(filepath.Join(p.bare, "admin.gitleaksignore"), []byte("app.env:github-pat:1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p.hook(tc.hook(p)...)
			args := []string{"origin", "main"}
			if tc.pushOpts != nil {
				args = append(tc.pushOpts(fp), args...)
			}
			out, ok = p.push(args...)
			t.Logf("case %d, git push:\n%s", i, out)
			if ok != tc.accepted {
				t.Fatalf("accepted = %v, want %v", ok, tc.accepted)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("client output lacks %q", w)
				}
			}
			if strings.Contains(out, "\x1b") {
				t.Error("a raw escape sequence reached the pusher's terminal")
			}
			if strings.Contains(out, tok) {
				t.Error("raw secret printed")
			}
			es := p.logEntries()
			if tc.event == "" {
				if len(es) != 0 {
					t.Errorf("bypass log has %+v, want nothing", es)
				}
				return
			}
			if len(es) == 0 || es[len(es)-1].Event != tc.event {
				t.Fatalf("bypass log %+v, want last event %s", es, tc.event)
			}
			if e := es[len(es)-1]; tc.event == "accepted-unscanned" && (len(e.Updates) != 1 || e.Updates[0].Ref != "refs/heads/main" || e.Updates[0].New != p.client.Head()) {
				t.Errorf("unscanned entry %+v does not name the pushed update", e)
			}
		})
	}
}

// TestPreReceiveVerify runs the hook in-process against the fake providers:
// with --verify a live secret is rejected, a dead one passes with a
// warning, and an unknown one is rejected by default.
func TestPreReceiveVerify(t *testing.T) {
	srv := withFakes(t)
	g := fixtures.NewGen(1803)
	live, dead, unknown := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.SlackBotToken()
	srv.AddLive("github", live, fakeapi.Account{Login: "deploy-bot"})
	srv.AddLive("slack", unknown, fakeapi.Account{})
	r := fixtures.NewRepo(t)
	base := r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
	// Commits in no ref stand for the quarantined objects of a push.
	pushed := func(files map[string]string) string {
		r.Git("checkout", "-q", "--detach", base)
		c := r.CommitFiles("pushed", files)
		r.Checkout("main")
		return c
	}
	cases := []struct {
		name  string
		files map[string]string
		fault bool // slack answers 503
		args  []string
		code  int
		want  []string
	}{
		{name: "live is rejected", files: map[string]string{"a.env": "T=" + live + "\n"}, code: 1,
			want: []string{"push rejected", "verified live"}},
		{name: "dead passes with a warning", files: map[string]string{"a.env": "T=" + dead + "\n"}, code: 0,
			want: []string{"warning: the push adds 1 secret(s) that this server lets through", "verified dead"}},
		{name: "unknown is rejected by default", files: map[string]string{"a.env": "SLACK=" + unknown + "\n"}, fault: true, code: 1,
			want: []string{"push rejected", "verified unknown"}},
		{name: "unknown passes with --fail-on live", files: map[string]string{"a.env": "SLACK=" + unknown + "\n"}, fault: true, code: 0,
			args: []string{"--fail-on", "live"}, want: []string{"lets through", "verified unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault {
				srv.SetFault("slack", fakeapi.ServerError(503))
				t.Cleanup(func() { srv.SetFault("slack", fakeapi.Fault{}) })
			}
			c := pushed(tc.files)
			in := base + " " + c + " refs/heads/main\n"
			args := append([]string{"pre-receive", "--repo", r.Dir(), "--verify", "--bypass-log", filepath.Join(t.TempDir(), "log")}, tc.args...)
			code, out, errOut := cliIn(t, in, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, s := range []string{live, dead, unknown} {
				if strings.Contains(out+errOut, s) {
					t.Error("raw secret printed")
				}
			}
		})
	}
}

// cliIn is cli with standard input.
func cliIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	root := newRootCmd(&stdout, &stderr)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ec exitCodeError
		if !errors.As(err, &ec) {
			stderr.WriteString("scan: " + err.Error() + "\n")
		}
	}
	return codeOf(err), stdout.String(), stderr.String()
}

// TestPrePushRevs checks the range the pre-push command scans in each way
// it is called.
func TestPrePushRevs(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		remote string
		in     string
		want   []string
	}{
		{name: "pre-commit range", env: map[string]string{"PRE_COMMIT_FROM_REF": "aaa", "PRE_COMMIT_TO_REF": "bbb", "PRE_COMMIT_REMOTE_NAME": "origin"},
			want: []string{"bbb", "^aaa"}},
		{name: "pre-commit new history", env: map[string]string{"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_NAME": "origin"},
			want: []string{"refs/heads/main", "--not", "--remotes=origin"}},
		{name: "git input", remote: "origin", in: "refs/heads/main " + strings.Repeat("b", 40) + " refs/heads/main " + strings.Repeat("a", 40) + "\n" +
			"refs/heads/new " + strings.Repeat("c", 40) + " refs/heads/new " + strings.Repeat("0", 40) + "\n" +
			"(delete) " + strings.Repeat("0", 40) + " refs/heads/old " + strings.Repeat("d", 40) + "\n",
			want: []string{"--ignore-missing", strings.Repeat("b", 40), strings.Repeat("c", 40), "^" + strings.Repeat("a", 40), "--not", "--remotes=origin"}},
		{name: "only deletions", remote: "origin", in: "(delete) " + strings.Repeat("0", 40) + " refs/heads/old " + strings.Repeat("d", 40) + "\n"},
		{name: "nothing given", want: []string{"HEAD", "--not", "--remotes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in io.Reader
			if tc.in != "" {
				in = strings.NewReader(tc.in)
			}
			got, err := prePushRevs(func(k string) string { return tc.env[k] }, tc.remote, in)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("revs %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := prePushRevs(func(k string) string {
		return map[string]string{"PRE_COMMIT_TO_REF": "--output=/tmp/x"}[k]
	}, "", nil); err == nil {
		t.Error("an option was accepted as a revision")
	}
}

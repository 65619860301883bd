package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/remediate"
)

func execOut(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// hostile holds what a crafted repository or report puts in front of a
// terminal: ESC (colours, screen clearing), OSC 8 (hyperlinks) and 52
// (clipboard), CR (overwriting a line), BEL and a bidi override.
var hostile = []string{"\x1b[2J", "\x1b]8;;https://evil.example/\x07", "\x1b]52;c;cm0gLXJmIH4=\x07", "\r", "\u202e"}

// rawControl reports the first terminal control found in s: ESC, BEL, CR
// or a bidi override.
func rawControl(s string) string {
	for _, c := range []string{"\x1b", "\x07", "\r", "\u202e"} {
		if strings.Contains(s, c) {
			return strconv.Quote(c)
		}
	}
	return ""
}

// TestTerminalEscapes: file names, author names and identities carrying
// escape sequences never reach stdout, stderr or annotations raw, whatever
// the command: the one sanitiser (internal/termsafe) stands in front of
// every human-facing output.
func TestTerminalEscapes(t *testing.T) {
	isolateGitConfig(t)
	g := fixtures.NewGen(21)
	r := fixtures.NewRepo(t)
	evilName := "conf\x1b[2J\x1b]8;;https://evil.example/\x07ig\r.env"
	r.WriteFile(evilName, "GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n")
	r.WriteFile("b\u202ecod.env", "GH_TOKEN="+g.GitHubToken("ghp_")+"\n")
	r.CommitAs("Mallory \x1b]52;c;cm0gLXJmIH4=\x07\x1b[31m", "m@example.com", "evil")
	tip := r.Head()
	dir := t.TempDir()

	// A report whose identities and paths are hostile (reports fed back
	// to verify/remediate are untrusted).
	raw := filepath.Join(dir, "raw.json")
	if code, _, e := cli(t, "git", r.Dir(), "--format", "json", "--report", raw, "--show-secrets"); code != 1 {
		t.Fatalf("exit %d: %s", code, e)
	}
	hostileReport := filepath.Join(dir, "hostile.json")
	{
		fs, err := readReport(raw)
		if err != nil {
			t.Fatal(err)
		}
		for i := range fs {
			fs[i].Verification = &finding.Verification{Status: finding.StatusLive,
				Identity: map[string]string{"login": "octo" + strings.Join(hostile, "x")}}
		}
		var buf bytes.Buffer
		if err := writeJSONTo(&buf, map[string]any{"findings": jsonFindings(t, fs)}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hostileReport, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(pushPayload("refs/heads/main", strings.Repeat("0", 40), tip)), 0o600); err != nil {
		t.Fatal(err)
	}
	for k := range map[string]bool{"GITHUB_EVENT_NAME": true, "GITHUB_EVENT_PATH": true, "GITHUB_WORKSPACE": true, "GITHUB_STEP_SUMMARY": true} {
		t.Setenv(k, "")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"git text", []string{"git", r.Dir()}},
		{"git -v", []string{"git", r.Dir(), "-v"}},
		{"dir", []string{"dir", r.Dir()}},
		{"git --remediate plan", []string{"git", r.Dir(), "--remediate", "plan"}},
		{"git --report summary", []string{"git", r.Dir(), "--report", filepath.Join(dir, "r.txt")}},
		{"remediate plan of a hostile report", []string{"remediate", hostileReport}},
		{"report --from of a hostile report, json", []string{"report", "--from", hostileReport, "--format", "json"}},
		{"action annotations", []string{"action", "--event-name", "push", "--event", event, "--workspace", r.Dir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code == 2 {
				t.Fatalf("exit 2: %s", stderr)
			}
			if c := rawControl(stdout); c != "" && !strings.Contains(tc.name, "json") {
				t.Errorf("stdout carries a raw %s:\n%q", c, stdout)
			}
			if c := rawControl(stderr); c != "" {
				t.Errorf("stderr carries a raw %s:\n%q", c, stderr)
			}
			if tc.name == "action annotations" && !strings.Contains(stdout, "::error file=") {
				t.Errorf("no annotation: %q", stdout)
			}
		})
	}
}

// jsonFindings re-encodes findings as a report's JSON findings list.
func jsonFindings(t *testing.T, fs []finding.Finding) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, f := range fs {
		b, err := json.Marshal(map[string]any{
			"fingerprint": f.Fingerprint, "rule_id": f.RuleID, "provider": f.Provider, "secret": f.Secret,
			"redacted": f.Redacted, "locations": f.Locations, "verification": f.Verification,
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestProgressOnTerminal: on a terminal (a pseudo-terminal here) a scan
// shows a progress bar on stderr and clears it before the report; piped, in
// CI or with --quiet it shows nothing.
func TestProgressOnTerminal(t *testing.T) {
	t.Setenv("CI", "")
	r := fixtures.NewRepo(t)
	files := map[string]string{}
	for i := range 200 {
		files["f"+strconv.Itoa(i)+".txt"] = strings.Repeat("line of text "+strconv.Itoa(i)+"\n", 200)
	}
	r.CommitFiles("many", files)

	runOnPTY := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		defer ptmx.Close()
		var got bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&got, ptmx); close(done) }()
		var stdout bytes.Buffer
		code := run(context.Background(), args, &stdout, tty)
		tty.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return code, stdout.String(), got.String()
	}
	t.Run("terminal", func(t *testing.T) {
		code, stdout, term := runOnPTY(t, "git", r.Dir(), "--workers", "1")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, term)
		}
		for _, want := range []string{"history", "objects", "MB"} {
			if !strings.Contains(term, want) {
				t.Errorf("terminal shows no %q: %q", want, term)
			}
		}
		if strings.Contains(stdout, "history ") || strings.Contains(stdout, "\r") {
			t.Errorf("progress leaked into stdout: %q", stdout)
		}
	})
	for name, args := range map[string][]string{
		"quiet": {"git", r.Dir(), "-q"},
		"none":  {"git", r.Dir(), "--progress", "none"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, term := runOnPTY(t, args...)
			if strings.Contains(term, "objects") {
				t.Errorf("progress shown: %q", term)
			}
		})
	}
	t.Run("CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		_, _, term := runOnPTY(t, "git", r.Dir())
		if strings.Contains(term, "objects") {
			t.Errorf("progress shown in CI: %q", term)
		}
	})
	t.Run("piped", func(t *testing.T) {
		code, _, stderr := cli(t, "git", r.Dir())
		if code != 0 || stderr != "" {
			t.Errorf("piped: exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("verification", func(t *testing.T) {
		lr := newLeakyRepo(t, 22)
		_, _, stderr := cli(t, "git", lr.dir, "--verify", "--progress", "bar") // no network in tests: unknown
		if !strings.Contains(stderr, "verifying") || !strings.Contains(stderr, "secrets") {
			t.Errorf("no verification progress: %q", stderr)
		}
		if strings.Contains(stderr, lr.token) {
			t.Error("a secret in the progress display")
		}
	})
	t.Run("lines", func(t *testing.T) {
		// --progress lines on a pipe: only whole lines, no bar controls.
		_, _, stderr := cli(t, "git", r.Dir(), "--progress", "lines")
		if c := rawControl(stderr); c != "" {
			t.Errorf("lines mode wrote %s: %q", c, stderr)
		}
	})
}

// TestInterrupt sends SIGINT to a built binary in the middle of a history
// scan (git cat-file is held by a stand-in that sleeps): the child process
// is stopped, "interrupted" is printed, nothing is written and the exit
// code is 130.
func TestInterrupt(t *testing.T) {
	isolateGitConfig(t)
	bin := buildScan(t)
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	r := fixtures.NewRepo(t)
	r.CommitFiles("c", map[string]string{"a.env": "GITHUB_TOKEN=" + fixtures.NewGen(31).GitHubToken("ghp_") + "\n"})
	fake := t.TempDir()
	pidFile := filepath.Join(fake, "sleeper.pid")
	script := "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = cat-file ]; then echo $$ > " + pidFile + "; exec sleep 60; fi\ndone\nexec " + realGit + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(fake, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "out.json")
	cmd := exec.Command(bin, "git", r.Dir(), "--format", "json", "--report", report)
	cmd.Env = append(os.Environ(), "PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"), "CI=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var sleeper int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			sleeper, _ = strconv.Atoi(string(bytes.TrimSpace(b)))
			break
		}
	}
	if sleeper == 0 {
		cmd.Process.Kill()
		t.Fatalf("the scan never reached git cat-file: %s", stderr.String())
	}
	time.Sleep(100 * time.Millisecond) // let exec replace the shell by sleep
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the scan did not stop after SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want 130", err)
	}
	if got := stderr.String(); !strings.Contains(got, "interrupted") || strings.Contains(got, "signal: killed") {
		t.Errorf("stderr %q: want interrupted, no git noise", got)
	}
	if _, err := os.Stat(report); err == nil {
		t.Error("a report was written by an interrupted scan")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(report), ".nhiscan-report-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if alive(sleeper) {
		syscall.Kill(sleeper, syscall.SIGKILL)
		t.Error("the child git process still runs after the interrupt")
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// TestHookFindsMovedBinary: the installed hook runs the binary that wrote
// it; when that has moved it runs nhiscan from PATH, and when there is none
// it stops the commit with a message that says what to do (not "exec: scan:
// not found").
func TestHookFindsMovedBinary(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	hook := filepath.Join(dir, "pre-commit")
	if err := os.WriteFile(hook, []byte(hookScript(filepath.Join(dir, "gone", "scan"), false)), 0o755); err != nil {
		t.Fatal(err)
	}
	// PATH holds the shell's own tools but no scanner.
	tools := t.TempDir()
	for _, tool := range []string{"grep", "sh"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(tools, tool))
		}
	}
	runHook := func(path string) (int, string) {
		cmd := exec.Command(sh, hook)
		cmd.Env = []string{"PATH=" + path}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := runHook(tools)
	if code != 1 || !strings.Contains(out, "scan install-hook") || !strings.Contains(out, "--no-verify") || strings.Contains(out, "not found") {
		t.Errorf("no scanner: exit %d, %q", code, out)
	}
	// a foreign `scan` on PATH is not run
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "scan"), []byte("#!/bin/sh\necho somebody else's scan\nexit 0\n"), 0o755)
	if code, out := runHook(foreign + ":" + tools); code != 1 || strings.Contains(out, "somebody else") {
		t.Errorf("a foreign scan was run: exit %d, %q", code, out)
	}
	// nhiscan on PATH is found and run with the hook's arguments
	ours := t.TempDir()
	os.WriteFile(filepath.Join(ours, "nhiscan"), []byte("#!/bin/sh\necho \"nhiscan ran: $*\"\nexit 0\n"), 0o755)
	if code, out := runHook(ours + ":" + tools); code != 0 || !strings.Contains(out, "nhiscan ran: staged") {
		t.Errorf("nhiscan on PATH: exit %d, %q", code, out)
	}
	// the built scan on PATH says it is nhiscan and is run
	bin := buildScan(t)
	if code, out := runHook(filepath.Dir(bin) + ":" + tools); code == 1 && strings.Contains(out, "not at") {
		t.Errorf("nhiscan's scan on PATH was not found: %q", out)
	}
}

// TestRemediationResultsSanitised: the results of an applied remediation
// (targets, details, evidence from providers and trackers) pass the
// terminal sanitiser.
func TestRemediationResultsSanitised(t *testing.T) {
	evil := strings.Join(hostile, "|")
	var buf bytes.Buffer
	writeResults(&buf, []remediate.Result{{
		Step:     remediate.Step{Fingerprint: "f1", Provider: "github", Target: "ghp_***** (login " + evil + ")", Kind: remediate.Revoke},
		Outcome:  remediate.Done,
		Detail:   "revoked " + evil,
		Evidence: []string{"HTTP 200 " + evil},
	}})
	if c := rawControl(buf.String()); c != "" {
		t.Errorf("results carry a raw %s: %q", c, buf.String())
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"nhiscan/fixtures"
)

// actionFile is the part of action.yml the tests read.
type actionFile struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Uses  string            `yaml:"uses"`
	Env   map[string]string `yaml:"env"`
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

func loadAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

func TestActionYAML(t *testing.T) {
	a := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	wantInputs := []string{"args", "verify", "fail-on", "sarif", "config", "baseline"}
	for _, in := range wantInputs {
		t.Run("input "+in, func(t *testing.T) {
			if _, ok := a.Inputs[in]; !ok {
				t.Fatalf("input %q is not declared", in)
			}
			used := false
			for _, s := range a.Runs.Steps {
				for _, v := range s.Env {
					for _, m := range exprRE.FindAllStringSubmatch(v, -1) {
						used = used || m[1] == "inputs."+in
					}
				}
			}
			if !used {
				t.Errorf("input %q is not passed to any step's env", in)
			}
		})
	}
	if len(a.Inputs) != len(wantInputs) {
		t.Errorf("inputs %v, want exactly %v", a.Inputs, wantInputs)
	}
	for _, s := range a.Runs.Steps {
		t.Run("step "+s.Name, func(t *testing.T) {
			if s.Uses != "" {
				t.Errorf("step uses %q: the action needs nothing but the runner's go", s.Uses)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("run script interpolates an expression; pass it through env:\n%s", s.Run)
			}
			if s.Shell != "bash" {
				t.Errorf("shell %q, want bash", s.Shell)
			}
		})
	}
}

// actionRun is one local run of the action's steps.
type actionRun struct {
	code                    int
	stdout, stderr, summary string
	sarif                   string // "" when not written
}

// runner is the state runs of the action share: RUNNER_TEMP, where the
// build step leaves the binary.
type runner struct {
	temp  string
	built bool
	env   []string // added to every step's environment
}

// runAction runs action.yml's steps as a runner would: env values with their
// ${{ }} expressions resolved, each run script through bash -eo pipefail in
// the workspace, with the GITHUB_* variables of the event. The steps before
// the last (the build) run once per runner.
func runAction(t *testing.T, rn *runner, a actionFile, inputs map[string]string, eventName, event, workspace string) actionRun {
	t.Helper()
	tmp := t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	summary := filepath.Join(tmp, "summary.md")
	if err := os.WriteFile(eventPath, []byte(event), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := map[string]string{"github.action_path": moduleRoot(t), "runner.temp": rn.temp}
	for name, in := range a.Inputs {
		v, ok := inputs[name]
		if !ok {
			v = in.Default
		}
		ctx["inputs."+name] = v
	}
	base := append(os.Environ(), "GITHUB_ACTIONS=true", "GITHUB_EVENT_NAME="+eventName, "GITHUB_EVENT_PATH="+eventPath,
		"GITHUB_WORKSPACE="+workspace, "GITHUB_STEP_SUMMARY="+summary, "RUNNER_TEMP="+ctx["runner.temp"])
	base = append(base, rn.env...)
	var res actionRun
	for i, s := range a.Runs.Steps {
		if rn.built && i < len(a.Runs.Steps)-1 {
			continue
		}
		env := append([]string(nil), base...)
		for k, v := range s.Env {
			v = exprRE.ReplaceAllStringFunc(v, func(m string) string {
				key := exprRE.FindStringSubmatch(m)[1]
				x, ok := ctx[key]
				if !ok {
					t.Fatalf("step %q: unknown expression %s", s.Name, m)
				}
				return x
			})
			env = append(env, k+"="+v)
		}
		script := filepath.Join(tmp, fmt.Sprintf("step%d.sh", i))
		if err := os.WriteFile(script, []byte(s.Run), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir, cmd.Env = workspace, env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		res.stdout, res.stderr = stdout.String(), stderr.String()
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("step %q: %v", s.Name, err)
			}
			res.code = ee.ExitCode()
			if i < len(a.Runs.Steps)-1 {
				t.Fatalf("step %q failed (%d):\n%s%s", s.Name, res.code, res.stdout, res.stderr)
			}
		}
	}
	rn.built = true
	if b, err := os.ReadFile(summary); err == nil {
		res.summary = string(b)
	}
	if p := inputs["sarif"]; p != "" {
		if b, err := os.ReadFile(filepath.Join(workspace, p)); err == nil {
			res.sarif = string(b)
		}
	}
	return res
}

func pushPayload(ref, before, after string) string {
	b, _ := json.Marshal(map[string]any{
		"ref": ref, "before": before, "after": after, "created": strings.Trim(before, "0") == "", "forced": false, "deleted": false,
		"repository": map[string]any{"full_name": "octo-org/octo-repo", "default_branch": "main", "html_url": "https://github.com/octo-org/octo-repo"},
	})
	return string(b)
}

// TestActionSteps runs the action's steps locally against a repository with
// a leaked token on a feature branch.
func TestActionSteps(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not on PATH")
	}
	a := loadAction(t)
	proxyEnv, proxied := refusingProxy(t)
	g := fixtures.NewGen(31)
	tok := g.GitHubToken("ghp_")
	r := fixtures.NewRepo(t)
	base := r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
	r.Git("checkout", "-q", "-b", "feature")
	leak := r.CommitFiles("add config", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + tok + "\n"})
	tip := r.CommitFiles("docs", map[string]string{"docs.md": "x\n"})
	r.Checkout("main")
	zero := strings.Repeat("0", 40)

	type check func(t *testing.T, res actionRun)
	findingOut := func(t *testing.T, res actionRun) {
		t.Helper()
		for _, w := range []string{"::error file=config/app.env,line=2,", "title=nhiscan%3A github-pat::", "gitleaks:allow", "::stop-commands::nhiscan-"} {
			if !strings.Contains(res.stdout, w) {
				t.Errorf("stdout lacks %q:\n%s", w, res.stdout)
			}
		}
		for _, w := range []string{"| Rule | Location | Commit | Secret (redacted) |", "| github-pat | config/app\\.env:2 | " + leak[:12] + " | ghp\\_\\*\\*\\*\\*\\* |"} {
			if !strings.Contains(res.summary, w) {
				t.Errorf("summary lacks %q:\n%s", w, res.summary)
			}
		}
	}
	sarifOK := func(t *testing.T, res actionRun) {
		t.Helper()
		var log struct {
			Version string `json:"version"`
			Runs    []struct {
				Results []struct {
					RuleID    string `json:"ruleId"`
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct {
								URI string `json:"uri"`
							} `json:"artifactLocation"`
							Region struct {
								StartLine int `json:"startLine"`
							} `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(res.sarif), &log); err != nil {
			t.Fatalf("sarif: %v\n%s", err, res.sarif)
		}
		if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
			t.Fatalf("sarif: %+v", log)
		}
		rr := log.Runs[0].Results[0]
		if rr.RuleID != "github-pat" || len(rr.Locations) != 1 || rr.Locations[0].PhysicalLocation.ArtifactLocation.URI != "config/app.env" || rr.Locations[0].PhysicalLocation.Region.StartLine != 2 {
			t.Errorf("sarif result %+v", rr)
		}
	}
	has := func(where string, subs ...string) check {
		return func(t *testing.T, res actionRun) {
			t.Helper()
			text := map[string]string{"stdout": res.stdout, "stderr": res.stderr, "summary": res.summary}[where]
			for _, s := range subs {
				if !strings.Contains(text, s) {
					t.Errorf("%s lacks %q:\n%s", where, s, text)
				}
			}
		}
	}
	cases := []struct {
		name      string
		inputs    map[string]string
		eventName string
		event     string
		code      int
		checks    []check
	}{
		{name: "push with a leak fails and writes sarif", inputs: map[string]string{"sarif": "results/nhiscan.sarif"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 1,
			checks: []check{findingOut, sarifOK, has("summary", "push to refs/heads/feature")}},
		{name: "fail-on none passes", inputs: map[string]string{"fail-on": "none", "sarif": "nhiscan.sarif"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0, checks: []check{findingOut, sarifOK}},
		{name: "fail-on critical passes a high finding", inputs: map[string]string{"fail-on": "critical"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0, checks: []check{findingOut}},
		{name: "new branch scans its commits", eventName: "push", event: pushPayload("refs/heads/feature", zero, tip), code: 1,
			checks: []check{findingOut, has("summary", "new branch")}},
		{name: "range without the leak", eventName: "push", event: pushPayload("refs/heads/feature", leak, tip), code: 0,
			checks: []check{has("summary", "**No secrets found.**", "Scanned 1 commits")}},
		{name: "new branch with no new commit says so", eventName: "push", event: pushPayload("refs/heads/other", zero, base), code: 0,
			checks: []check{has("stdout", "::notice title=nhiscan::Nothing to scan"), has("summary", "**Nothing was scanned.**")}},
		{name: "args are passed", inputs: map[string]string{"args": "--enable-rule private-key  --max-target-megabytes 5"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0, checks: []check{has("summary", "**No secrets found.**")}},
		// verification goes through a proxy that refuses every connection
		// (see refusingProxy): the secret is unknown, never sent anywhere
		{name: "verify with fail-on live passes an unknown secret", inputs: map[string]string{"verify": "true", "fail-on": "live", "sarif": "v.sarif"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0,
			checks: []check{has("stdout", "== UNKNOWN", "verified: unknown", "; verified unknown ("), has("summary", "| Status | Rule |", "| unknown | github-pat |"),
				func(t *testing.T, res actionRun) {
					if !strings.Contains(res.sarif, `"verification": {`) || !strings.Contains(res.sarif, `"status": "unknown"`) {
						t.Errorf("sarif lacks the verification:\n%s", res.sarif)
					}
					if got := proxied(); !slices.Contains(got, "CONNECT api.github.com:443") {
						t.Errorf("the proxy saw %v, want a CONNECT to api.github.com:443 only", got)
					}
				}}},
		{name: "verify with fail-on any fails", inputs: map[string]string{"verify": "true"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 1, checks: []check{findingOut}},
		{name: "fail-on live without verify is an error", inputs: map[string]string{"fail-on": "live"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 2, checks: []check{has("stderr", "--fail-on live needs --verify")}},
		{name: "baseline hides known secrets", inputs: map[string]string{"baseline": "baseline.json"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0, checks: []check{has("summary", "**No secrets found.**")}},
		{name: "config replaces the rules", inputs: map[string]string{"config": "custom.toml"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 0, checks: []check{has("summary", "**No secrets found.**")}},
		{name: "schedule scans everything", eventName: "schedule", event: `{"schedule":"17 3 * * *","repository":{"default_branch":"main"}}`, code: 1,
			checks: []check{findingOut, has("summary", "full scan")}},
		{name: "bad fail-on is an error", inputs: map[string]string{"fail-on": "sometimes"},
			eventName: "push", event: pushPayload("refs/heads/feature", base, tip), code: 2, checks: []check{has("stderr", "--fail-on")}},
	}
	// The baseline: a JSON report of the whole history, written where the
	// baseline input points (relative to the workspace).
	code, out, errOut := cli(t, "git", r.Dir(), "--format", "json", "--report", filepath.Join(r.Dir(), ".git", "baseline.json"))
	if code != 1 {
		t.Fatalf("baseline scan: exit %d: %s%s", code, out, errOut)
	}
	custom := "[[rules]]\nid = \"custom-rule\"\ndescription = \"never matches\"\nregex = 'NHISCAN_NEVER_[0-9]{40}'\nkeywords = [\"nhiscan_never_\"]\n"
	if err := os.WriteFile(filepath.Join(r.Dir(), ".git", "custom.toml"), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	rn := &runner{temp: t.TempDir(), env: proxyEnv}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"baseline", "config"} {
				if p := tc.inputs[k]; p != "" {
					tc.inputs[k] = filepath.Join(r.Dir(), ".git", p)
				}
			}
			res := runAction(t, rn, a, tc.inputs, tc.eventName, tc.event, r.Dir())
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, res.stdout, res.stderr)
			}
			for _, c := range tc.checks {
				c(t, res)
			}
			for where, text := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "summary": res.summary, "sarif": res.sarif} {
				if strings.Contains(text, tok) {
					t.Errorf("%s holds the raw secret", where)
				}
			}
		})
	}
}

// TestActionCommand covers `scan action` errors in-process.
func TestActionCommand(t *testing.T) {
	for _, k := range []string{"GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY"} {
		t.Setenv(k, "")
	}
	r := fixtures.NewRepo(t)
	c1 := r.CommitFiles("one", map[string]string{"a": "1\n"})
	r.CommitFiles("two", map[string]string{"a": "2\n"})
	c3 := r.CommitFiles("three", map[string]string{"a": "3\n"})
	shallow := filepath.Join(t.TempDir(), "shallow")
	r.Git("clone", "-q", "--depth", "1", "file://"+r.Dir(), shallow)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(pushPayload("refs/heads/main", c1, c3)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "outside GitHub Actions", args: []string{"action"}, code: 2, stderr: "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set"},
		{name: "missing payload", args: []string{"action", "--event-name", "push", "--event", filepath.Join(t.TempDir(), "nope.json")}, code: 2, stderr: "event payload"},
		{name: "shallow checkout", args: []string{"action", "--event-name", "push", "--event", event, "--workspace", shallow}, code: 2,
			stdout: "::error title=nhiscan::shallow checkout", stderr: "fetch-depth: 0"},
		{name: "unsupported event", args: []string{"action", "--event-name", "issues", "--event", event, "--workspace", r.Dir()}, code: 2, stderr: "not supported"},
		{name: "clean range", args: []string{"action", "--event-name", "push", "--event", event, "--workspace", r.Dir()}, code: 0, stderr: "2 commits in range"},
		{name: "help", args: []string{"action", "--help"}, code: 0, stdout: "fetch-depth: 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

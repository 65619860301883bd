package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"nhiscan/fixtures"
)

// docExample is one `scan …` command line found in the documentation.
type docExample struct {
	file string
	line int
	args []string // after "scan"
	text string
	// inline: a `scan …` span in prose, often a mention ("`scan remediate`
	// prints…"): only its command is checked
	inline bool
}

var (
	fenceRe  = regexp.MustCompile("^\\s*```")
	inlineRe = regexp.MustCompile("`(scan [^`]+)`")
	// a scan invocation: at the start, after "$ ", after environment
	// assignments, or as a path ending in /scan ("$RUNNER_TEMP/scan").
	invokeRe = regexp.MustCompile(`^(?:[A-Z_]+=\S+\s+)*(?:"?[^\s"]*/)?scan"?\s+(.*)$`)
	// a placeholder (COMMAND) or a choice (git|dir): a pattern, not a command
	patternRe  = regexp.MustCompile(`^[A-Z][A-Z_]+(\.[a-z]+)?$|\|`)
	templateRe = regexp.MustCompile(`\$\{\{[^}]*\}\}`)
)

// docExamples extracts the scan commands of README.md and docs/*.md: every
// line of a fenced (or four-space indented) code block that runs scan (continuation lines joined,
// comments and redirections dropped, GitHub expressions replaced by 0), and
// every inline code span that starts with "scan ".
func docExamples(t *testing.T) []docExample {
	t.Helper()
	root := moduleRoot(t)
	files := []string{filepath.Join(root, "README.md")}
	more, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, m := range more {
		// The command reference is generated from --help, whose examples
		// are checked where they are written (TestGeneratedDocs keeps the
		// two equal); its placeholders (path/to/repo) are not runnable.
		if filepath.Base(m) != "cli-reference.md" {
			files = append(files, m)
		}
	}
	var out []docExample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		lines := strings.Split(string(b), "\n")
		inFence := false
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			if fenceRe.MatchString(l) {
				inFence = !inFence
				continue
			}
			if !inFence && !strings.HasPrefix(l, "    ") {
				for _, m := range inlineRe.FindAllStringSubmatch(l, -1) {
					if args := shellWords(m[1]); len(args) > 1 {
						out = append(out, docExample{rel, i + 1, args[1:], m[1], true})
					}
				}
				continue
			}
			start := i
			for strings.HasSuffix(strings.TrimRight(l, " "), "\\") && i+1 < len(lines) {
				i++
				l = strings.TrimSuffix(strings.TrimRight(l, " "), "\\") + " " + strings.TrimSpace(lines[i])
			}
			trimmed := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- run:"))
			trimmed = strings.TrimPrefix(trimmed, "$ ")
			if strings.HasPrefix(trimmed, "entry:") || strings.HasPrefix(trimmed, "#") {
				continue
			}
			m := invokeRe.FindStringSubmatch(trimmed)
			if m == nil {
				continue
			}
			rest := templateRe.ReplaceAllString(m[1], "0")
			args := shellWords(rest)
			if len(args) == 0 || strings.HasPrefix(args[0], "scan") || args[0] == "…" {
				continue
			}
			out = append(out, docExample{rel, start + 1, args, strings.TrimSpace(trimmed), false})
		}
	}
	return out
}

// shellWords splits a command line as sh would for these examples: quotes,
// a comment, a redirection or a pipe ends it.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	quote := byte(0)
	flush := func() {
		if in {
			words = append(words, cur.String())
		}
		cur.Reset()
		in = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			flush()
		case !in && (c == '#' || c == '>' || c == '|' || c == '&' || c == ';'):
			flush()
			return words
		case c == '2' && !in && i+1 < len(s) && s[i+1] == '>':
			flush()
			return words
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	flush()
	return words
}

// TestDocExamples checks every scan command of the documentation: its
// command and flags exist and its flag values are accepted; the ones that
// run offline (no network, no operator token, no file beyond the sandbox's)
// are run in a sandbox repository and must exit 0 or 1 (1: secrets found).
// The test's log lists each example and what was done with it.
func TestDocExamples(t *testing.T) {
	isolateGitConfig(t)
	t.Setenv("CI", "true")
	exs := docExamples(t)
	if len(exs) < 10 {
		t.Fatalf("found only %d examples: the extractor is broken", len(exs))
	}
	// The sandbox: a repository with a leaked token, and the files the
	// examples name (an earlier report, raw.json with secrets).
	r := fixtures.NewRepo(t)
	r.CommitFiles("leak", map[string]string{"config/prod.env": "GITHUB_TOKEN=" + fixtures.NewGen(51).GitHubToken("ghp_") + "\n"})
	r.Stage("staged.env", "X=1\n")
	sandbox := r.Dir()
	t.Chdir(sandbox)
	for _, name := range []string{"raw.json", "scan.json", "report.json", "old-report.json"} {
		if code, _, e := cli(t, "git", ".", "--format", "json", "--report", name, "--show-secrets"); code != 1 {
			t.Fatalf("sandbox %s: exit %d: %s", name, code, e)
		}
	}
	for _, ex := range exs {
		name := ex.file + ":" + strconv.Itoa(ex.line) + " " + strings.Join(ex.args, " ")
		t.Run(name, func(t *testing.T) {
			for _, a := range ex.args {
				if patternRe.MatchString(a) {
					t.Logf("pattern, not a command: %s", ex.text)
					return
				}
			}
			root := newRootCmd(nil, nil)
			root.InitDefaultHelpFlag()
			root.InitDefaultVersionFlag()
			c, rest, err := root.Find(ex.args)
			if err != nil {
				t.Fatalf("%s: %v", ex.text, err)
			}
			if ex.inline {
				t.Logf("mentioned (command exists): %s", ex.text)
				return
			}
			if err := c.ParseFlags(rest); err != nil && !errors.Is(err, pflag.ErrHelp) {
				t.Fatalf("%s: %v", ex.text, err)
			}
			if v := c.Flags().Lookup("progress"); v != nil {
				if err := checkProgress(v.Value.String()); err != nil {
					t.Fatalf("%s: %v", ex.text, err)
				}
			}
			if why := notOffline(ex.args); why != "" {
				t.Logf("checked (command and flags): %s — not run: %s", ex.text, why)
				return
			}
			code, _, stderr := cli(t, ex.args...)
			if code != 0 && code != 1 {
				t.Fatalf("%s: exit %d: %s", ex.text, code, stderr)
			}
			t.Logf("ran: %s — exit %d", ex.text, code)
		})
	}
}

// notOffline says why an example cannot run in the sandbox ("" when it
// can): it needs the network, an operator's token or file, or a path of
// the author's machine.
func notOffline(args []string) string {
	switch args[0] {
	case "org", "action":
		return "needs GitHub"
	case "verify":
		return "verifies with providers (network)"
	case "install-hook":
		return "changes the repository's hooks"
	case "report":
		if !contains(args, "--from") {
			return "needs a crawl's state store"
		}
	}
	for i, a := range args {
		switch {
		case a == "--verify" || a == "--apply" || a == "--policy" || a == "--remediate-policy" || a == "--api-url":
			return "needs the network or an operator's policy (" + a + ")"
		case a == "--baseline" || a == "--config" || a == "-c" || a == "--as":
			if i+1 < len(args) && !exists(args[i+1]) {
				return "names a file of the reader's (" + args[i+1] + ")"
			}
		case strings.HasPrefix(a, "/") || strings.HasPrefix(a, "~") || strings.HasPrefix(a, "$"):
			if !exists(a) {
				return "names a path of the reader's (" + a + ")"
			}
		case a == "--range" || a == "--since-commit" || a == "--branch":
			return "names revisions of the reader's repository"
		}
	}
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") && (args[0] == "git" || args[0] == "dir" || args[0] == "remediate") && !exists(args[1]) {
		return "names a path of the reader's (" + args[1] + ")"
	}
	if args[0] == "rules" && len(args) > 2 && args[1] == "test" && !exists(args[len(args)-1]) {
		return "names a file of the reader's"
	}
	return ""
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

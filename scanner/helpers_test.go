package scanner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/rules"
)

// Shared helpers of the scanner tests. The rule set and engine are built once:
// an Engine is safe for concurrent use, and building it is the slow part.

var (
	testEngineOnce sync.Once
	testEngineVal  *Engine
	testEngineErr  error
)

func testEngine(t testing.TB) *Engine {
	t.Helper()
	testEngineOnce.Do(func() {
		rs, err := rules.Load(rules.Options{})
		if err != nil {
			testEngineErr = err
			return
		}
		testEngineVal = NewEngine(rs, 5)
	})
	if testEngineErr != nil {
		t.Fatalf("rules.Load: %v", testEngineErr)
	}
	return testEngineVal
}

// newTestScanner returns the scanner the tests use by default.
func newTestScanner(t testing.TB) *Scanner {
	return &Scanner{Engine: testEngine(t), Workers: 2}
}

// testCtx bounds every scan so that a hang fails the test instead of the run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// readers are the two ways ScanHistory reads a repository.
var readers = []struct {
	name  string
	goGit bool
}{
	{"git-cli", false},
	{"go-git", true},
}

func mustScanHistory(t testing.TB, s *Scanner, dir string, opts HistoryOptions) *finding.Result {
	t.Helper()
	res, err := s.ScanHistory(testCtx(t), dir, opts)
	if err != nil {
		t.Fatalf("ScanHistory(%+v): %v", opts, err)
	}
	if res == nil {
		t.Fatalf("ScanHistory(%+v): nil result and nil error", opts)
	}
	return res
}

// withSecret returns the findings whose secret is secret.
func withSecret(res *finding.Result, secret string) []finding.Finding {
	var out []finding.Finding
	for _, f := range res.Findings {
		if f.Secret == secret {
			out = append(out, f)
		}
	}
	return out
}

// oneWithSecret fails unless exactly one finding holds secret.
func oneWithSecret(t testing.TB, res *finding.Result, secret string) finding.Finding {
	t.Helper()
	fs := withSecret(res, secret)
	if len(fs) != 1 {
		t.Fatalf("want exactly one finding for %s, got %d; all findings:\n%s", finding.Redact(secret), len(fs), describe(res))
	}
	return fs[0]
}

// describe lists findings without raw secrets, for failure messages.
func describe(res *finding.Result) string {
	if res == nil {
		return "<nil result>"
	}
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "  %s %s in_head=%v\n", f.RuleID, f.Redacted, f.InHead)
		for _, l := range f.Locations {
			fmt.Fprintf(&b, "    %.10s %q:%d:%d author=%q unreachable=%v\n", l.Commit, l.Path, l.Line, l.Column, l.Author, l.Unreachable)
		}
	}
	fmt.Fprintf(&b, "  stats: commits=%d blobs=%d missing=%d large=%d binary=%d errors=%d\n",
		res.Stats.Commits, res.Stats.Blobs, res.Stats.MissingObjects, res.Stats.SkippedLarge, res.Stats.SkippedBinary, res.Stats.Errors)
	return b.String()
}

// locationSet is every (finding, location) pair of a result as sorted
// strings, for comparing two scans.
func locationSet(res *finding.Result) []string {
	var out []string
	for _, f := range res.Findings {
		for _, l := range f.Locations {
			out = append(out, fmt.Sprintf("%s %s in_head=%v %s %s %q %d:%d-%d:%d %s <%s> %s",
				f.Fingerprint, f.RuleID, f.InHead, l.Commit, l.Blob, l.Path, l.Line, l.Column, l.EndLine, l.EndColumn,
				l.Author, l.Email, l.Date.UTC().Format(time.RFC3339)))
		}
	}
	sort.Strings(out)
	return out
}

// place is one expected (rule, secret, path, line) of a scan without commits.
type place struct {
	rule, secret, path string
	line               int
}

// checkPlaces asserts that res holds exactly the wanted places, one per
// location, and that every location is a complete, in-tree one.
func checkPlaces(t *testing.T, res *finding.Result, want []place) {
	t.Helper()
	key := func(p place) string {
		return fmt.Sprintf("%s %s %q:%d", p.rule, finding.Redact(p.secret)+finding.Fingerprint(p.rule, p.secret)[:8], p.path, p.line)
	}
	var got, exp []string
	for _, f := range res.Findings {
		if f.Fingerprint != (finding.Fingerprinter{}).Of(f.Secret) || !slices.Contains(f.Aliases, finding.Fingerprint(f.RuleID, f.Secret)) {
			t.Errorf("%s: fingerprint %q is not the credential's, or its per-rule alias is missing", f.RuleID, f.Fingerprint)
		}
		if !f.InHead {
			t.Errorf("%s %s: InHead = false in a tree scan", f.RuleID, f.Redacted)
		}
		for _, l := range f.Locations {
			got = append(got, key(place{f.RuleID, f.Secret, l.Path, l.Line}))
			if l.Commit != "" || l.Column < 1 || l.EndLine < l.Line {
				t.Errorf("%s: odd location %+v", f.RuleID, l)
			}
		}
	}
	for _, p := range want {
		exp = append(exp, key(p))
	}
	sort.Strings(got)
	sort.Strings(exp)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("findings differ\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
	}
}

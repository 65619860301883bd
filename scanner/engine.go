package scanner

import (
	"bytes"
	"context"
	"strings"
	"sync"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/rules"
)

// Engine matches rules against text. It wraps gitleaks' detector but never
// hands it a whole file: one multi-pattern pass over the lower-cased text
// finds the lines holding any rule keyword, and only windows of a few lines
// around them reach the regular expressions. That is where the time goes:
// gitleaks' generic rules have keywords found in almost every file, so a
// whole-file fragment makes their regexes run over everything.
//
// An Engine is safe for concurrent use.
type Engine struct {
	rules    *rules.Ruleset
	det      *detect.Detector
	keywords *ahocorasick.Trie
	// pemIdx is the index of the "-----begin" keyword in the trie: a hit on it
	// widens the window to the matching END line (private keys span lines).
	pemIdx int64
	// noKeywordRules is true when a rule without keywords exists: it must see
	// every line, so windows cannot be used.
	noKeywordRules bool
	context        int
}

// dumpHook is a measurement aid for tests.
var dumpHook func(string)

// ContextLines is how many lines around a keyword hit a window includes, so
// that rules spanning a line break (`password:\n  "value"`) still match.
const ContextLines = 2

// maxPEMLines bounds how far a private-key window reaches for its END line.
const maxPEMLines = 400

// NewEngine builds the detector once, up front: gitleaks' detector
// construction is not safe to call concurrently.
func NewEngine(rs *rules.Ruleset, maxDecodeDepth int) *Engine {
	d := detect.NewDetector(rs.Config)
	d.MaxDecodeDepth = maxDecodeDepth
	e := &Engine{rules: rs, det: d, context: ContextLines, pemIdx: -1}
	var kws []string
	for k := range rs.Config.Keywords {
		kws = append(kws, strings.ToLower(k))
	}
	for i, k := range kws {
		if k == "-----begin" {
			e.pemIdx = int64(i)
		}
	}
	for _, r := range rs.Config.Rules {
		if len(r.Keywords) == 0 && r.Regex != nil {
			e.noKeywordRules = true
		}
	}
	e.keywords = ahocorasick.NewTrieBuilder().AddStrings(kws).Build()
	return e
}

// Rules returns the rule set the engine was built with.
func (e *Engine) Rules() *rules.Ruleset { return e.rules }

// hit is one rule match in one piece of content, before it becomes a
// Finding location. Lines and columns are 1-based.
type hit struct {
	RuleID    string
	Secret    string
	Match     string
	Line      string // the text of the line(s) matched, for allowlists with regexTarget=line
	StartLine int
	StartCol  int
	EndLine   int
	EndCol    int
	Entropy   float32
}

// text is content split into lines.
type text struct {
	data   []byte
	starts []int // byte offset of each line start; len = number of lines
}

func splitLines(data []byte, starts []int) text {
	starts = append(starts[:0], 0)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= len(data) {
			break
		}
		starts = append(starts, i)
	}
	if len(data) == 0 {
		starts = starts[:0]
	}
	return text{data: data, starts: starts}
}

func (t text) lines() int { return len(t.starts) }

// end returns the offset just past line i (including its newline).
func (t text) end(i int) int {
	if i+1 < len(t.starts) {
		return t.starts[i+1]
	}
	return len(t.data)
}

func (t text) line(i int) []byte { return bytes.TrimSuffix(t.data[t.starts[i]:t.end(i)], []byte{'\n'}) }

// lineOf returns the index of the line holding byte offset off.
func (t text) lineOf(off int) int {
	lo, hi := 0, len(t.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

var lowerPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// scanLines runs the rules over lines [from, to] of t (inclusive) and returns
// the hits, with line numbers counted from 1 at the start of t. path is the
// file path when known ("" for blobs, whose paths are resolved later).
func (e *Engine) scanLines(ctx context.Context, t text, from, to int, path string) []hit {
	if t.lines() == 0 || from > to {
		return nil
	}
	if e.noKeywordRules {
		return e.detect(ctx, t, from, to, path)
	}
	lo, hi := t.starts[from], t.end(to)
	bp := lowerPool.Get().(*[]byte)
	low := toLower((*bp)[:0], t.data[lo:hi])
	var windows [][2]int // inclusive line ranges, sorted, merged
	add := func(a, b int) {
		if a < 0 {
			a = 0
		}
		if b >= t.lines() {
			b = t.lines() - 1
		}
		if n := len(windows); n > 0 && a <= windows[n-1][1]+1 {
			if b > windows[n-1][1] {
				windows[n-1][1] = b
			}
			return
		}
		windows = append(windows, [2]int{a, b})
	}
	lastLine := -1
	e.keywords.Walk(low, func(end, n, pattern int64) bool {
		l := t.lineOf(lo + int(end-n+1))
		if pattern == e.pemIdx {
			add(l-e.context, e.pemEnd(t, l))
			lastLine = l
			return true
		}
		if l == lastLine {
			return true
		}
		lastLine = l
		add(l-e.context, l+e.context)
		return true
	})
	*bp = low[:0]
	lowerPool.Put(bp)
	var hits []hit
	for _, w := range windows {
		hits = append(hits, e.detect(ctx, t, w[0], w[1], path)...)
	}
	return hits
}

// pemEnd returns the line of the END marker after a BEGIN on line l.
func (e *Engine) pemEnd(t text, l int) int {
	last := l + maxPEMLines
	if last >= t.lines() {
		last = t.lines() - 1
	}
	for i := l; i <= last; i++ {
		if bytes.Contains(t.line(i), []byte("-----END")) || bytes.Contains(t.line(i), []byte("-----end")) {
			if i == l && bytes.Count(t.line(i), []byte("-----")) < 4 {
				continue
			}
			return i + e.context
		}
	}
	return last
}

// detect runs gitleaks' detector over lines [from, to] of t.
func (e *Engine) detect(ctx context.Context, t text, from, to int, path string) []hit {
	raw := string(t.data[t.starts[from]:t.end(to)])
	if dumpHook != nil {
		dumpHook(raw)
	}
	fs := e.det.DetectContext(ctx, detect.Fragment{Raw: raw, FilePath: path, StartLine: from + 1})
	if len(fs) == 0 {
		return nil
	}
	hits := make([]hit, 0, len(fs))
	for _, f := range fs {
		hits = append(hits, hit{
			RuleID: f.RuleID, Secret: f.Secret, Match: f.Match, Line: f.Line,
			StartLine: f.StartLine, StartCol: f.StartColumn, EndLine: f.EndLine, EndCol: f.EndColumn,
			Entropy: f.Entropy,
		})
	}
	return hits
}

// toLower appends the ASCII lower-case form of src to dst; keywords are
// ASCII, so other bytes pass unchanged and offsets stay aligned.
func toLower(dst, src []byte) []byte {
	n := len(dst)
	dst = append(dst, src...)
	b := dst[n:]
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return dst
}

// locationAllowed applies what the detector could not know while scanning a
// blob without its path: path and commit allowlists (global and per rule),
// the rule's own path condition, and AND-allowlists that combine them.
func locationAllowed(cfg *config.Config, h hit, path, commit string) bool {
	rule, ok := cfg.Rules[h.RuleID]
	if !ok {
		return false
	}
	if rule.Path != nil && !rule.Path.MatchString(path) {
		return false
	}
	for _, set := range [][]*config.Allowlist{cfg.Allowlists, rule.Allowlists} {
		for _, a := range set {
			if allowedBy(a, h, path, commit) {
				return false
			}
		}
	}
	return true
}

func allowedBy(a *config.Allowlist, h hit, path, commit string) bool {
	commitOK := false
	if len(a.Commits) > 0 && commit != "" {
		commitOK, _ = a.CommitAllowed(commit)
	}
	pathOK := len(a.Paths) > 0 && path != "" && a.PathAllowed(path)
	if a.MatchCondition != config.AllowlistMatchAnd {
		return commitOK || pathOK
	}
	// AND: every criterion the allowlist names must hold.
	if len(a.Commits) > 0 && !commitOK {
		return false
	}
	if len(a.Paths) > 0 && !pathOK {
		return false
	}
	if len(a.Commits) == 0 && len(a.Paths) == 0 {
		return false // content-only AND lists were applied by the detector
	}
	if len(a.Regexes) > 0 {
		target := h.Secret
		switch a.RegexTarget {
		case "match":
			target = h.Match
		case "line":
			target = h.Line
		}
		if !a.RegexAllowed(target) {
			return false
		}
	}
	if len(a.StopWords) > 0 {
		if ok, _ := a.ContainsStopWord(h.Secret); !ok {
			return false
		}
	}
	return true
}

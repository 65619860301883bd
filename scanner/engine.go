package scanner

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"

	"nhiscan/rules"
)

// Engine matches rules against text. It wraps gitleaks' detector but never
// hands it a whole file: one multi-pattern pass over the lower-cased text
// finds the lines holding a rule keyword, and only small windows around them
// reach the regular expressions. That is where the time goes: gitleaks'
// generic rule has keywords ("key", "token", "api"…) found in almost every
// file, so a whole-file fragment makes its regex run over everything.
//
// Three detectors share the work, each over its own windows:
//   - main: every rule but the generic one, around their keywords;
//   - generic: gitleaks' generic-api-key rule, only around keywords that are
//     followed by an assignment and a value long enough to match it;
//   - decode: every rule with gitleaks' decoding of base64, hex, percent and
//     unicode escapes, only around text that decodes to printable ASCII.
//
// Keyword hits that a rule's regex cannot match (checked by a validator that
// accepts a superset of what the regex does) open no window. Validators are
// only used for the built-in regexes they were written for.
//
// An Engine is safe for concurrent use.
type Engine struct {
	rules   *rules.Ruleset
	main    *detect.Detector
	generic *detect.Detector // nil when the generic rule is absent or changed
	// genFilter rejects assignments whose value cannot hold a secret the
	// generic rule would report.
	genFilter genericFilter
	// full holds every rule and decodes up to decodeDepth layers; it scans
	// the decode windows, or everything when a rule has no keywords. Built
	// on first use (most staged changes never need it).
	fullOnce    sync.Once
	full        *detect.Detector
	fullCfg     config.Config
	decodeDepth int // 0: decoding is off
	// bin holds the high-confidence rules for binary files (realworld.go),
	// built on first use.
	binOnce  sync.Once
	bin      *detect.Detector
	keywords *keywordDFA
	kw       []keywordInfo // by trie pattern index
	// noKeywordRules is true when a rule without keywords exists: it must see
	// every line, so windows cannot be used.
	noKeywordRules bool
	context        int
}

// keywordInfo says what a hit on one keyword means.
type keywordInfo struct {
	pem         bool        // "-----begin": the window reaches the END line
	putty       bool        // "putty-user-key-file-": the window reaches the Private-MAC line
	mainAlways  bool        // some main rule uses it without a validator
	mainChecks  []validator // main rules' validators for it
	genericRule bool        // the generic rule uses it (validated by assignmentAfter)
}

// validator reports whether a rule's regex could match around a keyword
// that ends at offset end of the lower-cased text low.
type validator func(low []byte, end int) bool

const genericRuleID = "generic-api-key"

// validators holds, per built-in rule, per keyword, a cheap necessary
// condition for its regex to match there.
var validators = map[string]map[string]validator{
	// \b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.…
	"jwt": {"ey": func(low []byte, end int) bool {
		n := runOf(low, end, isAlnum)
		if n >= maxRun {
			return wordStartBefore(low, end, 2) // too long to follow: accept
		}
		return n >= 17 && wordStartBefore(low, end, 2) && end+n+2 < len(low) && low[end+n] == '.' && low[end+n+1] == 'e' && low[end+n+2] == 'y'
	}},
	// \b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))(?:[\x60'"\s;]|\\[nr]|$)
	"vault-service-token": {
		"s.": func(low []byte, end int) bool {
			return wordStartBefore(low, end, 2) && runOf(low, end, isAlnum) == 24 && terminator(low, end+24)
		},
		"hvs.": followedBy(90, isWordDash),
	},
	// SK[0-9a-fA-F]{32}
	"twilio-api-key": {"sk": followedBy(32, isHexLower)},
	// keyword, assignment, "[a-z0-9=_\-]{8,20}"
	"hashicorp-tf-password": {"password": assignedValueOf(8), "administrator_login_password": assignedValueOf(8)},
	// keyword, assignment, ([a-f0-9]{32})
	"linear-client-secret": {"linear": assignedValueOf(32)},
	// keyword, assignment, ([a-z0-9]{22})
	"travisci-access-token": {"travis": assignedValueOf(22)},
	// keyword "lob", assignment, ((live|test)_[a-f0-9]{35})
	"lob-api-key": {"test_": followedBy(35, isHexLower), "live_": followedBy(35, isHexLower)},
	// keyword "gocardless", assignment, (live_(?i)[a-z0-9\-_=]{40})
	"gocardless-api-token": {"live_": followedBy(40, func(c byte) bool { return isWordDash(c) || c == '=' })},
	// \b(SG\.(?i)[a-z0-9=_\-\.]{66})
	"sendgrid-api-token": {"sg.": followedBy(66, func(c byte) bool { return isWordDash(c) || c == '=' || c == '.' })},
	// \b(s-s4t2(?:ud|af)-(?i)[abcdef0123456789]{64}): "intra" alone never
	// matches; the s-s4t2 keywords open their own windows.
	"intra42-client-secret": {"intra": func([]byte, int) bool { return false }},
	// \b((?:sc|ext|scauth|authress)_(?i)[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc…
	"authress-service-client-access-key": {
		"ext_": func(low []byte, end int) bool {
			n := runOf(low, end, isAlnum)
			return n >= maxRun || n >= 5 && end+n < len(low) && low[end+n] == '.'
		},
	},
}

// ContextLines is how many lines after a keyword's line a window includes,
// so that rules spanning a line break (`password:\n  "value"`) still match.
const ContextLines = 1

// maxPEMLines bounds how far a private-key window reaches for its END line.
const maxPEMLines = 400

// NewEngine builds the detectors once, up front: gitleaks' detector
// construction is not safe to call concurrently.
func NewEngine(rs *rules.Ruleset, maxDecodeDepth int) *Engine {
	// The detectors see blobs before their paths are known: a rule's path
	// condition is applied later, with the location (locationAllowed), so
	// the detectors get the rules without it (gitleaks would otherwise never
	// run a rule that has both a path and a regex on a blob).
	cfg := withoutRegexRulePaths(rs.Config)
	e := &Engine{rules: rs, context: ContextLines}
	genericOK := false
	if r, ok := cfg.Rules[genericRuleID]; ok && r.Regex != nil && rules.IsBuiltinRegex(genericRuleID, r.Regex.String()) {
		genericOK = true
	}
	mainCfg := rules.Subset(cfg, func(id string) bool { return !(genericOK && id == genericRuleID) })
	// gitleaks:allow is applied by dropInline on the scanned text itself
	// (where it is counted), not by the detectors on the fragment they see.
	e.main = detect.NewDetector(mainCfg)
	e.main.IgnoreGitleaksAllow = true
	if genericOK {
		e.generic = detect.NewDetector(rules.Subset(cfg, func(id string) bool { return id == genericRuleID }))
		e.generic.IgnoreGitleaksAllow = true
		e.genFilter = newGenericFilter(cfg.Rules[genericRuleID])
	}
	e.fullCfg, e.decodeDepth = cfg, maxDecodeDepth
	for _, r := range cfg.Rules {
		if len(r.Keywords) == 0 && r.Regex != nil {
			e.noKeywordRules = true
		}
	}
	var kws []string
	index := map[string]int{}
	for _, id := range cfg.OrderedRules {
		r := cfg.Rules[id]
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			i, ok := index[k]
			if !ok {
				i = len(kws)
				index[k] = i
				kws = append(kws, k)
				e.kw = append(e.kw, keywordInfo{pem: k == "-----begin", putty: k == puttyKeyword})
			}
			info := &e.kw[i]
			switch {
			case genericOK && id == genericRuleID:
				info.genericRule = true
			case r.Regex != nil && validators[id][k] != nil && rules.IsBuiltinRegex(id, r.Regex.String()):
				info.mainChecks = append(info.mainChecks, validators[id][k])
			default:
				info.mainAlways = true
			}
		}
	}
	e.keywords = newKeywordDFA(kws)
	return e
}

// withoutRegexRulePaths returns c with the path condition removed from
// every rule that also has a regex (path-only rules keep theirs).
func withoutRegexRulePaths(c config.Config) config.Config {
	out := c
	out.Rules = make(map[string]config.Rule, len(c.Rules))
	for id, r := range c.Rules {
		if r.Regex != nil && r.Path != nil {
			r.Path = nil
		}
		out.Rules[id] = r
	}
	return out
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
	// decoded: found by scanEncoded in the decoded text of a long run.
	decoded bool
	// Context is the text around the match (see withContext), for
	// verifiers that need companions of a secret (an AWS key id beside its
	// secret, an Azure tenant id beside a client secret). Never printed.
	Context string
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
// wanted, when not nil, limits windows to keyword lines it accepts (the
// lines no other blob has shown).
func (e *Engine) scanLines(ctx context.Context, t text, from, to int, path string, wanted func(line int) bool) []hit {
	return e.scanDepth(ctx, t, from, to, path, wanted, e.decodeDepth)
}

// scanDepth is scanLines with depth layers of encoding left to decode. It
// returns early (with what it found so far) once ctx is done: the callers
// check ctx afterwards, and a cancelled scan must not finish a huge blob.
func (e *Engine) scanDepth(ctx context.Context, t text, from, to int, path string, wanted func(line int) bool, depth int) []hit {
	if t.lines() == 0 || from > to || ctx.Err() != nil {
		return nil
	}
	if e.noKeywordRules {
		return withContext(t, dropInline(ctx, t, checksummed(e.shadowWeak(e.detectWith(ctx, e.fullDetector(), t, from, to, path))), path))
	}
	lo, hi := t.starts[from], t.end(to)
	bp := lowerPool.Get().(*[]byte)
	low := toLower((*bp)[:0], t.data[lo:hi])
	mainW, decW := ranges{gap: 1, max: maxWindowLines}, ranges{gap: 1, max: maxWindowLines} // line windows
	tp := &t
	mainS := ranges{max: maxSpanBytes, seam: mainPad, t: tp} // byte spans
	genS, decS := mainS, mainS
	n := t.lines()
	ok := func(l int) bool {
		return wanted == nil || wanted(l) || (l+1 < n && wanted(l+1))
	}
	long := func(l int) bool { return t.end(l)-t.starts[l] > longLine }
	e.keywords.walk(low, func(end, klen, pattern int) bool {
		info := &e.kw[pattern]
		rel := end + 1 // offset in low just past the keyword
		l := t.lineOf(lo + rel - klen)
		if info.pem {
			// The BEGIN line may be old while the key body is new.
			mainW.addLines(l, e.pemEnd(t, l), n)
			return true
		}
		if info.putty {
			mainW.addLines(l, blockEnd(t, l, puttyEnd), n)
			return true
		}
		if !ok(l) {
			return true
		}
		main := info.mainAlways
		for _, v := range info.mainChecks {
			if main {
				break
			}
			main = v(low, rel)
		}
		kwStart := lo + rel - klen
		if main {
			if long(l) {
				mainS.add(widen(t, kwStart-mainPad, lo+rel+mainPad))
			} else {
				mainW.addLines(l, l+e.context, n)
			}
		}
		if info.genericRule {
			// The generic regex reaches at most 50 bytes before its keyword;
			// the span starts a little earlier and ends past the value and
			// its terminator.
			if vstart, vend := assignmentValue(low, rel); vend >= 0 && e.genFilter.accepts(t.data[lo+vstart:lo+vend]) {
				// Past the value (never cut it: a cut value would match
				// up to the span's end) and its terminator.
				end := lo + vend
				for k := 0; end < len(t.data) && k < maxWiden && isValue(t.data[end]); k++ {
					end++
				}
				genS.add(max(kwStart-genericBefore, t.starts[l]), min(end+4, len(t.data)))
			}
		}
		return true
	})
	var letters []letterRun
	var encoded []letterRun // long encoded runs, decoded here (see decodeLong)
	if depth > 0 {
		for l := from; l <= to; l++ {
			if !ok(l) {
				continue
			}
			if !long(l) {
				if e.decodable(t.line(l)) {
					decW.addLines(l, l+e.context, n)
				}
				letters = append(letters, e.letterRuns(t, l)...)
				continue
			}
			base := t.starts[l]
			line := t.line(l)
			for _, r := range e.decodableRuns(line, len(line)) {
				if r[1]-r[0] <= maxSpanBytes {
					decS.add(widen(t, base+r[0]-decodePad, base+r[1]+decodePad))
					continue
				}
				if dec, ok := decodeLong(line[r[0]:r[1]]); ok {
					encoded = append(encoded, letterRun{line: l, a: r[0], b: r[1], decoded: dec})
					continue
				}
				// Escapes (percent, unicode) decode in place: bounded
				// pieces lose at most an escape cut at a seam.
				for a := r[0]; a < r[1]; a += maxSpanBytes {
					decS.add(widen(t, base+a-decodePad, base+min(a+maxSpanBytes, r[1])+decodePad))
				}
			}
		}
	}
	pairs := envPairs(t, low, lo, from, to, ok)
	escaped := escapedLines(t, lo, hi, from, to, ok)
	*bp = low[:0]
	lowerPool.Put(bp)
	var hits []hit
	for _, w := range decW.r {
		hits = append(hits, e.detectWith(ctx, e.fullDetector(), t, w[0], w[1], path)...)
	}
	for _, sp := range decS.r {
		hits = append(hits, e.detectSpan(ctx, e.fullDetector(), t, sp, path)...)
	}
	for _, w := range mainW.r {
		hits = append(hits, e.detectWith(ctx, e.main, t, w[0], w[1], path)...)
	}
	for _, sp := range mainS.r {
		hits = append(hits, e.detectSpan(ctx, e.main, t, sp, path)...)
	}
	var generic []hit
	for _, sp := range genS.r {
		generic = append(generic, e.detectSpan(ctx, e.generic, t, sp, path)...)
	}
	for _, r := range encoded {
		hits = append(hits, e.scanEncoded(ctx, r, path, depth-1)...)
	}
	if ctx.Err() != nil {
		return nil
	}
	if len(pairs) > 0 {
		hits = append(hits, e.scanEnvPairs(ctx, t, pairs, path, append(hits, generic...))...)
	}
	if len(letters) > 0 {
		hits = append(hits, e.scanLetterRuns(ctx, t, letters, path)...)
	}
	if len(escaped) > 0 {
		hits = append(hits, e.scanEscaped(ctx, t, escaped, path, hits)...)
	}
	return withContext(t, dropInline(ctx, t, checksummed(dropDecodedTwins(t, e.shadowWeak(append(hits, generic...)))), path))
}

// dropInline drops (and counts) the hits on a line carrying gitleaks:allow.
func dropInline(ctx context.Context, t text, hits []hit, path string) []hit {
	out := hits[:0]
	sup := suppressFrom(ctx)
	for _, h := range hits {
		if allowedInline(t, h) {
			if sup != nil {
				sup.note(&sup.inline, path, h.StartLine, h.RuleID, "gitleaks:allow")
			}
			continue
		}
		out = append(out, h)
	}
	return out
}

// scanEncoded scans the decoded text of a long encoded run as a text of its
// own (its windows, its own encoded runs one layer further down) and places
// what it finds on the run. gitleaks' decoder would instead rescan the
// whole fragment with every rule at every layer and locate each finding by
// walking every line: a few nested layers of a large blob then take
// minutes. Hits keep the Line and Context of the decoded text.
func (e *Engine) scanEncoded(ctx context.Context, r letterRun, path string, depth int) []hit {
	inner := splitLines(r.decoded, nil)
	found := e.scanDepth(ctx, inner, 0, inner.lines()-1, path, nil, depth)
	for i := range found {
		h := &found[i]
		h.StartLine, h.EndLine = r.line+1, r.line+1
		h.StartCol, h.EndCol = r.a+1, r.b
		h.decoded = true
	}
	return found
}

// decodeLong decodes a long base64 or hex run when it decodes to printable
// text, as gitleaks' decoder requires.
func decodeLong(run []byte) ([]byte, bool) {
	hex := true
	for _, c := range run {
		if !isHexByte(c) {
			hex = false
			break
		}
	}
	if hex {
		if d, ok := decodeHexPrintable(run); ok {
			return d, true
		}
	}
	return decodeB64Printable(run)
}

// Context kept around a hit: contextLines lines on each side, at most
// contextBytes bytes on each side of the matched lines.
const (
	contextLines = 6
	contextBytes = 2048
)

// withContext sets the Context of each hit from t.
func withContext(t text, hits []hit) []hit {
	n := t.lines()
	for i := range hits {
		h := &hits[i]
		if h.Context != "" {
			continue // found in decoded text, which holds its context
		}
		first, last := h.StartLine-1, h.EndLine-1
		if first < 0 || first >= n {
			continue
		}
		last = min(max(last, first), n-1)
		a := t.starts[max(first-contextLines, 0)]
		b := t.end(min(last+contextLines, n-1))
		// Bytes are counted from the match, not from its lines: a hit in a
		// minified line would otherwise copy the whole line, once per hit.
		ms := min(t.starts[first]+max(h.StartCol-1, 0), t.end(first))
		me := min(t.starts[last]+max(h.EndCol, 0), t.end(last))
		a = max(a, ms-contextBytes)
		b = min(b, max(me, ms)+contextBytes)
		h.Context = string(t.data[a:b])
	}
	return hits
}

// checksummed drops hits whose secret fails its format's checksum (a value
// that was never issued: a typo, a test string, a made-up example), and
// those that cannot be credentials at all (plausible).
func checksummed(hits []hit) []hit {
	out := hits[:0]
	for _, h := range hits {
		if rules.ChecksumOK(h.Secret) && plausible(h) {

			out = append(out, h)
		}
	}
	return out
}

// The generic rule only ever sees byte spans around an assignment, and long
// lines (minified code, embedded data, lock files) only spans around a
// keyword or an encoded run: gitleaks' rules match a keyword and at most a
// few hundred bytes around it, and their regexes cost time in proportion to
// the bytes they are given.
const (
	longLine      = 512
	mainPad       = 512 // bytes kept on each side of a keyword in a long line
	genericBefore = 64  // the generic regex reaches 50 bytes before its keyword
	decodePad     = 64  // context kept around an encoded run
)

// widen clamps [a, b) to t and moves its ends out of any run of value
// bytes (at most maxWiden bytes each way), so that a span never cuts a token
// into a shorter false match.
func widen(t text, a, b int) (int, int) {
	a, b = max(a, 0), min(b, len(t.data))
	for k := 0; a > 0 && k < maxWiden && isValue(t.data[a-1]); k++ {
		a--
	}
	for k := 0; b < len(t.data) && k < maxWiden && isValue(t.data[b]); k++ {
		b++
	}
	return a, b
}

const maxWiden = 256

// Bounds on a merged window (see ranges.max): lines for line windows, bytes
// for spans in long lines.
const (
	maxWindowLines = 256
	maxSpanBytes   = 4096
)

// detectSpan runs a detector over bytes [sp[0], sp[1]) of t and maps
// columns back to the full line.
func (e *Engine) detectSpan(ctx context.Context, d *detect.Detector, t text, sp [2]int, path string) []hit {
	from, to := sp[0], sp[1]
	if from >= to {
		return nil
	}
	l := t.lineOf(from)
	lineStart := t.starts[l]
	raw := withNewline(t.data[from:to])
	if dumpHook != nil {
		dumpHook(e.detectorName(d), raw)
	}
	fs := d.DetectContext(ctx, detect.Fragment{Raw: raw, FilePath: path, StartLine: l + 1})
	hits := make([]hit, 0, len(fs))
	for _, f := range fs {
		h := hitOf(f)
		if h.StartLine == l+1 {
			h.StartCol += from - lineStart
		}
		if h.EndLine == l+1 {
			h.EndCol += from - lineStart
		}
		hits = append(hits, h)
	}
	return hits
}

// allowedInline reports a gitleaks:allow comment anywhere on the hit's
// lines (a span may have cut the comment off).
func allowedInline(t text, h hit) bool {
	for l := h.StartLine - 1; l <= h.EndLine-1 && l < t.lines(); l++ {
		if l >= 0 && bytes.Contains(t.line(l), []byte("gitleaks:allow")) {
			return true
		}
	}
	return false
}

func (e *Engine) detectorName(d *detect.Detector) string {
	switch d {
	case e.main:
		return "main"
	case e.generic:
		return "generic"
	}
	return "full"
}

// fullDetector returns the detector holding every rule, built on first use.
func (e *Engine) fullDetector() *detect.Detector {
	e.fullOnce.Do(func() {
		e.full = detect.NewDetector(e.fullCfg)
		e.full.MaxDecodeDepth = e.decodeDepth
		e.full.IgnoreGitleaksAllow = true
	})
	return e.full
}

// ranges is a sorted list of merged ranges, added in increasing order of
// start: inclusive line windows (gap 1: adjacent lines merge) or half-open
// byte spans (gap 0).
type ranges struct {
	r   [][2]int
	gap int
	// max bounds the size of a merged range (0: unbounded). gitleaks'
	// detector does work per finding in proportion to its fragment (line
	// allowlists, locating the line), so one fragment holding a whole
	// minified line of secrets costs the square of the line's length.
	max int
	// seam and t: see add (byte spans only).
	seam int
	t    *text
}

func (rs *ranges) add(a, b int) {
	if k := len(rs.r); k > 0 && a <= rs.r[k-1][1]+rs.gap {
		last := &rs.r[k-1]
		if a >= last[0] && b <= last[1] {
			return // already covered
		}
		na, nb := min(last[0], a), max(last[1], b)
		if rs.max == 0 || nb-na <= rs.max {
			*last = [2]int{na, nb}
			return
		}
		// Merging would make one ever-growing window (a minified line
		// full of keywords): start an overlapping one instead. Line
		// windows keep each add whole (a PEM block is never cut); byte
		// spans start seam bytes before the last one ends (moved back
		// out of a token), so the overlap stays small. Overlapping
		// windows may give a hit twice; the callers' dedupHits drops it.
		if rs.seam > 0 {
			cut, _ := widen(*rs.t, last[1]-rs.seam, last[1]-rs.seam)
			a = max(a, cut)
		}
	}
	rs.r = append(rs.r, [2]int{a, b})
}

// addLines adds the inclusive line window [a, b], clamped to n lines.
func (rs *ranges) addLines(a, b, n int) { rs.add(max(a, 0), min(b, n-1)) }

// shadowWeak extends gitleaks' rule that a generic finding yields to a
// specific rule's finding of the same secret on the same line: a finding of
// a weak rule (generic-api-key, and the NHI pack's fallbacks such as a
// credential file's password line) yields to a finding of a specific rule on
// the same line when one secret holds the other or their columns overlap (a
// decoded value matched inside an encoded one).
func (e *Engine) shadowWeak(hits []hit) []hit {
	if len(hits) < 2 {
		return hits
	}
	weak := make([]bool, len(hits))
	shadower := make([]bool, len(hits))
	any := false
	for i, h := range hits {
		weak[i] = e.weak(h.RuleID)
		any = any || weak[i]
		// A rule with a path condition may still be dropped when the path
		// is known: it shadows nothing.
		r := e.rules.Config.Rules[h.RuleID]
		shadower[i] = !weak[i] && r.Path == nil
	}
	if !any {
		return hits
	}
	near := nearby(hits)
	out := make([]hit, 0, len(hits))
	for i, g := range hits {
		if weak[i] && near.any(i, len(hits), func(j int) bool { return shadower[j] && shadows(hits[j], g) }) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// weak reports a generic or fallback rule (see rules.Meta.Weak).
func (e *Engine) weak(id string) bool {
	return strings.Contains(id, "generic") || e.rules.Meta(id).Weak
}

func shadows(s, g hit) bool {
	if s.StartLine != g.StartLine {
		return false
	}
	return strings.Contains(s.Secret, g.Secret) || strings.Contains(g.Secret, s.Secret) || overlap(s, g)
}

// neighbours orders hits by position so that each can be compared with
// those around it. Comparing every pair costs the square of the hits, and a
// minified line or a decoded blob can hold thousands: beyond maxPairwise
// hits, each is compared with the maxNear hits on either side of it in
// position order (a twin or a shadowing finding of the same secret sits at
// the same place).
type neighbours struct {
	order []int // hit indexes by (StartLine, StartCol)
	rank  []int // position of each hit in order
	all   bool
}

const (
	maxPairwise = 512
	maxNear     = 128
)

func nearby(hits []hit) neighbours {
	n := neighbours{all: len(hits) <= maxPairwise}
	if n.all {
		return n
	}
	n.order = make([]int, len(hits))
	for i := range n.order {
		n.order[i] = i
	}
	sort.SliceStable(n.order, func(a, b int) bool {
		x, y := hits[n.order[a]], hits[n.order[b]]
		if x.StartLine != y.StartLine {
			return x.StartLine < y.StartLine
		}
		return x.StartCol < y.StartCol
	})
	n.rank = make([]int, len(hits))
	for r, i := range n.order {
		n.rank[i] = r
	}
	return n
}

// any reports whether fn holds for a hit other than i near it.
func (n neighbours) any(i, count int, fn func(j int) bool) bool {
	lo, hi := 0, count-1
	if !n.all {
		r := n.rank[i]
		lo, hi = max(r-maxNear, 0), min(r+maxNear, count-1)
	}
	for k := lo; k <= hi; k++ {
		j := k
		if !n.all {
			j = n.order[k]
		}
		if j != i && fn(j) {
			return true
		}
	}
	return false
}

// overlap reports whether two hits' ranges share a byte (a decoded match may
// end on a later line than its encoded text).
func overlap(a, b hit) bool {
	pos := func(line, col int) int { return line<<20 + col }
	return pos(a.StartLine, a.StartCol) <= pos(b.EndLine, b.EndCol) && pos(b.StartLine, b.StartCol) <= pos(a.EndLine, a.EndCol)
}

// dropDecodedTwins keeps one finding where a rule matched both the text as
// written and its decoded form at the same place (a percent-encoded SAS
// signature, a base64 FileZilla password, an .npmrc _auth): the form
// written in the file is the one kept, so the secret can be found there.
func dropDecodedTwins(t text, hits []hit) []hit {
	if len(hits) < 2 {
		return hits
	}
	lit := make([]bool, len(hits))
	anyDecoded := false
	for i, h := range hits {
		lit[i] = literal(t, h)
		anyDecoded = anyDecoded || !lit[i]
	}
	if !anyDecoded {
		return hits
	}
	near := nearby(hits)
	out := hits[:0:0]
	for i, h := range hits {
		if !lit[i] && near.any(i, len(hits), func(j int) bool {
			o := hits[j]
			return lit[j] && o.RuleID == h.RuleID && o.Secret != h.Secret && overlap(o, h)
		}) {
			continue
		}
		out = append(out, h)
	}
	return out
}

// literal reports whether h's secret is written as such where it was found
// on its first line (the match's columns, or the whole line when they are
// unknown). A hit found in decoded text never is.
func literal(t text, h hit) bool {
	l := h.StartLine - 1
	if l < 0 || l >= t.lines() || h.decoded {
		return false
	}
	first, _, _ := strings.Cut(h.Secret, "\n")
	line := t.line(l)
	if len(line) > longLine {
		// Only around the match: a long line holds many secrets.
		a, b := max(h.StartCol-1-mainPad, 0), min(max(h.EndCol, h.StartCol)+mainPad, len(line))
		if a < b {
			line = line[a:b]
		}
	}
	return bytes.Contains(line, []byte(first))
}

// A PuTTY key file spans a dozen lines from its header to its MAC.
const (
	puttyKeyword = "putty-user-key-file-"
	puttyEnd     = "Private-MAC"
)

// blockEnd returns the first line from l on (at most maxPEMLines on) that
// holds marker.
func blockEnd(t text, l int, marker string) int {
	last := min(l+maxPEMLines, t.lines()-1)
	for i := l; i <= last; i++ {
		if bytes.Contains(t.line(i), []byte(marker)) {
			return i
		}
	}
	return last
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
			return i
		}
	}
	return last
}

// detectWith runs one of gitleaks' detectors over lines [from, to] of t.
func (e *Engine) detectWith(ctx context.Context, d *detect.Detector, t text, from, to int, path string) []hit {
	raw := withNewline(t.data[t.starts[from]:t.end(to)])
	if dumpHook != nil {
		dumpHook(e.detectorName(d), raw)
	}
	fs := d.DetectContext(ctx, detect.Fragment{Raw: raw, FilePath: path, StartLine: from + 1})
	if len(fs) == 0 {
		return nil
	}
	hits := make([]hit, 0, len(fs))
	for _, f := range fs {
		hits = append(hits, hitOf(f))
	}
	return hits
}

// hitOf converts a gitleaks finding (lines already absolute).
func hitOf(f report.Finding) hit {
	return hit{RuleID: f.RuleID, Secret: f.Secret, Match: f.Match, Line: f.Line,
		StartLine: f.StartLine, StartCol: f.StartColumn, EndLine: f.EndLine, EndCol: f.EndColumn,
		Entropy: f.Entropy}
}

// withNewline returns b as a string ending in a newline: gitleaks' line
// arithmetic misplaces a match on a last line that has none (it then reads
// the previous line's gitleaks:allow, or the wrong rule wins).
func withNewline(b []byte) string {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return string(b)
	}
	return string(b) + "\n"
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
// A location dropped by an allowlist is counted in sup (may be nil).
func locationAllowed(cfg *config.Config, h hit, path, commit string, sup *suppressCounts) bool {
	rule, ok := cfg.Rules[h.RuleID]
	if !ok {
		return false
	}
	if rule.Path != nil && !rule.Path.MatchString(path) {
		return false
	}
	// Vendored, generated and lock files are scanned (gitleaks skips them),
	// but the generic rule is noise there: it matches hashes and test data.
	if strings.Contains(h.RuleID, "generic") && rules.NoisyPath(path) {
		return false
	}
	for _, set := range [][]*config.Allowlist{cfg.Allowlists, rule.Allowlists} {
		for _, a := range set {
			if allowedBy(a, h, path, commit) {
				if sup != nil {
					sup.note(&sup.allowlist, path, h.StartLine, h.RuleID, "allowlist")
				}
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

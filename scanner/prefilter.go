package scanner

import (
	"bytes"
	"encoding/base64"
	"math"

	"github.com/zricethezav/gitleaks/v8/config"
)

// dumpHook is a measurement aid for tests: it sees every window.
var dumpHook func(detector, raw string)

// The checks below are necessary conditions for a regex to match: each
// accepts a superset of what its regex accepts, so skipping text they reject
// never loses a finding. They work on lower-cased text.

const maxRun = 4096

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

func isWordDash(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// runOf counts the bytes from off on that satisfy ok, up to maxRun: the
// validators run at every keyword hit, and counting a whole run each time
// makes a long line of base64 (where keywords such as "ey" hit every few
// bytes) cost the square of its length. A run of maxRun bytes is longer
// than any secret a rule reports.
func runOf(b []byte, off int, ok func(byte) bool) int {
	n := 0
	for off+n < len(b) && n < maxRun && ok(b[off+n]) {
		n++
	}
	return n
}

// assignmentAfter is the necessary condition of gitleaks' generic-api-key
// regex after its keyword:
//
//	(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})
//
// The keyword is followed by at most 23 name, space or quote bytes, then an
// operator byte, then (past more operator, quote or space bytes) a run of at
// least 10 value bytes.
func assignmentAfter(low []byte, end int) bool { _, e := assignmentValue(low, end); return e >= 0 }

// assignmentValue is assignmentAfter that also returns the value run
// [start, end) that holds any secret the regex could capture there (end is
// -1 when there is no assignment).
func assignmentValue(low []byte, end int) (int, int) {
	i, j, n1, n2 := assignmentRuns(low, end)
	if n1 < 10 && n2 < 12 {
		return 0, -1
	}
	return i, max(i+n1, j+n2)
}

// assignmentRuns follows gitleaks' assignment shape after a keyword that
// ends at end: name bytes, an operator, opening quotes or spaces, then the
// value. It returns where the value may start (i, or j past '=' bytes) and
// the lengths of its [\w.=-] run from i and [a-z0-9+/] run from j (both 0
// when there is no assignment).
func assignmentRuns(low []byte, end int) (i, j, n1, n2 int) {
	i = end
	for n := 0; ; n++ {
		if i >= len(low) || n > 23 {
			return 0, 0, 0, 0
		}
		c := low[i]
		if isOperator(c) {
			break
		}
		if !(isWordDash(c) || c == '.' || isSpace(c) || c == '\'' || c == '"') {
			return 0, 0, 0, 0
		}
		i++
	}
	// Skip the rest of the operator and the value's opening quotes/spaces.
	op := i
	i++
	for n := 0; i < len(low) && n < 10 && (isOperator(low[i]) || opening(low[i])); n++ {
		i++
	}
	// '=' bytes right before the value may belong to it ([\w.=-]).
	for i-1 > op && low[i-1] == '=' {
		i--
	}
	if i >= len(low) {
		return 0, 0, 0, 0
	}
	// i may stand on '=' bytes the prefix [\x60'"\s=]{0,5} can take too.
	j = i
	for j < len(low) && low[j] == '=' {
		j++
	}
	n1 = runOf(low, i, isWordValue)
	if j < len(low) && isAlnum(low[j]) {
		n2 = runOf(low, j, isB64Value)
	}
	return i, j, n1, n2
}

// assignedValueOf is a validator for gitleaks' keyword-assignment rules
// whose value is a run of at least min [\w.=-] bytes.
func assignedValueOf(min int) validator {
	return func(low []byte, end int) bool {
		_, _, n1, _ := assignmentRuns(low, end)
		return n1 >= min
	}
}

// followedBy is a validator for a keyword that the regex continues with at
// least min bytes of a class.
func followedBy(min int, ok func(byte) bool) validator {
	return func(low []byte, end int) bool { return runOf(low, end, ok) >= min }
}

// wordStartBefore reports a \b before a keyword of length klen ending at end.
func wordStartBefore(low []byte, end, klen int) bool {
	s := end - klen
	return s <= 0 || !isWordDash(low[s-1]) || low[s-1] == '-'
}

// terminator is gitleaks' (?:[\x60'"\s;]|\\[nr]|$) at offset i.
func terminator(low []byte, i int) bool {
	if i >= len(low) {
		return true
	}
	c := low[i]
	return c == '`' || c == '\'' || c == '"' || isSpace(c) || c == ';' || c == '\\'
}

func isHexLower(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isWordValue(c byte) bool { return isWordDash(c) || c == '.' || c == '=' }

func isB64Value(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }

// genericFilter holds two more necessary conditions on the generic rule's
// secret, taken from the rule as configured:
//   - its entropy must exceed the rule's threshold E, and a string of k
//     distinct bytes has at most log2(k) bits of entropy, so the value run
//     that holds the secret needs more than 2^E distinct bytes;
//   - gitleaks' allowlist `^[a-zA-Z_.-]+$` drops secrets made only of
//     letters, '_', '.' and '-', so the run needs some other byte.
type genericFilter struct {
	minDistinct  int
	needNonAlpha bool
}

func newGenericFilter(r config.Rule) genericFilter {
	f := genericFilter{minDistinct: 1}
	if r.Entropy > 0 {
		f.minDistinct = int(math.Floor(math.Pow(2, r.Entropy))) + 1
	}
	for _, a := range r.Allowlists {
		if a.RegexTarget != "" || a.MatchCondition == config.AllowlistMatchAnd || len(a.Paths)+len(a.Commits) > 0 {
			continue
		}
		for _, re := range a.Regexes {
			if re.String() == `^[a-zA-Z_.-]+$` {
				f.needNonAlpha = true
			}
		}
	}
	return f
}

// accepts reports whether value (original case) could hold a reportable
// secret.
func (f genericFilter) accepts(value []byte) bool {
	var seen [256]bool
	distinct, other := 0, false
	for _, c := range value {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		if !(isAlnum(c) && !('0' <= c && c <= '9') || c == '_' || c == '.' || c == '-') {
			other = true
		}
	}
	return distinct >= f.minDistinct && (other || !f.needNonAlpha)
}

// opening is a byte that may stand between an operator and its value.
func opening(c byte) bool { return c == '`' || c == '\'' || c == '"' || isSpace(c) }

func isOperator(c byte) bool {
	return c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ','
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isValue(c byte) bool { return isWordDash(c) || c == '.' || c == '=' || c == '+' || c == '/' }

// decodable reports whether a line holds text that gitleaks' decoder would
// turn into something a rule could match: a percent escape, a unicode
// escape, or a hex or base64 run that decodes to printable ASCII holding a
// rule keyword (or another encoded run). Text decoding to nothing a rule
// looks for cannot produce a finding of its own, so it needs no decoding
// pass.
func (e *Engine) decodable(line []byte) bool { return len(e.decodableRuns(line, 1)) > 0 }

// decodableRuns returns the byte ranges of a line that decodable accepts,
// at most limit of them (the whole line once there are more).
func (e *Engine) decodableRuns(line []byte, limit int) [][2]int {
	var runs [][2]int
	add := func(a, b int) bool {
		if len(runs) >= limit {
			runs = [][2]int{{0, len(line)}}
			return false
		}
		runs = append(runs, [2]int{a, b})
		return true
	}
	// Percent escapes: a run of URL characters holding %XX, decoded.
	for i := 0; i+2 < len(line); {
		if line[i] != '%' {
			k := bytes.IndexByte(line[i:], '%')
			if k < 0 {
				break
			}
			i += k
			continue
		}
		if i+2 >= len(line) || !isHexByte(line[i+1]) || !isHexByte(line[i+2]) {
			i++
			continue
		}
		a := i
		for a > 0 && (isValue(line[a-1]) || line[a-1] == '%') {
			a--
		}
		b := i
		var dec []byte
		for b < len(line) && (isValue(line[b]) || line[b] == '%') {
			if line[b] == '%' && b+2 < len(line) && isHexByte(line[b+1]) && isHexByte(line[b+2]) {
				dec = append(dec, unhex(line[b+1])<<4|unhex(line[b+2]))
				b += 3
				continue
			}
			dec = append(dec, line[b])
			b++
		}
		if e.interesting(append(append(append([]byte{}, line[max(0, a-32):i]...), dec...), line[b:min(len(line), b+32)]...)) && !add(a, b) {
			return runs
		}
		i = b
	}
	// Unicode escapes: \uXXXX runs (or U+XXXX), decoded when ASCII.
	nextPlus := -1 // offset of the next "U+" at or after i, -2 when none
	for i := 0; i+5 < len(line); {
		if c := line[i]; c != '\\' && !(c == 'U' && line[i+1] == '+') {
			// Next backslash or "U+" (IndexAny is several times slower;
			// the "U+" position is remembered, not searched again).
			if nextPlus != -2 && nextPlus < i {
				if u := bytes.Index(line[i:], []byte("U+")); u >= 0 {
					nextPlus = i + u
				} else {
					nextPlus = -2
				}
			}
			k := bytes.IndexByte(line[i:], '\\')
			if k >= 0 {
				k += i
			}
			if nextPlus >= 0 && (k < 0 || nextPlus < k) {
				k = nextPlus
			}
			if k < 0 {
				break
			}
			i = k
			continue
		}
		j, dec := i, []byte(nil)
		for j+5 < len(line) {
			k := j
			for k < len(line) && k-j < 2 && line[k] == '\\' {
				k++
			}
			isEsc := k > j && k+5 <= len(line) && (line[k] == 'u' || line[k] == 'U')
			isPlus := k == j && line[j] == 'U' && line[j+1] == '+'
			if !isEsc && !isPlus {
				break
			}
			h := k + 1
			if isPlus {
				h = j + 2
			}
			if h+4 > len(line) || !isHexByte(line[h]) || !isHexByte(line[h+1]) || !isHexByte(line[h+2]) || !isHexByte(line[h+3]) {
				break
			}
			v := uint16(unhex(line[h]))<<12 | uint16(unhex(line[h+1]))<<8 | uint16(unhex(line[h+2]))<<4 | uint16(unhex(line[h+3]))
			if v < 0x80 {
				dec = append(dec, byte(v))
			}
			j = h + 4
			if isPlus && j < len(line) && line[j] == ' ' {
				j++
			}
		}
		if j == i {
			i++
			continue
		}
		ctxA, ctxB := max(0, i-32), min(len(line), j+32)
		withCtx := append(append(append([]byte{}, line[ctxA:i]...), dec...), line[j:ctxB]...)
		if len(dec) > 0 && e.interesting(withCtx) && !add(i, j) {
			return runs
		}
		i = j
	}
	for i := 0; i < len(line); {
		if byteClass[line[i]]&clsB64 == 0 {
			i++
			continue
		}
		j := i
		var acc byte = clsHex
		var likely byte
		for j < len(line) {
			c := byteClass[line[j]]
			if c&clsB64 == 0 {
				break
			}
			acc &= c
			likely |= c
			j++
		}
		if j-i < 16 || likely&clsLikely == 0 {
			i = j
			continue
		}
		allHex := acc&clsHex != 0
		k := j
		for k < len(line) && k-j < 2 && line[k] == '=' {
			k++
		}
		hit := false
		if allHex && j-i >= 32 {
			if d, ok := decodeHexPrintable(line[i:j]); ok && e.interesting(d) {
				hit = true
			}
		}
		if !hit {
			if d, ok := decodeB64Printable(line[i:k]); ok && e.interesting(d) {
				hit = true
			}
		}
		if hit && !add(i, k) {
			return runs
		}
		i = j
	}
	return runs
}

// interesting reports whether decoded text holds a keyword hit that would
// open a window (validated as in scanLines) or another encoded run worth
// decoding.
func (e *Engine) interesting(decoded []byte) bool {
	low := toLower(nil, decoded)
	found := false
	e.keywords.walk(low, func(end, klen, pattern int) bool {
		info := &e.kw[pattern]
		rel := end + 1
		found = info.pem || info.mainAlways
		for _, v := range info.mainChecks {
			found = found || v(low, rel)
		}
		found = found || info.genericRule && assignmentAfter(low, rel)
		return !found
	})
	if found {
		return true
	}
	for i := 0; i < len(decoded); {
		j := i
		for j < len(decoded) && isB64(decoded[j]) {
			j++
		}
		if j-i >= 16 {
			return true
		}
		i = j + 1
	}
	return bytes.IndexByte(decoded, '%') >= 0
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func decodeHexPrintable(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		v := unhex(s[i])<<4 | unhex(s[i+1])
		if !printable(v) {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func printable(c byte) bool { return 0x20 <= c && c <= 0x7e || c == '\t' || c == '\n' || c == '\r' }

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// byteClass classifies bytes for the decodable scan.
var byteClass = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if isB64(b) {
			t[c] |= clsB64
		}
		if isHexByte(b) {
			t[c] |= clsHex
		}
		if '0' <= b && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_' {
			t[c] |= clsLikely // gitleaks only decodes runs holding one of these
		}
	}
	return t
}()

const (
	clsB64 = 1 << iota
	clsHex
	clsLikely
)

func isB64(c byte) bool { return isWordDash(c) || c == '+' || c == '/' }

// decodeB64Printable decodes s (standard or URL alphabet) when it decodes
// to printable ASCII, as gitleaks' decoder requires.
func decodeB64Printable(s []byte) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		buf := make([]byte, enc.DecodedLen(len(s)))
		n, err := enc.Decode(buf, s)
		if err != nil {
			continue
		}
		ok := true
		for _, c := range buf[:n] {
			if !printable(c) {
				ok = false
				break
			}
		}
		if ok {
			return buf[:n], true
		}
	}
	return nil, false
}

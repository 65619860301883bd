package scanner

import (
	"bytes"
	"context"
	"regexp"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// Environment variables in Kubernetes manifests, ECS task definitions and
// CI files are written as name/value pairs:
//
//	- name: STRIPE_SECRET_KEY          {"name": "DD_API_KEY", "value": "…"}
//	  value: "sk_live_…"
//
// Rules that need a key name next to the secret (an AWS secret access key,
// a Datadog key, gitleaks' keyword-anchored rules) cannot match there: the
// name is on another line, or is the value of a "name" field. envPairs
// finds such pairs and the engine scans a synthetic line "NAME: value" for
// each, mapping findings back onto the value.

// envPair is one name/value pair: the name, and where the value starts.
type envPair struct {
	name      []byte
	valueLine int // line index of the value
	valueOff  int // byte offset in t.data where the value text starts
}

var (
	// "- name: X" / "name: X" / "\"name\": \"X\"," on its own line.
	envNameLine = regexp.MustCompile(`^\s*(?:-\s*)?["']?name["']?\s*:\s*["']?([A-Za-z_][A-Za-z0-9_.-]{0,100})["']?\s*,?\s*$`)
	// "value: …" / "\"value\": …" starting a line.
	envValueLine = regexp.MustCompile(`^\s*["']?value["']?\s*:\s*`)
	// {"name": "X", "value": …} on one line.
	envInline = regexp.MustCompile(`["']name["']\s*:\s*["']([A-Za-z_][A-Za-z0-9_.-]{0,100})["']\s*,\s*["']value["']\s*:\s*`)
)

// maxEnvPairs bounds the synthetic lines made for one call.
const maxEnvPairs = 4096

// envPairs returns the name/value pairs whose value is on a line in
// [from, to] accepted by ok. low is the lower-cased text of those lines,
// starting at byte lo of t.
func envPairs(t text, low []byte, lo, from, to int, ok func(int) bool) []envPair {
	var out []envPair
	for off := 0; len(out) < maxEnvPairs; {
		i := bytes.Index(low[off:], []byte("value"))
		if i < 0 {
			break
		}
		p := off + i
		off = p + 5
		// "value" must be a whole key: followed by an optional quote,
		// spaces and a colon.
		k := off
		if k < len(low) && (low[k] == '"' || low[k] == '\'') {
			k++
		}
		for k < len(low) && (low[k] == ' ' || low[k] == '\t') {
			k++
		}
		if k >= len(low) || low[k] != ':' {
			continue
		}
		l := t.lineOf(lo + p)
		// One look per line, whatever it holds.
		off = max(off, t.end(l)-lo)
		if l < from || l > to || !ok(l) {
			continue
		}
		line := t.line(l)
		if len(line) > maxEnvLine {
			continue // minified or data lines: no env pairs there
		}
		lineLow := low[t.starts[l]-lo : t.starts[l]-lo+len(line)]
		if bytes.Contains(lineLow, []byte(`name"`)) || bytes.Contains(lineLow, []byte(`name'`)) {
			if m := envInline.FindSubmatchIndex(line); m != nil {
				out = append(out, envPair{name: line[m[2]:m[3]], valueLine: l, valueOff: t.starts[l] + m[1]})
				continue
			}
		}
		// Two-line form: "value" starts its line (after spaces and a quote).
		if l == 0 || !onlyIndent(lineLow[:p-(t.starts[l]-lo)]) {
			continue
		}
		prev := t.line(l - 1)
		if len(prev) > maxEnvLine || !bytes.Contains(toLower(nil, prev), []byte("name")) {
			continue
		}
		m := envValueLine.FindIndex(line)
		if m == nil {
			continue
		}
		nm := envNameLine.FindSubmatchIndex(prev)
		if nm == nil {
			continue
		}
		out = append(out, envPair{name: prev[nm[2]:nm[3]], valueLine: l, valueOff: t.starts[l] + m[1]})
	}
	return out
}

// maxEnvLine is the longest line looked at for an env pair.
const maxEnvLine = 1024

// onlyIndent reports whether b holds only spaces, tabs and one quote.
func onlyIndent(b []byte) bool {
	q := 0
	for _, c := range b {
		switch c {
		case ' ', '\t':
		case '"', '\'':
			q++
		default:
			return false
		}
	}
	return q <= 1
}

// scanEnvPairs runs the main detector (and the generic one) over a
// synthetic "NAME: value" line per pair and maps the findings onto the
// value's line. Findings a rule already made on that line are dropped.
func (e *Engine) scanEnvPairs(ctx context.Context, t text, pairs []envPair, path string, have []hit) []hit {
	var out []hit
	for _, p := range pairs {
		lineEnd := t.starts[p.valueLine] + len(t.line(p.valueLine))
		value := t.data[p.valueOff:lineEnd]
		if len(value) < 8 {
			continue
		}
		prefix := len(p.name) + 2
		raw := make([]byte, 0, prefix+len(value)+1)
		raw = append(append(append(raw, p.name...), ':', ' '), value...)
		raw = append(raw, '\n')
		valueCol := p.valueOff - t.starts[p.valueLine] // 0-based column of the value
		for _, d := range []*detect.Detector{e.main, e.generic} {
			if d == nil {
				continue
			}
			if dumpHook != nil {
				dumpHook("envpair", string(raw))
			}
			for _, f := range d.DetectContext(ctx, detect.Fragment{Raw: string(raw), FilePath: path, StartLine: p.valueLine + 1}) {
				h := hitOf(f)
				h.StartLine, h.EndLine = p.valueLine+1, p.valueLine+1
				h.StartCol = max(h.StartCol-prefix, 1) + valueCol
				h.EndCol = max(h.EndCol-prefix, 1) + valueCol
				h.Line = string(t.line(p.valueLine))
				if !seenOnLine(have, h) && !seenOnLine(out, h) {
					out = append(out, h)
				}
			}
		}
	}
	return out
}

func seenOnLine(hits []hit, h hit) bool {
	for _, x := range hits {
		if x.RuleID == h.RuleID && x.Secret == h.Secret && x.StartLine == h.StartLine {
			return true
		}
	}
	return false
}

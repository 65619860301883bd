package scanner

import (
	"context"
	"encoding/base64"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// gitleaks' base64 decoder skips any run holding none of 0-9 + / - _ (a
// shortcut its source says misses about 1 % of encoded data). An AWS key id
// in a Kubernetes Secret can be such a run: the base64 of some key ids is
// all letters. The engine decodes those runs itself and scans the line with
// the run replaced by its decoded text.

// letterRun is one letters-only base64 run of a line and its decoding.
type letterRun struct {
	line, a, b int // line index, byte range in the line
	decoded    []byte
}

// minLetterRun is the shortest run decoded (a 12-byte secret).
const minLetterRun = 16

// letterRuns returns the letters-only, padded standard-base64 run that
// ends line l (a Kubernetes Secret value, an env or properties value, a
// JSON string value), when it decodes to printable text holding something
// a rule looks for. Only a line's last value is looked at: that is where
// these files keep their values, and it keeps the pass cheap.
func (e *Engine) letterRuns(t text, l int) []letterRun {
	line := t.line(l)
	k := len(line)
	for k > 0 && (line[k-1] == ' ' || line[k-1] == '\t' || line[k-1] == '\r' || line[k-1] == '"' || line[k-1] == '\'' || line[k-1] == ',' || line[k-1] == ';') {
		k--
	}
	j := k
	for j > 0 && k-j < 2 && line[j-1] == '=' {
		j--
	}
	i := j
	for i > 0 && isLetter(line[i-1]) {
		i--
	}
	if k-i < minLetterRun || (k-i)%4 != 0 || (i > 0 && isB64(line[i-1])) {
		return nil
	}
	dec, err := base64.StdEncoding.DecodeString(string(line[i:k]))
	if err != nil || !printableASCII(dec) || !e.interesting(dec) {
		return nil
	}
	return []letterRun{{line: l, a: i, b: k, decoded: dec}}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return len(b) > 0
}

// scanLetterRuns runs the detector holding every rule over each line with
// its run decoded, and places findings on the encoded run.
func (e *Engine) scanLetterRuns(ctx context.Context, t text, runs []letterRun, path string) []hit {
	var out []hit
	for _, r := range runs {
		line := t.line(r.line)
		raw := make([]byte, 0, len(line)+len(r.decoded))
		raw = append(append(append(raw, line[:r.a]...), r.decoded...), line[r.b:]...)
		if dumpHook != nil {
			dumpHook("letters", string(raw))
		}
		for _, f := range e.fullDetector().DetectContext(ctx, detect.Fragment{Raw: string(raw) + "\n", FilePath: path, StartLine: r.line + 1}) {
			h := hitOf(f)
			if h.StartCol-1 >= r.a+len(r.decoded) || h.EndCol <= r.a {
				continue // not in the decoded run: the line's own windows have it
			}
			h.StartLine, h.EndLine = r.line+1, r.line+1
			h.StartCol, h.EndCol = r.a+1, r.b
			h.Line = string(line)
			out = append(out, h)
		}
	}
	return out
}

package scanner

import (
	"bytes"
	"encoding/base64"
)

// dumpHook is a measurement aid for tests: it sees every window.
var dumpHook func(string)

// The checks below are necessary conditions for a regex to match: each
// accepts a superset of what its regex accepts, so skipping text they reject
// never loses a finding. They work on lower-cased text.

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' }

func isWordDash(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// runOf counts the bytes from off on that satisfy ok.
func runOf(b []byte, off int, ok func(byte) bool) int {
	n := 0
	for off+n < len(b) && ok(b[off+n]) {
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
func assignmentAfter(low []byte, end int) bool {
	i := end
	for n := 0; ; n++ {
		if i >= len(low) || n > 23 {
			return false
		}
		c := low[i]
		if isOperator(c) {
			break
		}
		if !(isWordDash(c) || c == '.' || isSpace(c) || c == '\'' || c == '"') {
			return false
		}
		i++
	}
	// Skip the rest of the operator and the value's opening quotes/spaces
	// (but not '=', which may start the value).
	for n := 0; i < len(low) && n < 10 && (isOperator(low[i]) && low[i] != '=' || c2(low[i])); n++ {
		i++
	}
	return runOf(low, i, isValue) >= 10
}

func c2(c byte) bool { return c == '`' || c == '\'' || c == '"' || isSpace(c) || c == '=' }

func isOperator(c byte) bool {
	return c == '=' || c == '>' || c == ':' || c == '|' || c == '?' || c == ','
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }

func isValue(c byte) bool { return isWordDash(c) || c == '.' || c == '=' || c == '+' || c == '/' }

// decodable reports whether a line holds text that gitleaks' decoder would
// turn into something new: a percent escape, a unicode escape, or a hex or
// base64 run that decodes to printable ASCII.
func decodable(line []byte) bool {
	if i := bytes.IndexByte(line, '%'); i >= 0 && hasPercentEscape(line[i:]) {
		return true
	}
	if bytes.Contains(line, []byte(`\u`)) || bytes.Contains(line, []byte(`\U`)) || bytes.Contains(line, []byte("U+")) {
		return true
	}
	for i := 0; i < len(line); {
		if !isB64(line[i]) {
			i++
			continue
		}
		j := i
		likely, allHex := false, true
		for j < len(line) && isB64(line[j]) {
			c := line[j]
			if '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' {
				likely = true
			}
			if !isHexByte(c) {
				allHex = false
			}
			j++
		}
		k := j
		for k < len(line) && k-j < 2 && line[k] == '=' {
			k++
		}
		if j-i >= 16 && likely {
			if allHex && j-i >= 32 && printableHex(line[i:j]) {
				return true
			}
			if printableB64(line[i:k]) {
				return true
			}
		}
		i = j
	}
	return false
}

func isHexByte(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func printableHex(s []byte) bool {
	for i := 0; i+1 < len(s); i += 2 {
		v := unhex(s[i])<<4 | unhex(s[i+1])
		if v < 0x20 || v > 0x7e {
			if v != '\t' && v != '\n' && v != '\r' {
				return false
			}
		}
	}
	return true
}

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

func isB64(c byte) bool { return isWordDash(c) || c == '+' || c == '/' }

func hasPercentEscape(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHex(string(b[i+1:i+3])) {
			return true
		}
	}
	return false
}

// printableB64 reports whether s decodes (standard or URL alphabet) to
// printable ASCII, as gitleaks' decoder requires.
func printableB64(s []byte) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		buf := make([]byte, enc.DecodedLen(len(s)))
		n, err := enc.Decode(buf, s)
		if err != nil {
			continue
		}
		ok := true
		for _, c := range buf[:n] {
			if c < 0x20 || c > 0x7e {
				if c != '\t' && c != '\n' && c != '\r' {
					ok = false
					break
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

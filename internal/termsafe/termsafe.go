// Package termsafe is the one sanitiser for text that reaches a person: a
// terminal, a log, a CI annotation. Everything the tool prints that comes
// from outside it — file names, author names, identities, provider answers,
// repository names — goes through Clean, so a hostile value can neither drive
// the terminal (ESC, OSC, CSI sequences), overwrite a line (CR, backspace),
// fake a line (LF) nor reorder text (bidirectional overrides).
package termsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s unchanged when every rune is printable (spaces included)
// and the string is valid UTF-8 that does not start with a double quote;
// otherwise it returns s quoted and escaped like a Go string literal, so the
// reader sees that the value was altered and what it held.
func Clean(s string) string {
	if Safe(s) {
		return s
	}
	return strconv.Quote(s)
}

// Safe reports whether Clean would return s unchanged.
func Safe(s string) bool {
	if !utf8.ValidString(s) || strings.HasPrefix(s, `"`) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Line is Clean for a whole line of output built by the tool: it keeps the
// tool's own tabs and line breaks but neutralises every other control
// character, escape sequence and bidirectional override, each replaced by
// its \x.. or \u.... escape. Use Clean on each value from outside instead
// when the line is assembled from parts.
func Line(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if !unicode.IsPrint(r) && r != '\n' && r != '\t' {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == '\n' || r == '\t' || unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

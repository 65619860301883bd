package docgen

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Link is one link of a Markdown document.
type Link struct {
	Line   int    // 1-based
	Target string // as written: "docs/x.md#part", "#part", "https://…"
}

var (
	fence = regexp.MustCompile("^\\s{0,3}(```|~~~)")
	// [text](target) and ![alt](target), target without spaces; an
	// optional "title" after it.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// [label]: target
	refLink   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)`)
	codeSpan  = regexp.MustCompile("`+[^`]*`+")
	heading   = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlAnchr = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// Links returns the links of md outside code blocks and code spans.
func Links(md string) []Link {
	var out []Link
	inFence := false
	for i, line := range strings.Split(md, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			out = append(out, Link{i + 1, m[1]})
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, Link{i + 1, m[1]})
		}
	}
	return out
}

// Anchors returns the anchors GitHub gives md's headings (see Slug;
// repeated headings get -1, -2 … as on GitHub) and explicit <a name>/<a id>
// anchors.
func Anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range htmlAnchr.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := Slug(m[2])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

var mdLinkText = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// Slug is the anchor GitHub derives from a heading's text: links reduced
// to their text, lower case, letters, digits, spaces, hyphens and
// underscores kept (everything else, backquotes included, dropped), each
// space a hyphen.
func Slug(text string) string {
	text = mdLinkText.ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

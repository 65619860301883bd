// Package docgen writes the parts of the documentation that are generated
// from the code, so that they cannot drift from it: the CLI reference
// (docs/cli-reference.md, from the cobra command tree) and the provider
// table (a marked section of docs/providers.md, from the verifier,
// remediation and rule registries). It also reads Markdown links and
// headings for the test that keeps every relative link of the
// documentation resolvable.
//
// The generated files are checked by cmd/scan's TestGeneratedDocs, which
// fails when a committed file differs from what the code generates;
// `go generate ./...` rewrites them.
package docgen

import (
	"bytes"
	"fmt"
	"strings"
)

// Marker comments delimit a generated section inside a hand-written
// Markdown file; everything between them is replaced on generation.
const (
	beginMarker = "<!-- BEGIN GENERATED %s: do not edit, run go generate ./... -->"
	endMarker   = "<!-- END GENERATED %s -->"
)

// Splice returns doc with the section named name replaced by content. The
// section's begin and end markers must both be present, once each, in
// that order.
func Splice(doc []byte, name string, content []byte) ([]byte, error) {
	begin := []byte(fmt.Sprintf(beginMarker, name))
	end := []byte(fmt.Sprintf(endMarker, name))
	i := bytes.Index(doc, begin)
	j := bytes.Index(doc, end)
	if i < 0 || j < 0 || j < i || bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1 {
		return nil, fmt.Errorf("generated section %q: want one %q line followed by one %q line", name, begin, end)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(begin)])
	out.WriteString("\n")
	out.Write(content)
	if len(content) > 0 && content[len(content)-1] != '\n' {
		out.WriteString("\n")
	}
	out.Write(doc[j:])
	return out.Bytes(), nil
}

// cell escapes s for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, ">", "&gt;")
	return strings.ReplaceAll(s, "\n", " ")
}

// codeList renders items as comma-separated code spans.
func codeList(items []string) string {
	if len(items) == 0 {
		return "—"
	}
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = "`" + s + "`"
	}
	return strings.Join(parts, ", ")
}

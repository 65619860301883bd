package remediate

import (
	"fmt"
	"net/url"
	"nhiscan/finding"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A ticket body is built once as lines of spans, then rendered for its
// target: GitHub Markdown, Jira wiki markup (REST v2) or Atlassian Document
// Format (REST v3). Every value read from a report, a repository or an API
// answer (paths, author names, identities, scopes, rule ids) is a content
// span, which each renderer escapes for its markup: it can never become a
// link, a mention, an HTML comment, a heading or a marker. Only the tool's
// own text is written as is, and only the tool builds links, from the
// operator's configured repository URL.

type span struct {
	text    string
	content bool   // untrusted: escaped by every renderer
	strong  bool   // tool text in bold
	href    string // a link the tool built; its text is content
}

type lineKind int

const (
	para lineKind = iota
	heading
	item
	numbered
)

type bline struct {
	kind  lineKind
	spans []span
}

func tool(s string) span    { return span{text: s} }
func content(s string) span { return span{text: s, content: true} }
func strong(s string) span  { return span{text: s, strong: true} }

// ticketDoc is a ticket body before rendering.
type ticketDoc struct {
	fp, status string
	lines      []bline
}

func (d *ticketDoc) add(k lineKind, ss ...span) { d.lines = append(d.lines, bline{kind: k, spans: ss}) }

// field adds "- name: value" with the value as content ("-" when empty).
func (d *ticketDoc) field(name string, vals ...span) {
	d.add(item, append([]span{tool(name + ": ")}, vals...)...)
}

var hexCommit = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

func buildDoc(in TicketInput) ticketDoc {
	f := in.Finding
	d := ticketDoc{fp: f.Fingerprint, status: in.Status}
	d.add(para, tool("nhiscan found a leaked credential."))
	d.field("provider", content(providerName(f.Provider)))
	d.field("rule", content(f.RuleID))
	d.field("credential", content(safeRedacted(f)))
	st := []span{strong(in.Status)}
	if in.Verified {
		st = append(st, tool(" (verified by this run)"))
	} else {
		st = append(st, tool(" (as reported; not verified by this run)"))
	}
	d.field("status", st...)
	if v := f.Verification; v != nil {
		if !v.CheckedAt.IsZero() {
			d.field("verified at", tool(v.CheckedAt.UTC().Format(time.RFC3339)))
		}
		if len(v.Identity) > 0 {
			var ids []string
			for k, val := range v.Identity {
				ids = append(ids, k+"="+val)
			}
			slices.Sort(ids)
			d.field("identity", content(strings.Join(ids, ", ")))
		}
		p := v.Privileges
		if p.Level != "" || len(p.Scopes) > 0 || len(p.Flags) > 0 {
			d.field("privileges", tool("level "), content(orDash(p.Level)), tool("; scopes "), content(orDash(strings.Join(p.Scopes, " "))),
				tool("; flags "), content(orDash(strings.Join(p.Flags, " "))))
		}
	}
	d.field("still in the tree", tool(strconv.FormatBool(f.InHead)))
	first := f.FirstLocation()
	if !first.Date.IsZero() {
		d.field("first seen", tool(first.Date.UTC().Format(time.RFC3339)+" (commit "), content(short(first.Commit)), tool(")"))
	}
	if in.Priority != "" {
		d.field("priority", content(in.Priority))
	}
	if len(in.Actions) > 0 {
		d.field("done by nhiscan", content(strings.Join(in.Actions, ", ")))
	}
	d.add(heading, tool("Locations"))
	for i, l := range f.Locations {
		if i == 20 {
			d.add(item, tool(fmt.Sprintf("… and %d more", len(f.Locations)-20)))
			break
		}
		where := span{text: fmt.Sprintf("%s:%d", l.Path, l.Line), content: true, href: locationURL(in.RepoWebURL, l)}
		ss := []span{where}
		if l.Commit != "" {
			ss = append(ss, tool(" in commit "), content(short(l.Commit)))
		}
		if l.Author != "" {
			ss = append(ss, tool(" by "), content(l.Author))
		}
		if !l.Date.IsZero() {
			ss = append(ss, tool(" on "+l.Date.UTC().Format("2006-01-02")))
		}
		d.add(item, ss...)
	}
	d.add(heading, tool("Remediation"))
	switch {
	case in.Status == string(finding.StatusDead) && in.Verified:
		d.add(numbered, tool("The credential is verified dead: nothing can use it any more."))
	case in.Manual != "":
		d.add(numbered, tool("Revoke or rotate it: "), content(in.Manual))
	default:
		d.add(numbered, tool("Revoke or rotate it at the provider (its console or API), and update every system that uses it."))
	}
	d.add(numbered, tool("Check the provider's audit log for use of the credential since it was first seen."))
	d.add(numbered, tool("Remove it from the code and store it in a secret manager; history rewriting is optional once it is dead."))
	return d
}

// locationURL links a location on the operator's configured repository
// web address; "" when any part is not what it should be.
func locationURL(base string, l finding.Location) string {
	if base == "" || l.Path == "" || !hexCommit.MatchString(l.Commit) {
		return ""
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	parts := strings.Split(l.Path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	s := fmt.Sprintf("%s/blob/%s/%s#L%d", u.String(), l.Commit, strings.Join(parts, "/"), l.Line)
	if strings.ContainsAny(s, " \t\r\n()<>[]\"'`\\") {
		return ""
	}
	return s
}

// safeRedacted is the redacted form of f's secret: computed from the
// secret when the tool has it, else the report's only when it looks like
// a redaction (a short prefix and asterisks).
func safeRedacted(f *finding.Finding) string {
	if f.Secret != "" {
		return finding.Redact(f.Secret)
	}
	if redactedShape.MatchString(f.Redacted) {
		return f.Redacted
	}
	return "*****"
}

var redactedShape = regexp.MustCompile(`^[A-Za-z0-9_.+/=-]{0,4}\*{5}$`)

// cleanText makes content one line of printable text: control characters,
// line and paragraph separators become spaces, bidirectional overrides
// (which make text read differently than it is) are dropped.
func cleanText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\u202a' || r == '\u202b' || r == '\u202c' || r == '\u202d' || r == '\u202e' ||
			(r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\ufeff':
			continue
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode renders content as a Markdown code span, whose text GitHub shows
// literally: no link, autolink, mention, emphasis or HTML inside. The
// fence is longer than any backtick run in s; the padding spaces are
// stripped by the renderer.
func mdCode(s string) string {
	s = cleanText(s)
	if strings.TrimSpace(s) == "" {
		s = "-"
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// markerLine is the first line of every GitHub issue body nhiscan writes.
func markerLine(fp, status string) string {
	return "<!-- nhiscan:fingerprint=" + fp + " status=" + status + " -->"
}

// Marker is the first line of a ticket body for fingerprint fp, without
// the status; kept for callers that look tickets up by it.
func Marker(fp string) string { return "<!-- nhiscan:fingerprint=" + fp + " -->" }

var (
	markerRe = regexp.MustCompile(`^<!-- nhiscan:fingerprint=([0-9a-f]{32}|[0-9a-f]{64}) status=([a-z]{1,16}) -->$`)
	// Bodies of earlier versions ended with these two lines.
	oldMarkerRe = regexp.MustCompile(`\r?\n<!-- nhiscan:fingerprint=([0-9a-f]{32}|[0-9a-f]{64}) -->\r?\n<!-- nhiscan:status=([a-z]{1,16}) -->(?:\r?\n)?$`)
)

// parseMarker reads the tool's marker from a body: only from the first
// line (or, for bodies of earlier versions, the exact two closing lines,
// which came after every content field), never from anywhere a path or an
// author name could have put one.
func parseMarker(body string) (fp, status string, ok bool) {
	first, _, _ := strings.Cut(body, "\n")
	if m := markerRe.FindStringSubmatch(strings.TrimSuffix(first, "\r")); m != nil {
		return m[1], m[2], true
	}
	if m := oldMarkerRe.FindStringSubmatch(body); m != nil {
		return m[1], m[2], true
	}
	return "", "", false
}

// Body renders a ticket body in GitHub Markdown: the marker on the first
// line, then the fields. It never includes the secret.
func Body(in TicketInput) string {
	d := buildDoc(in)
	var b strings.Builder
	b.WriteString(markerLine(d.fp, d.status) + "\n\n")
	n := 0
	prev := para
	for i, l := range d.lines {
		if i > 0 && (l.kind != prev || l.kind == para || l.kind == heading) {
			b.WriteString("\n")
		}
		switch l.kind {
		case heading:
			b.WriteString("### ")
		case item:
			b.WriteString("- ")
		case numbered:
			if prev != numbered {
				n = 0
			}
			n++
			fmt.Fprintf(&b, "%d. ", n)
		}
		prev = l.kind
		for _, s := range l.spans {
			b.WriteString(mdSpan(s))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func mdSpan(s span) string {
	switch {
	case s.href != "":
		return "[" + mdCode(s.text) + "](" + s.href + ")"
	case s.content:
		return mdCode(s.text)
	case s.strong:
		return "**" + s.text + "**"
	}
	return s.text
}

// wikiSpecial are the characters of Jira wiki markup that start an effect,
// a link, a macro, a table cell, a list or an emoticon.
const wikiSpecial = `\[]{}|*_-+^~?#!@()=:;<>'"&`

// wikiEscape renders content as Jira wiki text: each special character
// escaped with a backslash, and a zero-width space after every colon so no
// scheme (https:, mailto:) is ever auto-linked.
func wikiEscape(s string) string {
	s = cleanText(s)
	if strings.TrimSpace(s) == "" {
		return `\-`
	}
	var b strings.Builder
	for _, r := range s {
		if r < 128 && strings.ContainsRune(wikiSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r == ':' {
			b.WriteString("\u200b")
		}
	}
	return b.String()
}

// WikiBody renders a ticket body in Jira wiki markup (REST v2).
func WikiBody(in TicketInput) string {
	d := buildDoc(in)
	var b strings.Builder
	prev := para
	for i, l := range d.lines {
		if i > 0 && (l.kind != prev || l.kind == para || l.kind == heading) {
			b.WriteString("\n")
		}
		switch l.kind {
		case heading:
			b.WriteString("h3. ")
		case item:
			b.WriteString("* ")
		case numbered:
			b.WriteString("# ")
		}
		prev = l.kind
		for _, s := range l.spans {
			switch {
			case s.href != "":
				b.WriteString("[" + wikiEscape(s.text) + "|" + s.href + "]")
			case s.content:
				b.WriteString(wikiEscape(s.text))
			case s.strong:
				b.WriteString("*" + s.text + "*")
			default:
				b.WriteString(s.text)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ADFBody renders a ticket body as an Atlassian Document Format document
// (REST v3): content only ever in plain text nodes; the only marks are the
// tool's bold and the links it built.
func ADFBody(in TicketInput) map[string]any {
	d := buildDoc(in)
	var blocks []any
	var list map[string]any
	for _, l := range d.lines {
		inline := adfInline(l.spans)
		switch l.kind {
		case item, numbered:
			typ := "bulletList"
			if l.kind == numbered {
				typ = "orderedList"
			}
			if list == nil || list["type"] != typ {
				list = map[string]any{"type": typ, "content": []any{}}
				blocks = append(blocks, list)
			}
			list["content"] = append(list["content"].([]any), map[string]any{"type": "listItem",
				"content": []any{map[string]any{"type": "paragraph", "content": inline}}})
			continue
		case heading:
			blocks = append(blocks, map[string]any{"type": "heading", "attrs": map[string]any{"level": 3}, "content": inline})
		default:
			blocks = append(blocks, map[string]any{"type": "paragraph", "content": inline})
		}
		list = nil
	}
	return map[string]any{"type": "doc", "version": 1, "content": blocks}
}

func adfInline(ss []span) []any {
	out := []any{}
	for _, s := range ss {
		text := s.text
		if s.content {
			text = cleanText(text)
			if strings.TrimSpace(text) == "" {
				text = "-"
			}
		}
		if text == "" {
			continue
		}
		n := map[string]any{"type": "text", "text": text}
		switch {
		case s.href != "":
			n["marks"] = []any{map[string]any{"type": "link", "attrs": map[string]any{"href": s.href}}}
		case s.strong:
			n["marks"] = []any{map[string]any{"type": "strong"}}
		}
		out = append(out, n)
	}
	return out
}

// adfText is a plain comment as an ADF document: one paragraph per line.
func adfText(s string) map[string]any {
	var content []any
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		p := map[string]any{"type": "paragraph"}
		if line != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": line}}
		}
		content = append(content, p)
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

// safeTitle keeps a title to one line of printable text.
func safeTitle(s string) string {
	s = cleanText(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}

var providerShape = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

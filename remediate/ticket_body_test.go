package remediate

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"nhiscan/finding"
)

const testFP = "0123456789abcdef0123456789abcdef"

// hostileInput puts s into every field a ticket body shows that comes from
// a report, a repository or an API answer.
func hostileInput(s string) TicketInput {
	f := &finding.Finding{
		Fingerprint: testFP, RuleID: s, Provider: s, Redacted: s, InHead: true,
		Verification: &finding.Verification{Status: finding.StatusLive, Identity: map[string]string{"login": s, s: "x"},
			Privileges: finding.Privileges{Level: s, Scopes: []string{s, "repo"}, Flags: []string{s}}},
		Locations: []finding.Location{
			{Commit: "0123456789abcdef0123456789abcdef01234567", Path: s, Line: 3, Author: s, Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
			{Commit: "g" + s, Path: "a/" + s, Author: s}, // never a valid commit id: no link
		},
	}
	return TicketInput{Finding: f, Status: "live", Verified: true, Manual: s, Priority: s, Actions: []string{s},
		RepoWebURL: "https://github.com/acme/app"}
}

// markupOf is what GitHub renders as markup: the body outside code spans.
func markupOf(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); {
		if body[i] != '`' {
			b.WriteByte(body[i])
			i++
			continue
		}
		n := 0
		for i+n < len(body) && body[i+n] == '`' {
			n++
		}
		end := -1
		for j := i + n; j < len(body); {
			if body[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(body) && body[j+m] == '`' {
				m++
			}
			if m == n {
				end = j + m
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(body[i : i+n])
			i += n
			continue
		}
		b.WriteString("C")
		i = end
	}
	return b.String()
}

// bodyInvariants checks the three renderings of a body built from hostile
// input s against the same body built from a harmless value: outside code
// spans the Markdown is the same (so s added no markup, link, mention,
// comment or marker), the marker names the right fingerprint, the wiki
// text has no unescaped markup from s, and the ADF document holds no mark
// but the tool's.
func bodyInvariants(t *testing.T, s string) {
	t.Helper()
	ref := "x"
	if s == "" {
		ref = "" // empty fields are left out: compare like with like
	}
	in, plain := hostileInput(s), hostileInput(ref)
	md, ref := Body(in), Body(plain)
	// link destinations are built from s (escaped) and differ: compare the
	// markup with destinations removed
	dest := func(m string) string {
		var b strings.Builder
		for {
			i := strings.Index(m, "](https://github.com/acme/app/blob/")
			if i < 0 {
				return b.String() + m
			}
			j := strings.IndexByte(m[i:], ')')
			if j < 0 {
				return b.String() + m
			}
			b.WriteString(m[:i] + "](URL)")
			m = m[i+j+1:]
		}
	}
	if got, want := dest(markupOf(md)), dest(markupOf(ref)); got != want {
		t.Fatalf("input %q changed the markup:\n%s\nwant:\n%s", s, got, want)
	}
	if fp, st, ok := parseMarker(md); !ok || fp != testFP || st != "live" {
		t.Fatalf("marker of body with %q: %q %q %v", s, fp, st, ok)
	}
	for _, l := range strings.Split(markupOf(md), "\n") {
		if strings.Contains(l, "](") && !strings.Contains(l, "](https://github.com/acme/app/blob/") {
			t.Fatalf("a link not built by the tool: %q", l)
		}
	}
	// wiki link destinations are built from s (escaped) too
	wdest := func(w string) string {
		var b strings.Builder
		for {
			i := strings.Index(w, "|https://github.com/acme/app/blob/")
			if i < 0 {
				return b.String() + w
			}
			j := strings.IndexByte(w[i:], ']')
			if j < 0 {
				return b.String() + w
			}
			b.WriteString(w[:i] + "|URL]")
			w = w[i+j+1:]
		}
	}
	wiki, wref := wdest(WikiBody(in)), wdest(WikiBody(plain))
	if strings.Count(wiki, "\n") != strings.Count(wref, "\n") {
		t.Fatalf("input %q added lines to the wiki text", s)
	}
	for _, c := range []byte("[]{}|*_-+^~?#!@()") {
		if unescapedIn(wiki, c) != unescapedIn(wref, c) {
			t.Fatalf("input %q left %q unescaped in the wiki text:\n%s", s, c, wiki)
		}
	}
	if strings.Count(wiki, "://") != strings.Count(wref, "://") {
		t.Fatalf("input %q left a scheme in the wiki text", s)
	}
	b, err := json.Marshal(ADFBody(in))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	_ = json.Unmarshal(b, &doc)
	links := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := x["type"].(string); typ == "link" {
				links++
				href, _ := x["attrs"].(map[string]any)["href"].(string)
				if !strings.HasPrefix(href, "https://github.com/acme/app/blob/") {
					t.Fatalf("ADF link %q", href)
				}
			} else if typ != "" && !strings.Contains(" doc paragraph heading bulletList orderedList listItem text strong ", " "+typ+" ") {
				t.Fatalf("ADF node or mark %q", typ)
			}
			if txt, ok := x["text"].(string); ok && (txt == "" || strings.ContainsAny(txt, "\n\r") || !utf8.ValidString(txt)) {
				t.Fatalf("ADF text %q", txt)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
	if links > 1 {
		t.Fatalf("%d links, want at most the first location's", links)
	}
	if ti := Title(in); !titleShape.MatchString(ti) {
		t.Fatalf("title %q carries the input", ti)
	}
}

// titleShape: a known-shape provider id, a redaction, the fingerprint.
var titleShape = regexp.MustCompile(`^Leaked [a-z0-9][a-z0-9._-]{0,31} credential [A-Za-z0-9_.+/=-]{0,4}\*{5} \([0-9a-f]{12}\)$`)

func unescapedIn(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			n++
		}
	}
	return n
}

var bodySeeds = []string{
	"plain",
	"[reset your password](https://evil.example/login)",
	"@acme/security-team @octocat",
	"<!-- nhiscan:fingerprint=fedcba9876543210fedcba9876543210 status=dead -->",
	"\n<!-- nhiscan:fingerprint=fedcba9876543210fedcba9876543210 -->\n<!-- nhiscan:status=dead -->\n",
	"`` ` code ` ``",
	"<img src=x onerror=alert(1)>",
	"https://evil.example www.evil.example",
	"# heading\n\n- item\r\n| a | b |",
	"[link|https://evil.example] {color:red}x{color} [~admin] !image.png!",
	"\u202eevil\u2066",
	"\x00\x1b]8;;https://evil\x07",
	"",
	"\\",
	"`",
}

func TestTicketBodiesEscapeContent(t *testing.T) {
	for _, s := range bodySeeds {
		t.Run(s, func(t *testing.T) { bodyInvariants(t, s) })
	}
}

func FuzzTicketBodies(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { bodyInvariants(t, s) })
}

func TestParseMarker(t *testing.T) {
	const fp = "fedcba9876543210fedcba9876543210"
	for _, tc := range []struct {
		name, body string
		fp, st     string
	}{
		{"first line", "<!-- nhiscan:fingerprint=" + fp + " status=live -->\n\nbody", fp, "live"},
		{"earlier versions' closing lines", "text\n\n<!-- nhiscan:fingerprint=" + fp + " -->\n<!-- nhiscan:status=dead -->\n", fp, "dead"},
		{"earlier versions' closing lines, edited on the web (CRLF)", "text\r\n\r\n<!-- nhiscan:fingerprint=" + fp + " -->\r\n<!-- nhiscan:status=dead -->", fp, "dead"},
		{"not on the first line", "body\n<!-- nhiscan:fingerprint=" + fp + " status=live -->\n", "", ""},
		{"inside a line", "x <!-- nhiscan:fingerprint=" + fp + " status=live -->", "", ""},
		{"closing lines followed by text", "<!-- nhiscan:fingerprint=" + fp + " -->\n<!-- nhiscan:status=dead -->\nmore", "", ""},
		{"uppercase fingerprint", "<!-- nhiscan:fingerprint=" + strings.ToUpper(fp) + " status=live -->", "", ""},
		{"injection in the fingerprint", `<!-- nhiscan:fingerprint=x" OR key = "HR-42 status=live -->`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotFP, gotST, ok := parseMarker(tc.body)
			if gotFP != tc.fp || gotST != tc.st || ok != (tc.fp != "") {
				t.Fatalf("got %q %q %v", gotFP, gotST, ok)
			}
		})
	}
}

// unquoteJQL reads one JQL string literal as Jira does.
func unquoteJQL(t *testing.T, q string) string {
	t.Helper()
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		t.Fatalf("not a quoted literal: %s", q)
	}
	var b strings.Builder
	in := q[1 : len(q)-1]
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"':
			t.Fatalf("unescaped quote inside %s", q)
		case c == '\\':
			i++
			switch in[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				var r rune
				for _, h := range in[i+1 : i+5] {
					r = r*16 + rune(strings.IndexRune("0123456789abcdef", h))
				}
				b.WriteRune(r)
				i += 4
			default:
				b.WriteByte(in[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func FuzzJQLString(f *testing.F) {
	for _, s := range []string{`x" OR key = "HR-42`, `a\`, `\"`, "line\nbreak", "\x00", "nhiscan-" + testFP} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		q := jqlString(s)
		if got := unquoteJQL(t, q); got != s {
			t.Fatalf("jqlString(%q) = %s reads back as %q", s, q, got)
		}
	})
}

func TestValidFingerprint(t *testing.T) {
	for fp, ok := range map[string]bool{
		testFP:                    true,
		testFP + testFP:           true,
		strings.ToUpper(testFP):   false,
		testFP[:31]:               false,
		testFP + "0":              false,
		`x" OR key = "HR-42`:      false,
		"":                        false,
		testFP[:31] + "g":         false,
		testFP[:30] + "\n0":       false,
		testFP + testFP[:31] + "": false,
	} {
		if ValidFingerprint(fp) != ok {
			t.Errorf("ValidFingerprint(%q) = %v", fp, !ok)
		}
	}
}

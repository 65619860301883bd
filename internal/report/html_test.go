package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"net/url"
	"nhiscan/finding"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func writeCrawl(t *testing.T, c Crawl, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCrawlHTML(&buf, c, opts); err != nil {
		t.Fatalf("WriteCrawlHTML: %v", err)
	}
	return buf.Bytes()
}

func parseHTML(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// cspHashes are the style and script hashes of the policy, which change
// with the embedded assets: TestHTMLCSP checks them, the goldens do not.
var cspHashes = regexp.MustCompile(`'sha256-[A-Za-z0-9+/=]+'`)

// outline is the structure of a page for the golden files: elements with
// their id, class, data-* attributes and href, and text, one node a line.
// The embedded style sheet and script are named, not copied, so a change of
// style does not churn the goldens.
func outline(doc *html.Node) string {
	var b strings.Builder
	var rec func(n *html.Node, depth int)
	rec = func(n *html.Node, depth int) {
		ind := strings.Repeat("  ", max(depth, 0))
		switch n.Type {
		case html.ElementNode:
			b.WriteString(ind + n.Data)
			for _, a := range n.Attr {
				switch {
				case a.Key == "id", a.Key == "class", a.Key == "href", a.Key == "title", a.Key == "value",
					strings.HasPrefix(a.Key, "data-"), n.Data == "meta":
					fmt.Fprintf(&b, " %s=%q", a.Key, cspHashes.ReplaceAllString(a.Val, "'sha256-(hash)'"))
				}
			}
			b.WriteByte('\n')
			if n.Data == "style" || n.Data == "script" {
				b.WriteString(ind + "  (embedded " + n.Data + ")\n")
				return
			}
			if n.Data == "svg" {
				// chart geometry is tested on its own; keep the goldens to its parts
				counts := map[string]int{}
				walk(n, func(c *html.Node) {
					if c.Type == html.ElementNode && c != n {
						counts[c.Data]++
					}
				})
				fmt.Fprintf(&b, "%s  (svg: %d line, %d polyline, %d circle, %d rect, %d text)\n", ind,
					counts["line"], counts["polyline"], counts["circle"], counts["rect"], counts["text"])
				return
			}
		case html.TextNode:
			if s := strings.TrimSpace(n.Data); s != "" {
				fmt.Fprintf(&b, "%s%q\n", ind, s)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c, depth+1)
		}
	}
	rec(doc, -1)
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

func TestHTMLGolden(t *testing.T) {
	fx := newFixture()
	scan := fx.res
	scan.Findings = append([]finding.Finding(nil), scan.Findings...)
	scan.Findings[1].Verification = &finding.Verification{Status: finding.StatusLive,
		CheckedAt: time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC),
		Identity:  map[string]string{"login": "deploy-bot", "type": "User"},
		Privileges: finding.Privileges{Level: "admin", Scopes: []string{"repo", "admin:org"},
			Flags: []string{"org-admin"}}}
	scan.Findings[1].Remediation = &finding.Remediation{State: "ticketed", Actions: []string{"ticket"},
		TicketURL: "https://tracker.example/browse/SEC-1"}
	scan.Findings[0].Verification = &finding.Verification{Status: finding.StatusDead, Reason: "401"}
	crawl, _ := sampleCrawl(7, 5, 10, false)
	tests := []struct {
		name string
		page func() []byte
	}{
		{"html_scan.golden", func() []byte {
			return write(t, "html", scan, Options{Rules: fx.rules, RepoURL: "https://github.com/acme/app"})
		}},
		{"html_scan_empty.golden", func() []byte { return write(t, "html", finding.Result{}, Options{}) }},
		{"html_crawl.golden", func() []byte { return writeCrawl(t, crawl, Options{}) }},
		{"html_crawl_empty.golden", func() []byte { return writeCrawl(t, Crawl{Title: "empty-org"}, Options{}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, outline(parseHTML(t, tc.page())))
		})
	}
}

// The page never holds a raw secret nor the raw context around it, even
// with ShowSecrets.
func TestHTMLNoRawSecret(t *testing.T) {
	fx := newFixture()
	crawl, secrets := sampleCrawl(3, 6, 5, true)
	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprintf("scan/show=%v", show), func(t *testing.T) {
			page := string(write(t, "html", fx.res, Options{ShowSecrets: show, Rules: fx.rules}))
			for _, s := range fx.secrets {
				if len(s) >= 12 && strings.Contains(page, s[4:]) {
					t.Errorf("secret %.4s… in the page", s)
				}
			}
			if !strings.Contains(page, "ghp_*****") {
				t.Error("redacted form missing")
			}
		})
		t.Run(fmt.Sprintf("crawl/show=%v", show), func(t *testing.T) {
			page := string(writeCrawl(t, crawl, Options{ShowSecrets: show}))
			for _, s := range secrets {
				if strings.Contains(page, s[4:]) {
					t.Errorf("secret %.4s… in the page", s)
				}
			}
		})
	}
}

func TestHTMLCSP(t *testing.T) {
	crawl, _ := sampleCrawl(1, 3, 4, true)
	doc := parseHTML(t, writeCrawl(t, crawl, Options{}))
	var csp string
	var scripts, styles []string
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "meta":
			if v, _ := attr(n, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
				csp, _ = attr(n, "content")
			}
		case "script", "style":
			var body string
			if n.FirstChild != nil {
				body = n.FirstChild.Data
			}
			if n.Data == "script" {
				scripts = append(scripts, body)
			} else {
				styles = append(styles, body)
			}
		}
	})
	hash := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	}
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d scripts and %d style sheets, want 1 and 1", len(scripts), len(styles))
	}
	for _, want := range []string{"default-src 'none'", "script-src " + hash(scripts[0]), "style-src " + hash(styles[0]),
		"base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q allows too much", csp)
	}
}

// allowedTags is every element the template writes: anything else in a
// page came from data.
var allowedTags = map[string]bool{
	"html": true, "head": true, "body": true, "meta": true, "title": true, "style": true, "script": true,
	"header": true, "main": true, "footer": true, "section": true, "div": true, "span": true, "p": true,
	"h1": true, "h2": true, "button": true, "figure": true, "figcaption": true, "svg": true, "line": true,
	"polyline": true, "circle": true, "rect": true, "text": true, "table": true, "thead": true, "tbody": true,
	"tr": true, "th": true, "td": true, "a": true, "code": true, "ol": true, "ul": true, "li": true,
	"label": true, "select": true, "option": true, "input": true, "details": true, "summary": true,
}

// classValue is what the template's class attributes look like; data
// never picks a class.
var classValue = regexp.MustCompile(`^[a-z0-9 -]*$`)

// linkHosts are the hosts the hostile pages may link to: the repository
// and ticket hosts of the fixtures.
var linkHosts = map[string]bool{"github.com": true, "acme.atlassian.net": true}

// TestHTMLXSSCorpus renders hostile names in every place a repository or a
// provider controls and checks, on the parsed page, that none became
// markup, an event handler, a script or a link, and that each is shown as
// text.
func TestHTMLXSSCorpus(t *testing.T) {
	crawl, _ := sampleCrawl(5, 4, 3, true)
	scanRes := finding.Result{Stats: finding.Stats{Warnings: xssCorpus}}
	for i, s := range xssCorpus {
		scanRes.Findings = append(scanRes.Findings, finding.Finding{
			RuleID: "rule-" + s, Provider: s, Severity: s, Fingerprint: fmt.Sprintf("%032x", i),
			Redacted: s, Locations: []finding.Location{{Commit: s, Path: s, Line: i, Author: s}},
			Verification: &finding.Verification{Status: finding.Status(s), Reason: s, Identity: map[string]string{s: s}},
			Remediation:  &finding.Remediation{State: finding.RemediationState(s), TicketURL: hostileURLs[i%len(hostileURLs)], Detail: s},
		})
	}
	pages := []struct {
		name string
		page []byte
	}{
		{"crawl", writeCrawl(t, crawl, Options{})},
		{"scan", write(t, "html", scanRes, Options{RepoURL: "https://github.com/acme/app"})},
		{"scan/hostile-repo-url", write(t, "html", scanRes, Options{RepoURL: hostileURLs[0]})},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			doc := parseHTML(t, p.page)
			var text strings.Builder
			scripts := 0
			walk(doc, func(n *html.Node) {
				switch n.Type {
				case html.TextNode:
					text.WriteString(n.Data)
					text.WriteByte('\n')
					for _, r := range n.Data {
						if !unicode.IsPrint(r) && r != '\n' {
							t.Errorf("invisible rune %U in text %q", r, n.Data)
							break
						}
					}
				case html.ElementNode:
					if !allowedTags[n.Data] {
						t.Errorf("element <%s> in the page", n.Data)
					}
					if n.Data == "script" {
						scripts++
					}
					if n.Data == "meta" {
						if v, ok := attr(n, "http-equiv"); ok && !strings.EqualFold(v, "Content-Security-Policy") {
							t.Errorf("meta http-equiv=%q", v)
						}
					}
					for _, a := range n.Attr {
						k := strings.ToLower(a.Key)
						if strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" || k == "src" || k == "formaction" || k == "autofocus" {
							t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
						}
						if k == "class" && !classValue.MatchString(a.Val) {
							t.Errorf("<%s class=%q>: a class from data", n.Data, a.Val)
						}
						if k == "href" {
							u, err := url.Parse(a.Val)
							if err != nil || u.Scheme != "https" || !linkHosts[u.Host] {
								t.Errorf("<%s href=%q>: only https links to the repository or tracker host", n.Data, a.Val)
							}
						}
					}
				}
			})
			if scripts != 1 {
				t.Errorf("%d script elements, want the page's own only", scripts)
			}
			// the hostile strings are shown, as text (html.Parse turns NUL
			// and invalid UTF-8 into U+FFFD)
			shown := text.String()
			for _, s := range xssCorpus[:12] {
				if !strings.Contains(shown, s) {
					t.Errorf("%q is not shown as text", s)
				}
			}
		})
	}
}

func TestVisibleText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain/path.go", "plain/path.go"},
		{"日本語 ünïcødé.txt", "日本語 ünïcødé.txt"},
		{"\u202egnp.exe", `\u202Egnp.exe`},
		{"a\u200bb\ufeff", `a\u200Bb\uFEFF`},
		{"line\nbreak\ttab\r", `line\u000Abreak\u0009tab\u000D`},
		{"sep\u2028\u2029", `sep\u2028\u2029`},
		{"nbsp\u00a0x", `nbsp\u00A0x`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"nul\x00", `nul\u0000`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := visibleText(tc.in); got != tc.want {
				t.Errorf("visibleText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHTMLCounts(t *testing.T) {
	crawl, _ := sampleCrawl(11, 8, 6, false)
	doc := parseHTML(t, writeCrawl(t, crawl, Options{}))
	got := map[string]string{}
	rows := 0
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if id, _ := attr(n, "id"); strings.HasPrefix(id, "n-") && n.FirstChild != nil {
			got[id] = n.FirstChild.Data
		}
		if _, ok := attr(n, "data-status"); ok && n.Data == "tr" {
			rows++
		}
	})
	want := map[string]int{}
	for _, f := range crawl.Findings {
		want["n-total"]++
		switch f.Status() {
		case "":
			want["n-unverified"]++
		default:
			want["n-"+string(f.Status())]++
		}
		if f.New {
			want["n-new"]++
		}
		if f.InHead {
			want["n-inhead"]++
		}
		if r := f.Remediation; r != nil {
			switch r.State {
			case "revoked", "rotated":
				want["n-remediated"]++
			case "ticketed", "planned":
				want["n-"+string(r.State)]++
			}
		}
	}
	for _, id := range []string{"n-total", "n-live", "n-dead", "n-unknown", "n-unverified", "n-new", "n-inhead", "n-remediated", "n-ticketed", "n-planned"} {
		if got[id] != fmt.Sprint(want[id]) {
			t.Errorf("%s = %q, want %d", id, got[id], want[id])
		}
	}
	if rows != len(crawl.Findings) {
		t.Errorf("%d rows, want %d", rows, len(crawl.Findings))
	}
	if got["n-mttd"] == "" {
		t.Error("no mean time to dead")
	}
}

func TestHTMLLocationLinks(t *testing.T) {
	tests := []struct {
		name, repoURL string
		loc           finding.Location
		want          string
	}{
		{"line", "https://github.com/acme/app", finding.Location{Commit: "abc", Path: "a b/<x>.go", Line: 7},
			"https://github.com/acme/app/blob/abc/a%20b/%3Cx%3E.go#L7"},
		{"no line", "https://github.com/acme/app.git", finding.Location{Commit: "abc", Path: "f"},
			"https://github.com/acme/app/blob/abc/f"},
		{"no commit", "https://github.com/acme/app", finding.Location{Path: "f", Line: 1}, ""},
		{"javascript repo", "javascript:alert(1)//", finding.Location{Commit: "abc", Path: "f"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := finding.Result{Findings: []finding.Finding{{RuleID: "r", Fingerprint: "f", Locations: []finding.Location{tc.loc}}}}
			doc := parseHTML(t, write(t, "html", res, Options{RepoURL: tc.repoURL}))
			var got string
			walk(doc, func(n *html.Node) {
				if c, _ := attr(n, "class"); n.Data == "a" && c == "loc" {
					got, _ = attr(n, "href")
				}
			})
			if got != tc.want {
				t.Errorf("link = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHTMLTrend(t *testing.T) {
	tests := []struct {
		name       string
		nights     []Night
		dots, bars int
		emptyTTD   bool
	}{
		{"none", nil, 0, 0, true},
		{"one", []Night{{Date: time.Unix(0, 0), Open: 3, OpenLive: 1}}, 2, 0, true},
		{"three", []Night{{Open: 5, OpenLive: 4}, {Open: 6, OpenLive: 3, MeanTimeToDead: 72 * time.Hour},
			{Open: 0, OpenLive: 0, MeanTimeToDead: 24 * time.Hour}}, 6, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := buildTrend(tc.nights)
			dots := 0
			for _, l := range tr.Live.Lines {
				dots += len(l.Dots)
				for _, d := range l.Dots {
					if d.Y < tr.Live.Top || d.Y > tr.Live.Bot || d.X < tr.Live.Left || d.X > tr.Live.Right {
						t.Errorf("dot %v outside the plot", d)
					}
				}
			}
			if dots != tc.dots || len(tr.TimeToDead.Bars) != tc.bars || tr.TimeToDead.Empty != tc.emptyTTD {
				t.Errorf("dots %d bars %d empty %v, want %d %d %v", dots, len(tr.TimeToDead.Bars), tr.TimeToDead.Empty,
					tc.dots, tc.bars, tc.emptyTTD)
			}
			for _, b := range tr.TimeToDead.Bars {
				if b.H <= 0 || b.Y+b.H > tr.TimeToDead.Bot+0.05 {
					t.Errorf("bar %v", b)
				}
			}
		})
	}
}

func TestNiceMax(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{0, 4}, {1, 4}, {3, 4}, {4.5, 6}, {7, 8}, {9, 12}, {11, 20}, {24, 40}, {50, 60}, {180, 200}, {1300, 2000}} {
		if got := niceMax(tc.in); got != tc.want {
			t.Errorf("niceMax(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// BenchmarkWriteCrawlHTML measures a large org: 400 repositories, 1,200
// secrets, 90 nights.
func BenchmarkWriteCrawlHTML(b *testing.B) {
	c, _ := sampleCrawl(1, 400, 90, false)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteCrawlHTML(&buf, c, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB/page")
}

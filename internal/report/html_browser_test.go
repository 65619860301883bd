package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browserEnv makes the browser test mandatory: .ci/run sets it after
// installing Debian's chromium, so there a missing browser fails the test
// instead of skipping it.
const browserEnv = "NHISCAN_BROWSER_TESTS"

// chromium finds the browser: $NHISCAN_CHROMIUM, else chromium on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NHISCAN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(browserEnv) != "" {
		t.Fatalf("%s is set but chromium is not installed (apt-get install -y chromium)", browserEnv)
	}
	t.Skipf("chromium not installed; set %s=1 to make this test mandatory", browserEnv)
	return ""
}

// artifactDir is where the screenshots go: $NHISCAN_ARTIFACTS, else
// bench/out (gitignored) at the top of the repository.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NHISCAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cspWatch records, from before the page's own script runs, every
// Content-Security-Policy violation and any attempt of injected markup to
// run code (the corpus's payloads set window.__xss or the title).
const cspWatch = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});`

// TestHTMLInBrowser opens generated reports in headless Chromium (no
// network: a file URL and Chromium's background traffic off) and checks
// that the table renders, that the filters narrow it, that sorting works,
// that no hostile name ran as script, that the page fetched nothing and
// broke no CSP rule; it saves screenshots as CI artifacts.
func TestHTMLInBrowser(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	artifacts := artifactDir(t)

	clean, _ := sampleCrawl(42, 12, 30, false)
	hostile, _ := sampleCrawl(43, 6, 8, true)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1440, 1800),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()

	pages := []struct {
		name  string
		crawl Crawl
		check func(t *testing.T, ctx context.Context, c Crawl)
	}{
		{"crawl", clean, checkFilters},
		{"hostile", hostile, checkNoInjection},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCrawlHTML(&buf, p.crawl, Options{}); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, p.name+".html")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			tctx, tcancel := chromedp.NewContext(actx)
			defer tcancel()

			var mu sync.Mutex
			var requests []string
			if err := chromedp.Listen(tctx, func(ev any) {
				if e, ok := ev.(*network.EventRequestWillBeSent); ok {
					mu.Lock()
					requests = append(requests, e.Request.URL)
					mu.Unlock()
				}
			}); err != nil {
				t.Fatal(err)
			}
			setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
					page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch})
				return err
			})
			u := (&url.URL{Scheme: "file", Path: file}).String()
			// the page's script marks <html data-ready="1"> when it has run
			lctx, lcancel := context.WithTimeout(tctx, 30*time.Second)
			err := chromedp.Do(lctx, setup, chromedp.Navigate(u), chromedp.WaitReady(`html[data-ready="1"]`))
			lcancel()
			if err != nil {
				t.Fatalf("load %s (did the page's script run?): %v", u, err)
			}

			// the picture of the page as it opens
			base := "report"
			if p.name != "crawl" {
				base += "-" + p.name
			}
			base = filepath.Join(artifacts, base)
			screen, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			full, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("full-page screenshot: %v", err)
			}
			for name, data := range map[string][]byte{".png": screen, "-full.png": full, ".html": buf.Bytes()} {
				if err := os.WriteFile(base+name, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("screenshots: %s.png (first screen), %s-full.png (whole page), page %s.html", base, base, base)

			rows := evalInt(t, tctx, `document.querySelectorAll('#findings tbody tr[data-status]').length`)
			if rows != len(p.crawl.Findings) {
				t.Fatalf("table renders %d rows, want %d", rows, len(p.crawl.Findings))
			}
			if got := visibleRows(t, tctx); got != rows {
				t.Errorf("%d rows visible before filtering, want %d", got, rows)
			}
			p.check(t, tctx, p.crawl)

			if v := evalString(t, tctx, `JSON.stringify(window.__csp)`); v != "[]" {
				t.Errorf("CSP violations: %s", v)
			}
			mu.Lock()
			for _, r := range requests {
				if r != u && r != "about:blank" {
					t.Errorf("the page fetched %s", r)
				}
			}
			mu.Unlock()

		})
	}
}

func checkFilters(t *testing.T, ctx context.Context, c Crawl) {
	live, criticalLive := 0, 0
	for _, f := range c.Findings {
		if f.Status() == "live" {
			live++
			if f.Severity == "critical" {
				criticalLive++
			}
		}
	}
	// a click on the headline card "live" filters the table to live secrets
	if err := chromedp.Do(ctx, chromedp.Click(`button.c-live`)); err != nil {
		t.Fatal(err)
	}
	if got := visibleRows(t, ctx); got != live || live == 0 || live == len(c.Findings) {
		t.Errorf("status filter: %d rows visible, want %d of %d", got, live, len(c.Findings))
	}
	if got := evalString(t, ctx, `document.getElementById('shown').textContent`); got != fmt.Sprintf("%d of %d shown", live, len(c.Findings)) {
		t.Errorf("counter says %q", got)
	}
	// a second filter narrows further
	if err := chromedp.Do(ctx, chromedp.SetValue(`#f-severity`, "critical"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('f-severity').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	if got := visibleRows(t, ctx); got != criticalLive || got >= live {
		t.Errorf("status+severity filter: %d rows visible, want %d (< %d)", got, criticalLive, live)
	}
	// repository filter, chosen by its label
	repo := c.Repos[0].Name
	inRepo := 0
	for _, f := range c.Findings {
		for _, r := range f.Repos {
			if r == repo {
				inRepo++
				break
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#f-reset`),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
  var s = document.getElementById('f-repo');
  for (var i = 0; i < s.options.length; i++) { if (s.options[i].textContent === %q) { s.selectedIndex = i; } }
  s.dispatchEvent(new Event('change'));
})()`, repo))); err != nil {
		t.Fatal(err)
	}
	if got := visibleRows(t, ctx); got != inRepo || inRepo == 0 {
		t.Errorf("repository filter %s: %d rows visible, want %d", repo, got, inRepo)
	}
	// typing in the search box narrows by text
	if err := chromedp.Do(ctx, chromedp.Click(`#f-reset`), chromedp.SendKeys(`#f-text`, "org-admin")); err != nil {
		t.Fatal(err)
	}
	if got := visibleRows(t, ctx); got == 0 || got == len(c.Findings) {
		t.Errorf("search: %d rows visible", got)
	}
	// a link into the report with filters in its fragment opens filtered
	dead, criticalDead := 0, 0
	for _, f := range c.Findings {
		if f.Status() == "dead" {
			dead++
			if f.Severity == "critical" {
				criticalDead++
			}
		}
	}
	page := evalString(t, ctx, `location.href.split('#')[0]`)
	for _, tc := range []struct {
		hash string
		want int
	}{{"status=dead", dead}, {"status=dead&severity=critical", criticalDead}, {"bogus=%E0%A4%A", len(c.Findings)}} {
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(page+"#"+tc.hash),
			chromedp.WaitReady(`html[data-ready="1"]`)); err != nil {
			t.Fatal(err)
		}
		if got := visibleRows(t, ctx); got != tc.want {
			t.Errorf("#%s: %d rows visible, want %d", tc.hash, got, tc.want)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(page),
		chromedp.WaitReady(`html[data-ready="1"]`)); err != nil {
		t.Fatal(err)
	}
	// sorting by first seen orders the rows by date, ascending then descending
	if err := chromedp.Do(ctx, chromedp.Click(`#f-reset`)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ascending", "descending"} {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function () {
  var b = document.querySelectorAll('#findings thead button.sort');
  for (var i = 0; i < b.length; i++) { if (b[i].textContent === 'First seen') { b[i].click(); } }
})()`)); err != nil {
			t.Fatal(err)
		}
		ok := evalString(t, ctx, `(function () {
  var th = Array.prototype.filter.call(document.querySelectorAll('#findings thead th'), function (h) { return h.textContent === 'First seen'; })[0];
  var col = th.cellIndex, dir = th.getAttribute('aria-sort');
  var v = Array.prototype.map.call(document.querySelectorAll('#findings tbody tr'), function (r) { return Number(r.cells[col].getAttribute('data-v')); });
  for (var i = 1; i < v.length; i++) { if (dir === 'ascending' ? v[i] < v[i-1] : v[i] > v[i-1]) { return 'unsorted ' + dir; } }
  return dir;
})()`)
		if ok != want {
			t.Errorf("sort by first seen: %s, want %s", ok, want)
		}
	}
}

func checkNoInjection(t *testing.T, ctx context.Context, c Crawl) {
	if v := evalString(t, ctx, `String(window.__xss)`); v != "undefined" {
		t.Errorf("injected script ran: window.__xss = %s", v)
	}
	want := "nhiscan crawl report: " + c.Title
	if got := evalString(t, ctx, `document.title`); got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	checks := map[string]string{
		"scripts":  `document.scripts.length`,
		"injected": `document.querySelectorAll('img, iframe, object, embed, base, link, form, svg script, b, i, u').length`,
		"meta":     `document.querySelectorAll('meta[http-equiv]').length`,
	}
	wantN := map[string]int{"scripts": 1, "injected": 0, "meta": 1}
	for name, js := range checks {
		if got := evalInt(t, ctx, js); got != wantN[name] {
			t.Errorf("%s: %d, want %d", name, got, wantN[name])
		}
	}
	// the hostile file name is on the page, as text
	shown := evalString(t, ctx, `Array.prototype.map.call(document.querySelectorAll('.loc'), function (e) { return e.textContent; }).join('\n')`)
	if !strings.Contains(shown, xssCorpus[0]) {
		t.Errorf("hostile file name %q is not shown as text", xssCorpus[0])
	}
	for _, href := range strings.Split(evalString(t, ctx, `Array.prototype.map.call(document.links, function (a) { return a.href; }).join('\n')`), "\n") {
		if href != "" && !strings.HasPrefix(href, "https://") {
			t.Errorf("link %q", href)
		}
	}
	// the hostile repository can be picked in the filter and narrows the table
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
  var s = document.getElementById('f-repo');
  for (var i = 0; i < s.options.length; i++) { if (s.options[i].textContent === %q) { s.selectedIndex = i; } }
  s.dispatchEvent(new Event('change'));
})()`, "acme/"+xssCorpus[0]))); err != nil {
		t.Fatal(err)
	}
	if got := visibleRows(t, ctx); got != 1 {
		t.Errorf("hostile repository filter: %d rows visible, want 1", got)
	}
}

func visibleRows(t *testing.T, ctx context.Context) int {
	t.Helper()
	return evalInt(t, ctx, `Array.prototype.filter.call(document.querySelectorAll('#findings tbody tr[data-status]'), function (r) { return r.offsetParent !== null && !r.hidden; }).length`)
}

func evalInt(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("chromium exited: %v", err)
		}
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

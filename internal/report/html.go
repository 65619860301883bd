package report

// The HTML report: one self-contained page (inline CSS and JS, no network
// fetch, a strict Content-Security-Policy) that a security lead opens from a
// CI artifact or an e-mail. It is rendered with html/template, so every value
// taken from a scanned repository — file names, author names, commit
// messages, identities, repository names — is escaped for the context it
// lands in; no value from a repository is ever marked as safe HTML. The
// page's script reads the table through attributes and textContent and never
// writes markup. The page never holds a raw secret, even with
// Options.ShowSecrets: only the redacted form.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"nhiscan/finding"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Crawl is the input of a crawl report: the open findings of an org-wide
// crawl, the repositories it covered, and the nights stored so far. The store
// fills it; WriteCrawlHTML renders it.
type Crawl struct {
	// Title names what was crawled, e.g. "acme" for `scan org acme`.
	Title string
	// GeneratedAt is when the report was made (shown as is; zero hides it).
	GeneratedAt time.Time
	// Findings are the secrets the store knows, one per fingerprint, each
	// with the repository of every location.
	Findings []CrawlFinding
	// Repos are the repositories of the crawl, also those without findings.
	// Repositories named only by findings are added to the breakdown.
	Repos []RepoSummary
	// Nights is the trend, one entry per stored run, oldest first.
	Nights []Night
}

// CrawlFinding is one secret of a crawl. Finding.Secret and Finding.Context
// are never read.
type CrawlFinding struct {
	finding.Finding
	// Repos holds the repository ("owner/name") of each of
	// Finding.Locations, same index; a missing entry means unknown.
	Repos []string
	// FirstSeen is when a crawl first saw the secret; zero: the date of its
	// first location. LastSeen is when a crawl last saw it (zero: unknown).
	FirstSeen, LastSeen time.Time
	// New is set when the secret was first seen in the latest run.
	New bool
}

// RepoSummary is one repository of a crawl.
type RepoSummary struct {
	Name      string    // "owner/name"
	URL       string    // web URL, e.g. https://github.com/owner/name; links locations when http(s)
	ScannedAt time.Time // last successful scan; zero: never
	Error     string    // the last run's error for this repository, secret-free; "" when it went well
	Archived  bool
}

// Night is one stored run of a nightly crawl.
type Night struct {
	Date     time.Time
	Open     int // secrets known and not dead at the end of the run
	OpenLive int // of them, verified live
	New      int // first seen in this run
	// MeanTimeToDead is the mean time from first seen to found dead, over the
	// secrets found dead up to this run; zero when none has died.
	MeanTimeToDead time.Duration
}

// HTMLNoSecrets is the promise the CLI repeats in --help: the HTML report
// never holds a raw secret, whatever --show-secrets says.
const HTMLNoSecrets = "html never holds a raw secret, even with --show-secrets"

// maxHTMLLocations caps the locations listed in full per finding; the rest
// are counted.
const maxHTMLLocations = 20

// shownHTMLLocations are listed in the row; the others up to
// maxHTMLLocations sit behind a disclosure.
const shownHTMLLocations = 2

//go:embed assets/report.html.tmpl
var htmlTemplateText string

//go:embed assets/report.css
var htmlCSS string

//go:embed assets/report.js
var htmlJS string

// The policy is a constant of the build, set into the template text once.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(strings.Replace(htmlTemplateText, "__CSP__", htmlCSP, 1)))

// htmlCSP is the page's Content-Security-Policy: nothing may load, and only
// the page's own style sheet and script (by hash) may run.
var htmlCSP = "default-src 'none'; style-src " + cspHash(htmlCSS) + "; script-src " + cspHash(htmlJS) +
	"; img-src data:; base-uri 'none'; form-action 'none'"

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// writeHTML is Write's "html" format: a scan's findings, no crawl sections.
func writeHTML(w io.Writer, res finding.Result, opts Options) error {
	repo := repoName(opts.RepoURL)
	fs := make([]CrawlFinding, len(res.Findings))
	for i, f := range res.Findings {
		fs[i] = CrawlFinding{Finding: f}
		if repo != "" {
			fs[i].Repos = make([]string, len(f.Locations))
			for j := range fs[i].Repos {
				fs[i].Repos[j] = repo
			}
		}
	}
	var repos []RepoSummary
	if repo != "" {
		repos = []RepoSummary{{Name: repo, URL: opts.RepoURL}}
	}
	p := buildPage(fs, repos, opts)
	p.Title = "nhiscan report"
	if repo == "" {
		repo = opts.Repository
	}
	if repo != "" {
		p.Title += ": " + visibleText(repo)
	}
	if !opts.GeneratedAt.IsZero() {
		p.Generated = opts.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if opts.ToolVersion != "" {
		p.Generated = strings.TrimSpace(p.Generated + " by nhiscan " + visibleText(opts.ToolVersion))
	}
	st := res.Stats
	st.Warnings = make([]string, len(res.Stats.Warnings))
	for i, w := range res.Stats.Warnings {
		st.Warnings[i] = visibleText(w)
	}
	p.Stats = &st
	return renderHTML(w, p)
}

// WriteCrawlHTML writes the HTML report of a crawl: headline counts, the
// findings table, per-repository and per-provider breakdowns and the trend
// over c.Nights. It never writes a raw secret, whatever opts.ShowSecrets says.
func WriteCrawlHTML(w io.Writer, c Crawl, opts Options) error {
	fs := make([]CrawlFinding, len(c.Findings))
	for i, cf := range c.Findings {
		cf.Locations, cf.Repos = sortRepoLocations(cf.Locations, cf.Repos)
		if cf.Fingerprint == "" && cf.Secret != "" {
			cf.Fingerprint = finding.Fingerprint(cf.RuleID, cf.Secret)
		}
		fs[i] = cf
	}
	sort.SliceStable(fs, func(i, j int) bool {
		_, si := htmlSeverity(fs[i].Severity)
		_, sj := htmlSeverity(fs[j].Severity)
		if si != sj {
			return si < sj
		}
		if fs[i].RuleID != fs[j].RuleID {
			return fs[i].RuleID < fs[j].RuleID
		}
		return fs[i].Fingerprint < fs[j].Fingerprint
	})
	p := buildPage(fs, c.Repos, opts)
	p.Crawl = true
	p.Title = "nhiscan crawl report"
	if c.Title != "" {
		p.Title += ": " + visibleText(c.Title)
	}
	if !c.GeneratedAt.IsZero() {
		p.Generated = c.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	p.Trend = buildTrend(c.Nights)
	if n := len(c.Nights); n > 0 && c.Nights[n-1].MeanTimeToDead > 0 {
		p.Counts.MeanTimeToDead = humanDuration(c.Nights[n-1].MeanTimeToDead)
	}
	return renderHTML(w, p)
}

// sortRepoLocations returns copies of locs and repos (the repository of
// each location, same index) in the order of finding.Finding.SortLocations,
// then repository, so that the page does not depend on the store's order.
func sortRepoLocations(locs []finding.Location, repos []string) ([]finding.Location, []string) {
	type pair struct {
		l    finding.Location
		repo string
	}
	ps := make([]pair, len(locs))
	for i, l := range locs {
		ps[i].l = l
		if i < len(repos) {
			ps[i].repo = repos[i]
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].l, ps[j].l
		switch {
		case !a.Date.Equal(b.Date):
			return a.Date.Before(b.Date)
		case a.Path != b.Path:
			return a.Path < b.Path
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Commit != b.Commit:
			return a.Commit < b.Commit
		}
		return ps[i].repo < ps[j].repo
	})
	outL := make([]finding.Location, len(ps))
	outR := make([]string, len(ps))
	for i, p := range ps {
		outL[i], outR[i] = p.l, p.repo
	}
	return outL, outR
}

func renderHTML(w io.Writer, p *htmlPage) error {
	p.CSS = template.CSS(htmlCSS) // the embedded style sheet, never repository data
	p.JS = template.JS(htmlJS)    // the embedded script, never repository data
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title, Generated string
	CSS              template.CSS
	JS               template.JS
	Crawl            bool
	Counts           htmlCounts
	Findings         []htmlFinding
	Providers        []htmlOption // filter options: Value is the row key
	Repos            []htmlOption
	Severities       []string
	ShowRepo         bool
	RepoRows         []htmlRepoRow
	ProviderRows     []htmlProviderRow
	Trend            *htmlTrend
	Stats            *finding.Stats
}

type htmlCounts struct {
	Total, Live, Dead, Unknown, NotVerified int
	New, Remediated, Ticketed, Planned      int
	Failed, InHead                          int
	MeanTimeToDead                          string
}

type htmlOption struct{ Value, Label string }

type htmlFinding struct {
	Fingerprint, RuleID, Description string
	Provider, ProviderKey            string
	Severity                         string // critical, high, medium, low or "unknown"
	SeverityRank                     int
	Status                           string // live, dead, unknown, unverified
	StatusRank                       int
	Reason                           string
	Checked                          string
	Secret                           string // the redacted form, never the secret
	Identity                         []string
	Privilege                        string
	PrivilegeClass                   string // admin, write, read or other
	Scopes                           []string
	Flags                            []string
	FirstSeen                        string
	FirstSeenUnix                    int64
	InHead, New                      bool
	RepoKeys                         string // space-separated htmlOption values
	RepoNames                        []string
	Locations                        []htmlLocation // shown
	Hidden                           []htmlLocation // behind a disclosure
	MoreLocations                    int            // past maxHTMLLocations, only counted
	Remediation                      *htmlRemediation
}

type htmlLocation struct {
	Repo, Commit, ShortCommit, Path string
	Line                            int
	URL                             string
	Author, Date                    string
	Unreachable                     bool
}

type htmlRemediation struct {
	State, Actions, Detail, TicketURL, At string
	Group                                 string // planned, remediated, ticketed, failed or other
}

func remediationGroup(state string) string {
	switch state {
	case "revoked", "rotated":
		return "remediated"
	case "planned", "ticketed", "failed":
		return state
	}
	return "other"
}

type htmlRepoRow struct {
	Name, URL, ScannedAt, Error        string
	Archived                           bool
	Secrets, Live, InHead, New, Active int
}

type htmlProviderRow struct {
	Provider                                  string
	Total, Live, Dead, Unknown, NotVerified   int
	LiveW, DeadW, UnknownW, NotVerifiedW, Sum float64 // bar widths, out of 120
	LiveX, DeadX, UnknownX, NotVerifiedX      float64
}

func htmlStatus(f *finding.Finding) (string, int) {
	switch f.Status() {
	case finding.StatusLive:
		return "live", 0
	case finding.StatusUnknown:
		return "unknown", 1
	case finding.StatusDead:
		return "dead", 3
	}
	return "unverified", 2
}

func htmlSeverity(s string) (string, int) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "critical":
		return s, 0
	case "high":
		return s, 1
	case "medium":
		return s, 2
	case "low":
		return s, 3
	}
	return "unknown", 4
}

// webURL returns u when it is an absolute http(s) URL with a host, "" otherwise.
func webURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return p.String()
}

// repoName turns a repository URL into "owner/name" (or the host path), "" when unknown.
func repoName(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Host == "" {
		return ""
	}
	return strings.TrimSuffix(strings.Trim(p.Path, "/"), ".git")
}

func buildPage(fs []CrawlFinding, repos []RepoSummary, opts Options) *htmlPage {
	p := &htmlPage{}
	repoURL := map[string]string{}
	repoIdx := map[string]int{}
	var repoNames []string
	addRepo := func(name string) {
		if _, ok := repoIdx[name]; !ok && name != "" {
			repoIdx[name] = -1
			repoNames = append(repoNames, name)
		}
	}
	for _, r := range repos {
		addRepo(r.Name)
		if u := webURL(r.URL); u != "" {
			repoURL[r.Name] = u
		}
	}
	for _, f := range fs {
		for _, r := range f.Repos {
			addRepo(r)
		}
	}
	sort.Strings(repoNames)
	for i, n := range repoNames {
		repoIdx[n] = i
		p.Repos = append(p.Repos, htmlOption{Value: "r" + strconv.Itoa(i), Label: visibleText(n)})
	}
	p.ShowRepo = len(repoNames) > 0

	provIdx := map[string]int{}
	var provNames []string
	sevSeen := map[string]bool{}
	for i := range fs {
		ri := ruleInfo(&fs[i].Finding, opts)
		prov := ri.Provider
		if prov == "" {
			prov = "(none)"
		}
		if _, ok := provIdx[prov]; !ok {
			provIdx[prov] = 0
			provNames = append(provNames, prov)
		}
		s, _ := htmlSeverity(ri.Severity)
		sevSeen[s] = true
	}
	sort.Strings(provNames)
	provRows := make([]htmlProviderRow, len(provNames))
	for i, n := range provNames {
		provIdx[n] = i
		p.Providers = append(p.Providers, htmlOption{Value: "p" + strconv.Itoa(i), Label: visibleText(n)})
		provRows[i].Provider = visibleText(n)
	}
	for _, s := range []string{"critical", "high", "medium", "low", "unknown"} {
		if sevSeen[s] {
			p.Severities = append(p.Severities, s)
		}
	}

	repoRows := make([]htmlRepoRow, len(repoNames))
	for i, n := range repoNames {
		repoRows[i] = htmlRepoRow{Name: visibleText(n), URL: repoURL[n]}
	}
	for _, r := range repos {
		if i, ok := repoIdx[r.Name]; ok && i >= 0 {
			if !r.ScannedAt.IsZero() {
				repoRows[i].ScannedAt = r.ScannedAt.UTC().Format("2006-01-02 15:04")
			}
			repoRows[i].Error = visibleText(r.Error)
			repoRows[i].Archived = r.Archived
		}
	}

	for i := range fs {
		cf := &fs[i]
		f := &cf.Finding
		ri := ruleInfo(f, opts)
		prov := ri.Provider
		if prov == "" {
			prov = "(none)"
		}
		hf := htmlFinding{
			Fingerprint: visibleText(f.Fingerprint),
			RuleID:      visibleText(f.RuleID),
			Description: visibleText(ri.Description),
			Provider:    visibleText(prov),
			ProviderKey: "p" + strconv.Itoa(provIdx[prov]),
			Secret:      visibleText(redacted(f)), // never the raw secret, whatever opts.ShowSecrets says
			InHead:      f.InHead,
			New:         cf.New,
		}
		hf.Severity, hf.SeverityRank = htmlSeverity(ri.Severity)
		hf.Status, hf.StatusRank = htmlStatus(f)
		if v := f.Verification; v != nil {
			hf.Reason = visibleText(v.Reason)
			if !v.CheckedAt.IsZero() {
				hf.Checked = v.CheckedAt.UTC().Format("2006-01-02 15:04")
			}
			keys := make([]string, 0, len(v.Identity))
			for k := range v.Identity {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				hf.Identity = append(hf.Identity, visibleText(k)+": "+visibleText(v.Identity[k]))
			}
			hf.Privilege = visibleText(v.Privileges.Level)
			switch hf.PrivilegeClass = strings.ToLower(v.Privileges.Level); hf.PrivilegeClass {
			case "admin", "write", "read":
			default:
				hf.PrivilegeClass = "other"
			}
			hf.Scopes = visibleTexts(v.Privileges.Scopes)
			hf.Flags = visibleTexts(v.Privileges.Flags)
		}
		first := cf.FirstSeen
		if first.IsZero() {
			first = f.FirstLocation().Date
		}
		if !first.IsZero() {
			hf.FirstSeen = first.UTC().Format("2006-01-02")
			hf.FirstSeenUnix = first.Unix()
		}
		seenRepo := map[string]bool{}
		var keys []string
		for j, l := range f.Locations {
			repo := ""
			if j < len(cf.Repos) {
				repo = cf.Repos[j]
			}
			if repo != "" && !seenRepo[repo] {
				seenRepo[repo] = true
				hf.RepoNames = append(hf.RepoNames, visibleText(repo))
				keys = append(keys, "r"+strconv.Itoa(repoIdx[repo]))
			}
			if j >= maxHTMLLocations {
				hf.MoreLocations++
				continue
			}
			hl := htmlLocation{Repo: visibleText(repo), Commit: visibleText(l.Commit), Path: visibleText(l.Path), Line: l.Line,
				Author: visibleText(l.Author), Unreachable: l.Unreachable}
			short := []rune(l.Commit)
			if len(short) > 10 {
				short = short[:10]
			}
			hl.ShortCommit = visibleText(string(short))
			if !l.Date.IsZero() {
				hl.Date = l.Date.UTC().Format("2006-01-02")
			}
			base := opts.RepoURL
			if repo != "" {
				base = repoURL[repo]
			}
			hl.URL = locationURL(Options{RepoURL: base}, l)
			if len(hf.Locations) < shownHTMLLocations {
				hf.Locations = append(hf.Locations, hl)
			} else {
				hf.Hidden = append(hf.Hidden, hl)
			}
		}
		hf.RepoKeys = strings.Join(keys, " ")
		if r := f.Remediation; r != nil {
			hr := &htmlRemediation{State: visibleText(string(r.State)), Actions: visibleText(strings.Join(r.Actions, ", ")),
				Detail: visibleText(r.Detail), TicketURL: webURL(r.TicketURL), Group: remediationGroup(string(r.State))}
			if !r.At.IsZero() {
				hr.At = r.At.UTC().Format("2006-01-02")
			}
			hf.Remediation = hr
			switch hr.Group {
			case "remediated":
				p.Counts.Remediated++
			case "ticketed":
				p.Counts.Ticketed++
			case "planned":
				p.Counts.Planned++
			case "failed":
				p.Counts.Failed++
			}
		}
		p.Findings = append(p.Findings, hf)

		c := &p.Counts
		c.Total++
		pr := &provRows[provIdx[prov]]
		pr.Total++
		switch hf.Status {
		case "live":
			c.Live++
			pr.Live++
		case "dead":
			c.Dead++
			pr.Dead++
		case "unknown":
			c.Unknown++
			pr.Unknown++
		default:
			c.NotVerified++
			pr.NotVerified++
		}
		if f.InHead {
			c.InHead++
		}
		if cf.New {
			c.New++
		}
		for r := range seenRepo {
			rr := &repoRows[repoIdx[r]]
			rr.Secrets++
			if hf.Status != "dead" {
				rr.Active++
			}
			if hf.Status == "live" {
				rr.Live++
			}
			if f.InHead {
				rr.InHead++
			}
			if cf.New {
				rr.New++
			}
		}
	}
	// live first, then what is undecided, unverified and dead; by severity within
	sort.SliceStable(p.Findings, func(i, j int) bool {
		a, b := &p.Findings[i], &p.Findings[j]
		if a.StatusRank != b.StatusRank {
			return a.StatusRank < b.StatusRank
		}
		return a.SeverityRank < b.SeverityRank
	})
	for i := range provRows {
		r := &provRows[i]
		if r.Total == 0 {
			continue
		}
		scale := 120 / float64(r.Total)
		r.LiveW, r.UnknownW, r.NotVerifiedW, r.DeadW = float64(r.Live)*scale, float64(r.Unknown)*scale,
			float64(r.NotVerified)*scale, float64(r.Dead)*scale
		r.UnknownX = r.LiveW
		r.NotVerifiedX = r.UnknownX + r.UnknownW
		r.DeadX = r.NotVerifiedX + r.NotVerifiedW
	}
	sort.SliceStable(provRows, func(i, j int) bool {
		if provRows[i].Live != provRows[j].Live {
			return provRows[i].Live > provRows[j].Live
		}
		return provRows[i].Total > provRows[j].Total
	})
	sort.SliceStable(repoRows, func(i, j int) bool {
		if repoRows[i].Live != repoRows[j].Live {
			return repoRows[i].Live > repoRows[j].Live
		}
		return repoRows[i].Secrets > repoRows[j].Secrets
	})
	p.ProviderRows = provRows
	p.RepoRows = repoRows
	return p
}

// visibleText makes what a page shows of a string from a repository or a
// provider unable to fool the eye: every rune that is not printable —
// control characters, bidirectional overrides and isolates, zero-width and
// other format characters, line separators, odd spaces — is shown as a
// \u escape, and each byte of invalid UTF-8 as \x. html/template then
// escapes the result for its context.
func visibleText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func visibleTexts(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = visibleText(s)
	}
	return out
}

// humanDuration writes a duration in days (or hours under two days).
func humanDuration(d time.Duration) string {
	if d < 48*time.Hour {
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
}

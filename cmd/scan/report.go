package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"nhiscan/finding"
	"nhiscan/internal/report"
	"nhiscan/internal/store"
	"nhiscan/internal/termsafe"
)

func newReportCmd() *cobra.Command {
	var (
		statePath, out, scope, title string
		format, from                 string
		nights                       int
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the HTML report of the crawls recorded in a state store",
		Long: `Write one self-contained HTML page from the state that ` + "`scan org`" + ` keeps across
nightly crawls: headline counts (live, dead, unknown, not verified, new since
the last run, remediated), every known secret in a table that sorts and
filters by provider, status, repository, severity and in-HEAD, with its
redacted value, identity, privileges, first seen date, locations linked to
the commit and line, and remediation state; a breakdown per repository and
per provider; and a trend over the stored nights (open live secrets per
night, mean time from first seen to dead), drawn as inline SVG.

The page loads nothing from the network (inline CSS and JS under a strict
Content-Security-Policy), so it can be mailed or kept as a CI artifact. The
store holds no raw secret, and neither does the page: only redacted values.
The file is created 0600; a symbolic link at that path is refused.

For the report of a single scan, use --format html on that scan, or render
a JSON report written earlier with --from REPORT.json. --format json writes
the store's secrets as a JSON report instead of the page.

A crawl that never finished (interrupted, or failed before its first
repository, e.g. offline) is reported as such, not as "no secrets".`,
		Example: `  scan report --report report.html              # the default state file
  scan report --from scan.json --report scan.html  # an earlier scan's JSON report as a page
  scan report --state /var/lib/nhiscan/state.db --out acme.html --scope "org:acme"
  scan report --state "$NHISCAN_STATE" --nights 90 --out report.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("out") {
				fmt.Fprintln(cmd.ErrOrStderr(), "scan: --out is deprecated: use --report")
			}
			format = strings.ToLower(format)
			if format != "html" && format != "json" {
				return fmt.Errorf("--format %q: scan report writes html or json", format)
			}
			if out != "" && out != "-" {
				if err := checkReportPath(out); err != nil {
					return err
				}
			}
			if from != "" {
				if statePath != "" || scope != "" {
					return errors.New("--from renders a JSON report; --state and --scope do not apply")
				}
				return renderReportFile(cmd, from, format, title, out)
			}
			if statePath == "" {
				statePath = os.Getenv("NHISCAN_STATE")
			}
			if statePath == "" {
				p, err := store.DefaultPath()
				if err != nil {
					return err
				}
				statePath = p
			}
			if !store.IsPostgres(statePath) {
				// Open would create an empty store: a report of nothing is a mistake.
				if _, err := os.Stat(statePath); err != nil {
					return fmt.Errorf("--state %s: %w (run scan org first)", statePath, err)
				}
			}
			st, err := store.Open(cmd.Context(), statePath)
			if err != nil {
				return fmt.Errorf("--state %s: %w", store.Redact(statePath), err)
			}
			defer st.Close()
			c, err := crawlFromStore(cmd.Context(), st, scope, nights)
			if err != nil {
				return err
			}
			if title != "" {
				c.Title = title
			}
			c.GeneratedAt = time.Now()
			if len(c.Findings) == 0 && len(c.Repos) == 0 {
				if err := crawlUnfinished(cmd.Context(), st); err != nil {
					return err
				}
			}
			if format == "json" {
				res := finding.Result{}
				for _, cf := range c.Findings {
					res.Findings = append(res.Findings, cf.Finding)
				}
				return writeTo(cmd.OutOrStdout(), out, func(w io.Writer) error {
					return report.Write(w, "json", res, report.Options{ToolVersion: toolVersion()})
				})
			}
			return writeCrawlReport(cmd.OutOrStdout(), out, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&statePath, "state", "", "state store: an SQLite file or a postgres:// URL (default: $NHISCAN_STATE, else the file scan org uses)")
	f.StringVarP(&out, "report", "r", "", "write the page to this file (created 0600, written whole or not at all) instead of stdout")
	f.StringVarP(&out, "out", "o", "", "write the page to this file")
	_ = f.MarkHidden("out")
	f.StringVarP(&format, "format", "f", "html", "html (the page) or json (the secrets as a JSON report)")
	f.StringVar(&from, "from", "", "render this JSON report (written by scan … --format json) instead of a state store")
	f.StringVar(&scope, "scope", "", `only the runs of this crawl scope (and its shards) for the trend and "new since last run", e.g. "org:acme" (default: every scope)`)
	f.StringVar(&title, "title", "", "title of the page (default: the scope)")
	f.IntVar(&nights, "nights", 60, "nights shown in the trend (0: all)")
	return cmd
}

func writeCrawlReport(stdout io.Writer, out string, c report.Crawl) error {
	return writeTo(stdout, out, func(w io.Writer) error { return report.WriteCrawlHTML(w, c, report.Options{}) })
}

// writeTo writes to stdout when out is "" or "-", else to the file out,
// whole or not at all.
func writeTo(stdout io.Writer, out string, write func(io.Writer) error) error {
	if out == "" || out == "-" {
		return write(stdout)
	}
	return writeFileWhole(out, write)
}

// crawlUnfinished explains an empty store: a crawl that started but never
// finished a repository (offline, interrupted) is not "no secrets".
func crawlUnfinished(ctx context.Context, st store.Store) error {
	runs, err := st.Runs(ctx, "", 0)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return errors.New("the store holds no crawl yet: run scan org first")
	}
	if runs[0].FinishedAt.IsZero() {
		return fmt.Errorf("the crawl %s started %s did not finish and recorded no repository (offline or interrupted?): run scan org again",
			termsafe.Clean(runs[0].Scope), runs[0].StartedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// renderReportFile renders an earlier JSON (or JSON lines) report as HTML
// (or JSON again), re-reading nothing: the report's redacted values only.
func renderReportFile(cmd *cobra.Command, path, format, title, out string) error {
	fs, err := readReport(path)
	if err != nil {
		return err
	}
	for i := range fs {
		fs[i].Secret = "" // a page never holds a raw secret
	}
	opts := report.Options{ToolVersion: toolVersion(), GeneratedAt: time.Now(), Repository: title}
	return writeTo(cmd.OutOrStdout(), out, func(w io.Writer) error {
		return report.Write(w, format, finding.Result{Findings: fs}, opts)
	})
}

// crawlFromStore reads what the HTML crawl report shows from a store: every
// secret with its locations, last verification and remediation, every
// repository, the trend of the runs of scope ("" for all, at most nights
// days) and what the latest run found new.
func crawlFromStore(ctx context.Context, st store.Store, scope string, nights int) (report.Crawl, error) {
	c := report.Crawl{Title: scope}
	repos, err := st.Repos(ctx)
	if err != nil {
		return c, err
	}
	nameOf := map[string]string{}
	for _, r := range repos {
		name := r.Name
		if name == "" {
			name = repoNameFromURL(r.URL)
		}
		nameOf[r.URL] = name
		rs := report.RepoSummary{Name: name, URL: repoWebURL(r.URL), ScannedAt: r.ScannedAt}
		switch r.State {
		case store.RepoError:
			rs.Error = r.Error
			if rs.Error == "" {
				rs.Error = "the last scan failed"
			}
		case store.RepoDeleted:
			rs.Error = "deleted upstream; its secrets are kept"
		}
		c.Repos = append(c.Repos, rs)
	}

	newFP, err := newSinceLastRun(ctx, st, scope)
	if err != nil {
		return c, err
	}
	secrets, err := st.Secrets(ctx, store.SecretFilter{})
	if err != nil {
		return c, err
	}
	for _, s := range secrets {
		f, err := findingFromStore(ctx, st, s, nameOf)
		if err != nil {
			return c, err
		}
		f.New = newFP[s.Fingerprint]
		c.Findings = append(c.Findings, f)
	}

	all, err := st.Trend(ctx, "", 0)
	if err != nil {
		return c, err
	}
	var points []store.TrendPoint
	for _, p := range all {
		if inScope(p.Scope, scope) {
			points = append(points, p)
		}
	}
	c.Nights = nightsFrom(points, secrets, nights)
	return c, nil
}

// inScope reports whether a run of runScope belongs to the crawl scope
// want: the same scope or one of its shards ("org:acme shard 1/4"); every
// run when want is "".
func inScope(runScope, want string) bool {
	return want == "" || runScope == want || strings.HasPrefix(runScope, want+" shard ")
}

// newSinceLastRun is the set of secrets first found (or found live again)
// by the newest run of each scope in the crawl scope.
func newSinceLastRun(ctx context.Context, st store.Store, scope string) (map[string]bool, error) {
	runs, err := st.Runs(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	newest := map[string]store.Run{}
	for _, r := range runs { // newest first
		if !inScope(r.Scope, scope) {
			continue
		}
		if _, ok := newest[r.Scope]; !ok {
			newest[r.Scope] = r
		}
	}
	out := map[string]bool{}
	for sc, r := range newest {
		ch, err := st.Changes(ctx, sc, r.PrevFinished)
		if err != nil {
			return nil, err
		}
		for _, x := range ch {
			if x.Reason == store.ChangeNew || x.Reason == store.ChangeLiveAgain {
				out[x.Fingerprint] = true
			}
		}
	}
	return out, nil
}

func findingFromStore(ctx context.Context, st store.Store, s store.Secret, nameOf map[string]string) (report.CrawlFinding, error) {
	f := report.CrawlFinding{
		Finding: finding.Finding{
			Fingerprint: s.Fingerprint, RuleID: s.RuleID, Provider: s.Provider, Severity: s.Severity,
			Redacted: s.Redacted, InHead: s.InHead,
		},
		FirstSeen: s.FirstSeen, LastSeen: s.LastSeen,
	}
	locs, err := st.Locations(ctx, s.Fingerprint)
	if err != nil {
		return f, err
	}
	for _, l := range locs {
		f.Locations = append(f.Locations, finding.Location{Commit: l.Commit, Path: l.Path, Line: l.Line,
			Column: l.Column, Author: l.Author, Email: l.Email, Date: l.Date})
		name := nameOf[l.Repo]
		if name == "" {
			name = repoNameFromURL(l.Repo)
		}
		f.Repos = append(f.Repos, name)
	}
	if s.Status != store.StatusUnverified && s.Status != "" {
		v := &finding.Verification{Status: finding.Status(s.Status), CheckedAt: s.VerifiedAt, Identity: s.Identity, Privileges: s.Privilege}
		hist, err := st.Verifications(ctx, s.Fingerprint)
		if err != nil {
			return f, err
		}
		if n := len(hist); n > 0 {
			v.Reason, v.Endpoint = hist[n-1].Reason, hist[n-1].Endpoint
		}
		f.Verification = v
	}
	actions, err := st.Actions(ctx, s.Fingerprint)
	if err != nil {
		return f, err
	}
	if f.Remediation, err = remediationFromStore(ctx, st, s.Fingerprint, actions); err != nil {
		return f, err
	}
	return f, nil
}

// ticketSystems are the ticket systems package remediate opens tickets in.
var ticketSystems = []string{"jira", "github"}

// remediationFromStore sums a secret's actions up as one state: revoked or
// rotated when such an action succeeded, else ticketed, else failed when an
// action failed, else planned.
func remediationFromStore(ctx context.Context, st store.Store, fp string, actions []store.Action) (*finding.Remediation, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	r := &finding.Remediation{State: finding.StatePlanned}
	seen := map[string]bool{}
	for _, a := range actions {
		if !seen[a.Kind] {
			seen[a.Kind] = true
			r.Actions = append(r.Actions, a.Kind)
		}
		at := a.PlannedAt
		if !a.AppliedAt.IsZero() {
			at = a.AppliedAt
		}
		if at.After(r.At) {
			r.At = at
		}
		var state finding.RemediationState
		switch a.Outcome {
		case "done", "already", "ok":
			switch a.Kind {
			case "revoke":
				state = finding.StateRevoked
			case "rotate":
				state = finding.StateRotated
			case "ticket":
				state = finding.StateTicketed
			}
		case "failed", "denied":
			state = finding.StateFailed
			r.Detail = a.Kind + " " + a.Outcome
		}
		if state != "" && state.Rank() >= r.State.Rank() {
			r.State = state
		}
	}
	if seen["ticket"] {
		for _, sys := range ticketSystems {
			t, err := st.Ticket(ctx, fp, sys)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			r.TicketURL = t.URL
			break
		}
	}
	return r, nil
}

// nightsFrom turns the store's finished runs into one point per UTC day
// (the last run of the day; shards of one night add their new secrets),
// keeping the newest nights. Open secrets and the mean time from first seen
// to dead on each night are rebuilt from the secrets' first-seen and dead
// dates.
func nightsFrom(points []store.TrendPoint, secrets []store.Secret, nights int) []report.Night {
	byDay := map[time.Time]*report.Night{}
	var days []time.Time
	last := map[time.Time]time.Time{}
	for _, p := range points {
		day := p.Day
		if day.IsZero() {
			day = p.FinishedAt.UTC().Truncate(24 * time.Hour)
		}
		n, ok := byDay[day]
		if !ok {
			n = &report.Night{Date: day}
			byDay[day] = n
			days = append(days, day)
		}
		n.New += p.NewSecrets
		if !p.FinishedAt.Before(last[day]) {
			last[day] = p.FinishedAt
			n.OpenLive = p.OpenLive
		}
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	if nights > 0 && len(days) > nights {
		days = days[len(days)-nights:]
	}
	out := make([]report.Night, 0, len(days))
	for _, day := range days {
		n := byDay[day]
		end := last[day]
		var dead int
		var sum time.Duration
		for _, s := range secrets {
			if s.FirstSeen.After(end) {
				continue
			}
			if !s.DeadAt.IsZero() && !s.DeadAt.After(end) {
				dead++
				sum += s.DeadAt.Sub(s.FirstSeen)
				continue
			}
			n.Open++
		}
		if dead > 0 {
			n.MeanTimeToDead = sum / time.Duration(dead)
		}
		out = append(out, *n)
	}
	return out
}

// repoWebURL is the browser URL of a repository from its clone URL, ""
// when it is not an http(s) URL.
func repoWebURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	p.User = nil
	p.Path = strings.TrimSuffix(p.Path, ".git")
	p.RawQuery, p.Fragment = "", ""
	return p.String()
}

// repoNameFromURL is "owner/name" from a repository URL.
func repoNameFromURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return strings.TrimSuffix(strings.Trim(p.Path, "/"), ".git")
	}
	return u
}

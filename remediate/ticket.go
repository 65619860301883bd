package remediate

import (
	"bufio"
	"context"
	"fmt"
	"nhiscan/finding"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Tracker opens and maintains one ticket per secret.
type Tracker interface {
	// System is "github" or "jira".
	System() string
	// Plan describes the calls Sync may make for f (no network call).
	Plan(f *finding.Finding) []Call
	// Sync makes the ticket of in.Finding reflect in:
	//   - no ticket carries the finding's fingerprint: create one (and, when
	//     in.Remediated and the credential is verified dead, close it with a
	//     comment);
	//   - an open ticket exists: when the recorded status differs, update
	//     it and comment; when the credential is verified dead, comment and
	//     close it;
	//   - otherwise change nothing and return ErrAlreadyDone.
	// It is idempotent: a second Sync with the same input changes nothing.
	// Bodies, titles and comments never hold the secret.
	Sync(ctx context.Context, in TicketInput) (TicketResult, error)
}

// TicketInput is what a ticket says about a secret.
type TicketInput struct {
	Finding    *finding.Finding
	Status     string // live, dead, unknown, unverified
	Priority   string
	Actions    []string // actions applied in this run (revoke, rotate)
	Remediated bool     // revoked or rotated in this run
	Manual     string   // how a person remediates it
	Assignee   string   // tracker user, "" when unresolved
	RepoWebURL string   // for location links
}

// TicketResult says what Sync did.
type TicketResult struct {
	Key, URL string
	Action   string // created, updated, closed, created+closed
	State    string // open or closed after Sync
	Evidence []string
}

// Marker is the line every ticket body carries; it deduplicates tickets.
func Marker(fp string) string { return "<!-- nhiscan:fingerprint=" + fp + " -->" }

var statusMarker = regexp.MustCompile(`<!-- nhiscan:status=([a-z]+) -->`)

// recordedStatus returns the status a body was last written with.
func recordedStatus(body string) string {
	if m := statusMarker.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// Title of a secret's ticket.
func Title(in TicketInput) string {
	f := in.Finding
	red := f.Redacted
	if red == "" {
		red = finding.Redact(f.Secret)
	}
	return fmt.Sprintf("Leaked %s credential %s (%s)", providerName(f.Provider), red, f.Fingerprint[:min(12, len(f.Fingerprint))])
}

// Body renders a ticket body in Markdown (GitHub, Jira v2 wiki text reads
// it fine). It never includes the secret.
func Body(in TicketInput) string {
	f := in.Finding
	var b strings.Builder
	fmt.Fprintf(&b, "nhiscan found a leaked credential.\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| provider | %s |\n", providerName(f.Provider))
	fmt.Fprintf(&b, "| rule | %s |\n", f.RuleID)
	red := f.Redacted
	if red == "" {
		red = finding.Redact(f.Secret)
	}
	fmt.Fprintf(&b, "| credential | `%s` |\n", red)
	fmt.Fprintf(&b, "| status | **%s** |\n", in.Status)
	if v := f.Verification; v != nil {
		if !v.CheckedAt.IsZero() {
			fmt.Fprintf(&b, "| verified at | %s |\n", v.CheckedAt.UTC().Format(time.RFC3339))
		}
		if len(v.Identity) > 0 {
			var ids []string
			for k, val := range v.Identity {
				ids = append(ids, k+"="+val)
			}
			slices.Sort(ids)
			fmt.Fprintf(&b, "| identity | %s |\n", strings.Join(ids, ", "))
		}
		p := v.Privileges
		if p.Level != "" || len(p.Scopes) > 0 || len(p.Flags) > 0 {
			fmt.Fprintf(&b, "| privileges | level %s; scopes %s; flags %s |\n", orDash(p.Level), orDash(strings.Join(p.Scopes, " ")), orDash(strings.Join(p.Flags, " ")))
		}
	}
	fmt.Fprintf(&b, "| still in the tree | %v |\n", f.InHead)
	first := f.FirstLocation()
	if !first.Date.IsZero() {
		fmt.Fprintf(&b, "| first seen | %s (commit %s) |\n", first.Date.UTC().Format(time.RFC3339), short(first.Commit))
	}
	if in.Priority != "" {
		fmt.Fprintf(&b, "| priority | %s |\n", in.Priority)
	}
	if len(in.Actions) > 0 {
		fmt.Fprintf(&b, "| done by nhiscan | %s |\n", strings.Join(in.Actions, ", "))
	}
	fmt.Fprintf(&b, "\n### Locations\n\n")
	for i, l := range f.Locations {
		if i == 20 {
			fmt.Fprintf(&b, "- … and %d more\n", len(f.Locations)-20)
			break
		}
		where := fmt.Sprintf("%s:%d", l.Path, l.Line)
		if in.RepoWebURL != "" && l.Commit != "" && l.Path != "" {
			where = fmt.Sprintf("[%s](%s/blob/%s/%s#L%d)", where, strings.TrimSuffix(in.RepoWebURL, "/"), l.Commit, escapePath(l.Path), l.Line)
		}
		fmt.Fprintf(&b, "- %s", where)
		if l.Commit != "" {
			fmt.Fprintf(&b, " in commit %s", short(l.Commit))
		}
		if l.Author != "" {
			fmt.Fprintf(&b, " by %s", l.Author)
		}
		if !l.Date.IsZero() {
			fmt.Fprintf(&b, " on %s", l.Date.UTC().Format("2006-01-02"))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n### Remediation\n\n")
	switch {
	case in.Status == string(finding.StatusDead):
		b.WriteString("1. The credential is verified dead: nothing can use it any more.\n")
	case in.Manual != "":
		fmt.Fprintf(&b, "1. Revoke or rotate it: %s\n", in.Manual)
	default:
		b.WriteString("1. Revoke or rotate it at the provider (its console or API), and update every system that uses it.\n")
	}
	b.WriteString("2. Check the provider's audit log for use of the credential since it was first seen.\n")
	b.WriteString("3. Remove it from the code and store it in a secret manager; history rewriting is optional once it is dead.\n")
	fmt.Fprintf(&b, "\n%s\n<!-- nhiscan:status=%s -->\n", Marker(f.Fingerprint), in.Status)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(c string) string { return c[:min(12, len(c))] }

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer(" ", "%20", "#", "%23", "?", "%3F").Replace(s)
	}
	return strings.Join(parts, "/")
}

// CloseComment is the comment a ticket gets when the credential is dead.
func CloseComment(in TicketInput, now time.Time) string {
	how := "verified dead"
	if in.Remediated {
		how = "revoked by nhiscan (" + strings.Join(in.Actions, ", ") + ") and verified dead"
	}
	return fmt.Sprintf("The credential was %s at %s. Closing.", how, now.UTC().Format(time.RFC3339))
}

// ticket applies a ticket step.
func (a *Applier) ticket(ctx context.Context, f *finding.Finding, s Step, rule *Rule, done []string, remediated bool) Result {
	r := Result{Step: s, Before: f.Verification, After: f.Verification}
	if s.Blocked != "" {
		r.Outcome, r.Detail = Skipped, s.Blocked
		return r
	}
	t := a.Planner.Tracker
	in := TicketInput{Finding: f, Status: statusOf(f), Actions: done, Remediated: remediated}
	if rule != nil {
		in.Priority = rule.Priority
	}
	if reg, ok := a.Planner.Env.Lookup(f.Provider); ok {
		in.Manual = reg.Manual
	}
	pol := a.Planner.policy()
	in.Assignee = a.assignee(f, pol)
	switch t.System() {
	case "github":
		in.RepoWebURL = pol.Ticket.GitHub.WebURL
		if in.RepoWebURL == "" && pol.Ticket.GitHub.Repo != "" {
			in.RepoWebURL = "https://github.com/" + pol.Ticket.GitHub.Repo
		}
	case "jira":
		in.RepoWebURL = pol.Ticket.Jira.WebURL
	}
	tr, err := t.Sync(ctx, in)
	r.TicketURL, r.TicketKey, r.Evidence = tr.URL, tr.Key, tr.Evidence
	r.TicketState = tr.State
	var rl *RateLimitError
	switch {
	case err == nil:
		r.Outcome, r.Detail = Done, "ticket "+tr.Action+" "+tr.Key
	case IsAlreadyDone(err):
		r.Outcome, r.Detail = Already, "ticket "+tr.Key+" is up to date"
	case asRateLimit(err, &rl):
		r.Outcome, r.Detail = Deferred, err.Error()
		r.RetryAt = a.Planner.Env.now().Add(max(rl.RetryAfter, time.Minute)).UTC()
	default:
		r.Outcome, r.Detail = Failed, err.Error()
	}
	return r
}

// assignee resolves the owner: CODEOWNERS of the first location's path
// (when Policy.RepoDir is set), then the commit author's mapping.
func (a *Applier) assignee(f *finding.Finding, pol *Policy) string {
	if a.RepoDir != "" {
		if o := CodeOwner(a.RepoDir, f.FirstLocation().Path); o != "" {
			return o
		}
	}
	for _, l := range f.Locations {
		if u := pol.Ticket.Assignees[strings.ToLower(l.Email)]; u != "" {
			return u
		}
		if u := pol.Ticket.Assignees[l.Email]; u != "" {
			return u
		}
	}
	return ""
}

// CodeOwner returns the first owner (without "@") of path in the CODEOWNERS
// file of repoDir (.github/, root or docs/), the last matching line winning,
// as GitHub does. "" when none.
func CodeOwner(repoDir, path string) string {
	if path == "" {
		return ""
	}
	for _, p := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		fh, err := os.Open(filepath.Join(repoDir, p))
		if err != nil {
			continue
		}
		owner := ""
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			if codeownersMatch(fields[0], path) {
				owner = strings.TrimPrefix(fields[1], "@")
			}
		}
		fh.Close()
		return owner
	}
	return ""
}

func codeownersMatch(pattern, path string) bool {
	anchored := strings.HasPrefix(pattern, "/")
	pattern = strings.TrimPrefix(pattern, "/")
	// a pattern with no slash but a trailing one matches at any depth
	if !anchored && !strings.Contains(strings.TrimSuffix(pattern, "/"), "/") {
		pattern = "**/" + pattern
	}
	if strings.HasSuffix(pattern, "/") {
		pattern += "**"
	}
	re, err := globRegexp(pattern)
	if err != nil {
		return false
	}
	if re.MatchString(path) {
		return true
	}
	// a pattern naming a folder owns everything below it
	re2, err := globRegexp(pattern + "/**")
	return err == nil && re2.MatchString(path)
}

package remediate

import (
	"bufio"
	"context"
	"fmt"
	"nhiscan/finding"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Tracker opens and maintains one ticket per credential.
type Tracker interface {
	// System is "github" or "jira".
	System() string
	// Plan describes the calls Sync may make for f (no network call).
	Plan(f *finding.Finding) []Call
	// Sync makes the ticket of in.Finding reflect in. The ticket is the one
	// carrying any of in.Fingerprints (the credential's fingerprint first,
	// then the per-rule ones earlier versions wrote):
	//   - none: create one (and, when in.Remediated and this run verified
	//     the credential dead, close it with a comment);
	//   - found under an older fingerprint: adopt it (its marker or labels
	//     now carry the credential's fingerprint);
	//   - open and this run verified the credential dead: comment, close;
	//   - the recorded status differs: update it and comment;
	//   - otherwise change nothing and return ErrAlreadyDone.
	// Further open tickets of the same credential (one per rule, opened by
	// earlier versions) are closed as duplicates of the one kept. Sync never
	// closes a ticket on a report's word: only in.Verified counts. It is
	// idempotent, and bodies, titles and comments never hold the secret.
	Sync(ctx context.Context, in TicketInput) (TicketResult, error)
}

// TicketInput is what a ticket says about a credential.
type TicketInput struct {
	Finding *finding.Finding
	// Fingerprints are the fingerprints the credential's ticket may carry:
	// Finding.Fingerprint, then trusted aliases. Empty: the fingerprint only.
	Fingerprints []string
	Status       string // live, dead, unknown, unverified
	// Verified: Status is this run's own verification, not the report's.
	Verified   bool
	Priority   string
	Actions    []string // actions applied in this run (revoke, rotate)
	Remediated bool     // revoked or rotated in this run
	Manual     string   // how a person remediates it
	Assignee   string   // tracker user, "" when unresolved
	RepoWebURL string   // for location links
}

// verifiedDead: this run verified the credential dead, the only reason a
// ticket is ever closed.
func (in TicketInput) verifiedDead() bool {
	return in.Verified && in.Status == string(finding.StatusDead)
}

// fingerprints returns the valid fingerprints to look the ticket up by.
func (in TicketInput) fingerprints() ([]string, error) {
	fps := in.Fingerprints
	if len(fps) == 0 {
		fps = []string{in.Finding.Fingerprint}
	}
	if len(fps) == 0 || fps[0] != in.Finding.Fingerprint {
		fps = append([]string{in.Finding.Fingerprint}, fps...)
	}
	for _, fp := range fps {
		if err := checkFingerprint(fp); err != nil {
			return nil, err
		}
	}
	return fps, nil
}

// TicketResult says what Sync did.
type TicketResult struct {
	Key, URL string
	Action   string // created, updated, adopted, closed, created+closed
	State    string // open or closed after Sync
	Evidence []string
}

// Title of a credential's ticket: built from the tool's own values only
// (a known provider id, a redaction, the fingerprint).
func Title(in TicketInput) string {
	f := in.Finding
	prov := "unknown"
	if providerShape.MatchString(f.Provider) {
		prov = f.Provider
	}
	fp := f.Fingerprint
	if !ValidFingerprint(fp) {
		fp = "invalid"
	}
	return safeTitle(fmt.Sprintf("Leaked %s credential %s (%s)", prov, safeRedacted(f), fp[:min(12, len(fp))]))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(c string) string { return c[:min(12, len(c))] }

// CloseComment is the comment a ticket gets when the credential is dead.
func CloseComment(in TicketInput, now time.Time) string {
	how := "verified dead by this run"
	if in.Remediated {
		how = "revoked by nhiscan (" + strings.Join(in.Actions, ", ") + ") and verified dead"
	}
	return fmt.Sprintf("The credential was %s at %s. Closing.", how, now.UTC().Format(time.RFC3339))
}

// statusComment says what changed on an existing ticket.
func statusComment(old, now string, adoptedFrom string, fp string) string {
	var parts []string
	if adoptedFrom != "" {
		parts = append(parts, fmt.Sprintf("nhiscan now tracks this credential as %s (one ticket per credential; this ticket was opened for %s).", fp, adoptedFrom))
	}
	if old != now {
		parts = append(parts, fmt.Sprintf("Status changed from %s to %s.", orDash(old), now))
	}
	return strings.Join(parts, " ")
}

// duplicateComment is the comment on a further ticket of one credential.
func duplicateComment(key string) string {
	return "Duplicate of " + key + ": nhiscan keeps one ticket per credential, and tracks this one there. Closing."
}

// ticket applies a ticket step.
func (a *Applier) ticket(ctx context.Context, f *finding.Finding, s Step, rule *Rule, done []string, remediated bool, fresh *finding.Verification) Result {
	r := Result{Step: s, Before: f.Verification, After: f.Verification}
	if s.Blocked != "" {
		r.Outcome, r.Detail = Skipped, s.Blocked
		return r
	}
	t := a.Planner.Tracker
	in := TicketInput{Finding: f, Fingerprints: ticketFingerprints(f), Status: statusOf(f), Verified: fresh != nil && fresh == f.Verification,
		Actions: done, Remediated: remediated}
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

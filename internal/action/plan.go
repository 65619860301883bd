// Package action decides what a GitHub Actions run of nhiscan scans: from the
// event that triggered the workflow (GITHUB_EVENT_NAME, the JSON payload at
// GITHUB_EVENT_PATH) and the state of the checkout, it picks the git
// revisions of the commits the event added. It also writes the outputs a
// workflow reads: workflow-command annotations and the job summary.
//
// The decision is a pure function of the event and a small Git interface, so
// it is tested with recorded payload shapes and a fake repository.
package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Event is the part of a GitHub webhook payload the range decision reads.
type Event struct {
	Name        string       `json:"-"` // GITHUB_EVENT_NAME
	Ref         string       `json:"ref"`
	Before      string       `json:"before"`
	After       string       `json:"after"`
	Created     bool         `json:"created"`
	Deleted     bool         `json:"deleted"`
	Forced      bool         `json:"forced"`
	Repository  Repository   `json:"repository"`
	PullRequest *PullRequest `json:"pull_request"`
}

// Repository is the payload's repository object.
type Repository struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
	HTMLURL       string `json:"html_url"`
}

// PullRequest is the payload's pull_request object.
type PullRequest struct {
	Number int    `json:"number"`
	Base   PRRef  `json:"base"`
	Head   PRRef  `json:"head"`
	State  string `json:"state"`
}

// PRRef is a pull request's base or head.
type PRRef struct {
	Ref  string     `json:"ref"`
	SHA  string     `json:"sha"`
	Repo Repository `json:"repo"`
}

// ParseEvent reads the payload at GITHUB_EVENT_PATH for the event name.
func ParseEvent(name string, r io.Reader) (Event, error) {
	var ev Event
	if err := json.NewDecoder(r).Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("event payload: %w", err)
	}
	ev.Name = name
	return ev, nil
}

// Git is what the decision asks of the checkout. Revisions passed in are
// full commit ids or fully qualified ref names, never user text that could
// read as an option.
type Git interface {
	// HasCommit reports whether the commit (or the commit a tag points to)
	// is in the repository.
	HasCommit(rev string) bool
	// IsAncestor reports whether a is an ancestor of (or equal to) b.
	IsAncestor(a, b string) (bool, error)
	// IsShallow reports whether the repository is a shallow clone.
	IsShallow() (bool, error)
	// RefExists reports whether the fully qualified ref exists.
	RefExists(ref string) bool
	// CountCommits counts the commits git log would walk for revs.
	CountCommits(revs []string) (int, error)
}

// Plan is what to scan.
type Plan struct {
	// Revs for scanner.HistoryOptions; nil means a full scan (every ref).
	Revs []string
	// Full is true for a scan of the whole history.
	Full bool
	// Commits is the number of commits in the range (not counted for full scans).
	Commits int
	// Empty is true when the event added no commit to scan; Reason says why.
	Empty bool
	// Description says in one line what is scanned and why, for logs and
	// the job summary. It holds no secret, only ids and ref names.
	Description string
	// Notes are warnings about the decision (e.g. a shallow checkout).
	Notes []string
}

// ErrShallow is wrapped by the error returned when a shallow checkout lacks
// the commits the range needs.
var ErrShallow = errors.New("shallow checkout")

const zeroSHA = "0000000000000000000000000000000000000000"

var shaRE = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

func isZero(sha string) bool { return strings.Trim(sha, "0") == "" && sha != "" }

func checkSHA(field, sha string) error {
	if !shaRE.MatchString(sha) {
		return fmt.Errorf("event field %s: %q is not a commit id", field, sha)
	}
	return nil
}

// validRefName is a conservative subset of git check-ref-format: ref names
// from the payload are used as revisions, so they must not read as options
// or revision syntax.
func validRefName(name string) bool {
	if name == "" || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".lock") || strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") {
		return false
	}
	for _, comp := range strings.Split(name, "/") {
		if strings.HasPrefix(comp, "-") || strings.HasPrefix(comp, ".") {
			return false
		}
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f || strings.ContainsRune("~^:?*[\\", c) {
			return false
		}
	}
	return true
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

const shallowHint = "the checkout is shallow (actions/checkout fetches one commit by default): " +
	"set `fetch-depth: 0` on actions/checkout, or fetch the commits of the range before running nhiscan"

// Decide turns an event into the revisions to scan.
func Decide(ev Event, g Git) (Plan, error) {
	shallow, err := g.IsShallow()
	if err != nil {
		return Plan{}, err
	}
	var p Plan
	switch ev.Name {
	case "workflow_dispatch", "schedule":
		if shallow {
			return Plan{}, fmt.Errorf("%w: a full scan of a shallow clone would silently miss history; %s", ErrShallow, shallowHint)
		}
		return Plan{Full: true, Description: fmt.Sprintf("%s: full scan of every ref", ev.Name)}, nil
	case "pull_request", "pull_request_target":
		p, err = decidePR(ev, g, shallow)
	case "push":
		p, err = decidePush(ev, g, shallow)
	default:
		return Plan{}, fmt.Errorf("event %q is not supported: use push, pull_request, pull_request_target, workflow_dispatch or schedule, or run `scan git` with --range", ev.Name)
	}
	if err != nil || p.Empty {
		return p, err
	}
	if shallow {
		p.Notes = append(p.Notes, "the checkout is shallow: the range resolved, but commits older than the shallow boundary are not read")
	}
	n, err := g.CountCommits(p.Revs)
	if err != nil {
		return Plan{}, fmt.Errorf("counting the commits of %s: %w", strings.Join(p.Revs, " "), err)
	}
	p.Commits = n
	if n == 0 {
		p.Empty = true
		p.Description += "; the range holds no commit, so there is nothing to scan"
	}
	return p, nil
}

func missing(what, sha string, shallow bool) error {
	if shallow {
		return fmt.Errorf("%w: %s %s is not in the checkout; %s", ErrShallow, what, shortSHA(sha), shallowHint)
	}
	return fmt.Errorf("%s %s is not in the checkout; fetch it (e.g. actions/checkout with `fetch-depth: 0`) before running nhiscan", what, shortSHA(sha))
}

func decidePR(ev Event, g Git, shallow bool) (Plan, error) {
	pr := ev.PullRequest
	if pr == nil {
		return Plan{}, fmt.Errorf("%s event without a pull_request object", ev.Name)
	}
	if err := checkSHA("pull_request.base.sha", pr.Base.SHA); err != nil {
		return Plan{}, err
	}
	if err := checkSHA("pull_request.head.sha", pr.Head.SHA); err != nil {
		return Plan{}, err
	}
	if !g.HasCommit(pr.Head.SHA) {
		hint := ""
		if pr.Head.Repo.FullName != "" && pr.Head.Repo.FullName != pr.Base.Repo.FullName {
			hint = " (the pull request comes from the fork " + pr.Head.Repo.FullName + ")"
		}
		if ev.Name == "pull_request_target" {
			hint += "; pull_request_target checks out the base branch: fetch the head with actions/checkout `ref: ${{ github.event.pull_request.head.sha }}` and `fetch-depth: 0`"
		}
		err := missing("the pull request's head commit", pr.Head.SHA, shallow)
		return Plan{}, fmt.Errorf("%w%s", err, hint)
	}
	if !g.HasCommit(pr.Base.SHA) {
		return Plan{}, missing("the pull request's base commit", pr.Base.SHA, shallow)
	}
	return Plan{
		Revs:        []string{pr.Head.SHA, "^" + pr.Base.SHA},
		Description: fmt.Sprintf("%s #%d: commits %s..%s", ev.Name, pr.Number, shortSHA(pr.Base.SHA), shortSHA(pr.Head.SHA)),
	}, nil
}

// defaultRef is the ref of the default branch in the checkout: the
// remote-tracking branch actions/checkout fetches, else a local branch.
func defaultRef(ev Event, g Git) string {
	b := ev.Repository.DefaultBranch
	if !validRefName(b) {
		return ""
	}
	for _, r := range []string{"refs/remotes/origin/" + b, "refs/heads/" + b} {
		if g.RefExists(r) {
			return r
		}
	}
	return ""
}

func decidePush(ev Event, g Git, shallow bool) (Plan, error) {
	if !validRefName(ev.Ref) || !strings.HasPrefix(ev.Ref, "refs/") {
		return Plan{}, fmt.Errorf("push event: ref %q is not a valid ref name", ev.Ref)
	}
	if err := checkSHA("after", ev.After); err != nil {
		return Plan{}, err
	}
	if ev.Deleted || isZero(ev.After) {
		return Plan{Empty: true, Description: fmt.Sprintf("push deleted %s: a deletion adds no commit, nothing to scan", ev.Ref)}, nil
	}
	if err := checkSHA("before", ev.Before); err != nil {
		return Plan{}, err
	}
	if !g.HasCommit(ev.After) {
		return Plan{}, missing("the pushed commit (after)", ev.After, shallow)
	}
	def := defaultRef(ev, g)
	branch, isBranch := strings.CutPrefix(ev.Ref, "refs/heads/")
	onDefault := isBranch && branch == ev.Repository.DefaultBranch

	// notOnDefault scans after minus the default branch (and minus extra
	// exclusions): what the push brings that the default branch lacks.
	notOnDefault := func(what string, extra ...string) (Plan, error) {
		revs := []string{ev.After}
		desc := fmt.Sprintf("%s: commits of %s (%s)", what, ev.Ref, shortSHA(ev.After))
		var notes []string
		if def != "" && !onDefault {
			revs = append(revs, "^"+def)
			desc += " not on " + def
		} else if !onDefault {
			if shallow {
				return Plan{}, fmt.Errorf("%w: the default branch %q is not in the checkout, so the new commits cannot be told apart; %s", ErrShallow, ev.Repository.DefaultBranch, shallowHint)
			}
			notes = append(notes, fmt.Sprintf("the default branch %q is not in the checkout: scanning every commit reachable from %s", ev.Repository.DefaultBranch, shortSHA(ev.After)))
		}
		for _, x := range extra {
			revs = append(revs, "^"+x)
			desc += " nor reachable from " + shortSHA(x)
		}
		if onDefault && len(extra) == 0 {
			if shallow {
				return Plan{}, fmt.Errorf("%w: %s of the default branch needs its whole history; %s", ErrShallow, what, shallowHint)
			}
			desc += ": every commit reachable from it"
		}
		return Plan{Revs: revs, Description: desc, Notes: notes}, nil
	}

	if strings.HasPrefix(ev.Ref, "refs/tags/") {
		return notOnDefault("tag push")
	}
	if isZero(ev.Before) || ev.Created {
		return notOnDefault("new branch")
	}
	if !g.HasCommit(ev.Before) {
		if shallow {
			return Plan{}, missing("the commit before the push", ev.Before, shallow)
		}
		return notOnDefault(fmt.Sprintf("force push (previous tip %s is gone)", shortSHA(ev.Before)))
	}
	anc, err := g.IsAncestor(ev.Before, ev.After)
	if err != nil {
		return Plan{}, err
	}
	if !anc {
		return notOnDefault(fmt.Sprintf("force push (previous tip %s is not an ancestor)", shortSHA(ev.Before)), ev.Before)
	}
	return Plan{
		Revs:        []string{ev.After, "^" + ev.Before},
		Description: fmt.Sprintf("push to %s: commits %s..%s", ev.Ref, shortSHA(ev.Before), shortSHA(ev.After)),
	}, nil
}

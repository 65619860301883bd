package scanner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"nhiscan/finding"
)

// Push protection: a server's pre-receive hook (and a client's pre-push
// hook) scans only what a push adds. The history engine does the work: the
// commits to scan are the pushed tips minus everything the repository's
// refs already reach (`<new>... --not --all`), so a force push, a new
// branch forked from an old commit or a tag on a known commit costs only
// its new commits. In a pre-receive hook git keeps the pushed objects in a
// quarantine directory (GIT_QUARANTINE_PATH, exported as
// GIT_OBJECT_DIRECTORY with the repository's own objects as
// GIT_ALTERNATE_OBJECT_DIRECTORIES); every git the scanner starts inherits
// that environment and so reads them.

// RefUpdate is one line of a pre-receive hook's standard input:
// "<old> <new> <ref>". Old is all zeros for a new ref, New for a deletion.
type RefUpdate struct {
	Old, New, Ref string
}

// Deletion reports whether the update deletes its ref (nothing to scan).
func (u RefUpdate) Deletion() bool { return isZeroID(u.New) }

// Creation reports whether the update creates its ref.
func (u RefUpdate) Creation() bool { return isZeroID(u.Old) }

func isZeroID(s string) bool { return s != "" && strings.Trim(s, "0") == "" }

// validID accepts a full SHA-1 or SHA-256 object name in lower-case hex.
func validID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// maxRefUpdates bounds the lines read from a hook's input; git sends one
// per pushed ref, and a mirror push of a large repository stays far below.
const maxRefUpdates = 100_000

// ParseRefUpdates reads a pre-receive hook's input. A malformed line is an
// error naming it: a hook that cannot tell what is pushed must not guess.
func ParseRefUpdates(r io.Reader) ([]RefUpdate, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	var out []RefUpdate
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 3 || !validID(f[0]) || !validID(f[1]) || len(f[0]) != len(f[1]) || f[2] == "" {
			return nil, fmt.Errorf("hook input line %d: want \"<old-sha> <new-sha> <ref>\"", n)
		}
		if isZeroID(f[0]) && isZeroID(f[1]) {
			return nil, fmt.Errorf("hook input line %d: both object names are zero", n)
		}
		if strings.HasPrefix(f[2], "-") || strings.ContainsAny(f[2], "\x00\x7f") {
			return nil, fmt.Errorf("hook input line %d: bad ref name", n)
		}
		if len(out) == maxRefUpdates {
			return nil, fmt.Errorf("hook input: more than %d ref updates", maxRefUpdates)
		}
		out = append(out, RefUpdate{Old: f[0], New: f[1], Ref: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hook input line %d: %w", n+1, err)
	}
	return out, nil
}

// PushRevs are the revisions that select what a pre-receive push adds: the
// new tips, minus every commit an existing ref reaches. Nil when the push
// only deletes refs.
func PushRevs(updates []RefUpdate) []string {
	var revs []string
	seen := map[string]bool{}
	for _, u := range updates {
		if u.Deletion() || seen[u.New] {
			continue
		}
		seen[u.New] = true
		revs = append(revs, u.New)
	}
	if len(revs) == 0 {
		return nil
	}
	return append(revs, "--not", "--all")
}

// PushResult is what a push adds: the findings of its new commits, and for
// each commit that holds a finding, the first pushed ref that brings it.
type PushResult struct {
	*finding.Result
	// RefOf maps a commit SHA with a finding to a pushed ref containing it.
	RefOf map[string]string
	// Unscannable lists updates whose new tip is neither a commit nor an
	// annotated tag of one (a ref to a bare tree or blob): the history
	// engine cannot place such content, so the caller should refuse them.
	Unscannable []RefUpdate
}

// ScanPush scans the commits the updates add to the repository at dir (the
// pre-receive hook's repository; the quarantined objects are read through
// the environment git gives the hook). Deletions are ignored. It needs the
// git CLI. The scanner's ignore list applies as in ScanHistory; hooks that
// log each bypass leave it nil and filter the result themselves.
func (s *Scanner) ScanPush(ctx context.Context, dir string, updates []RefUpdate) (*PushResult, error) {
	if !gitAvailable() {
		return nil, errors.New("push protection needs the git command")
	}
	out := &PushResult{Result: &finding.Result{}, RefOf: map[string]string{}}
	var scannable []RefUpdate
	for _, u := range updates {
		if u.Deletion() {
			continue
		}
		typ, err := peeledType(ctx, dir, u.New)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.Ref, err)
		}
		if typ != "commit" {
			out.Unscannable = append(out.Unscannable, u)
			continue
		}
		scannable = append(scannable, u)
	}
	revs := PushRevs(scannable)
	if revs == nil {
		return out, nil
	}
	res, err := s.ScanHistory(ctx, dir, HistoryOptions{Revs: revs})
	if err != nil {
		return nil, err
	}
	out.Result = res
	if err := attributeRefs(ctx, dir, scannable, res.Findings, out.RefOf); err != nil {
		return nil, err
	}
	return out, nil
}

// peeledType is the type of the object a pushed tip names once annotated
// tags are peeled: commit, tree or blob. A missing object is an error (a
// hook that cannot see the quarantine must not pass the push as clean).
func peeledType(ctx context.Context, dir, id string) (string, error) {
	cmd := gitCmd(ctx, dir, "cat-file", "-t", id)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pushed object %s is not readable (is the hook's quarantine environment, GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES, passed through?): %s",
			id, firstLine(strings.TrimSpace(stderr.String()), err))
	}
	typ := strings.TrimSpace(string(b))
	if typ != "tag" {
		return typ, nil
	}
	for _, want := range []string{"commit", "tree", "blob"} {
		if gitCmd(ctx, dir, "rev-parse", "--verify", "-q", id+"^{"+want+"}").Run() == nil {
			// ^{tree} also peels a commit; commit is tried first.
			return want, nil
		}
	}
	return "tag", nil
}

// attributeRefs names, for each commit holding a finding, the first update
// whose new tip reaches it.
func attributeRefs(ctx context.Context, dir string, updates []RefUpdate, fs []finding.Finding, refOf map[string]string) error {
	for i := range fs {
		for _, l := range fs[i].Locations {
			if l.Commit == "" || refOf[l.Commit] != "" {
				continue
			}
			if len(updates) == 1 {
				refOf[l.Commit] = updates[0].Ref
				continue
			}
			for _, u := range updates {
				err := gitCmd(ctx, dir, "merge-base", "--is-ancestor", l.Commit, u.New).Run()
				if err == nil {
					refOf[l.Commit] = u.Ref
					break
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
	}
	return nil
}

// maxIgnoreFile bounds a .gitleaksignore read from a pushed commit.
const maxIgnoreFile = 1 << 20

// IgnoreAt reads the .gitleaksignore at the root of a commit (a pushed tip):
// the repository's own allowlist as the push would leave it. A commit
// without one gives an empty list; a malformed one is an error naming it.
func IgnoreAt(ctx context.Context, dir, commit string) (*IgnoreList, error) {
	if !validID(commit) {
		return nil, fmt.Errorf("ignore file: %q is not an object name", commit)
	}
	spec := commit + ":.gitleaksignore"
	cmd := gitCmd(ctx, dir, "cat-file", "-s", spec)
	b, err := cmd.Output()
	if err != nil {
		return &IgnoreList{}, nil // no such file at that commit
	}
	var size int64
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &size); err != nil || size > maxIgnoreFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", spec, maxIgnoreFile)
	}
	data, err := gitCmd(ctx, dir, "cat-file", "blob", spec).Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	il, err := ParseIgnore(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return il, nil
}

// GitDir is the absolute path of the repository's git directory (the bare
// repository itself, or a work tree's .git).
func GitDir(ctx context.Context, dir string) (string, error) {
	cmd := gitCmd(ctx, dir, "rev-parse", "--absolute-git-dir")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s is not a git repository: %s", dir, firstLine(strings.TrimSpace(stderr.String()), err))
	}
	return strings.TrimSpace(string(b)), nil
}

// PushOptions returns the push options git hands a receive hook
// (GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_0…n-1; the client sends them
// with `git push -o`, and only when the server sets
// receive.advertisePushOptions). getenv is os.Getenv outside tests.
func PushOptions(getenv func(string) string) []string {
	var n int
	if _, err := fmt.Sscan(getenv("GIT_PUSH_OPTION_COUNT"), &n); err != nil || n <= 0 {
		return nil
	}
	n = min(n, 1000) // git caps them far lower; never trust a count blindly
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, getenv(fmt.Sprintf("GIT_PUSH_OPTION_%d", i)))
	}
	return out
}

// AllowOption is the push option that allows secrets by fingerprint:
// `git push -o nhiscan.allow=<fingerprint>[,<fingerprint>…]`. ReasonOption
// carries a free-text reason into the bypass log.
const (
	AllowOption  = "nhiscan.allow"
	ReasonOption = "nhiscan.reason"
)

// maxReason bounds the reason kept from a push option.
const maxReason = 200

// PushAllow is what a push's options ask to allow.
type PushAllow struct {
	Fingerprints map[string]bool
	Reason       string
	// Malformed lists nhiscan.allow values that are not fingerprints; they
	// allow nothing.
	Malformed []string
}

// ParsePushAllow reads the nhiscan.* push options; others are ignored.
func ParsePushAllow(opts []string) PushAllow {
	pa := PushAllow{Fingerprints: map[string]bool{}}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch strings.TrimSpace(k) {
		case AllowOption:
			for _, fp := range strings.Split(v, ",") {
				fp = strings.ToLower(strings.TrimSpace(fp))
				if len(fp) == 32 && isHex(fp) {
					pa.Fingerprints[fp] = true
				} else if fp != "" {
					pa.Malformed = append(pa.Malformed, truncate(fp, 80))
				}
			}
		case ReasonOption:
			pa.Reason = truncate(strings.TrimSpace(v), maxReason)
		}
	}
	return pa
}

// AllowList is an ignore list with the name it is reported under (a file on
// the server, or "<commit>:.gitleaksignore" in the push).
type AllowList struct {
	Source string
	List   *IgnoreList
}

// Bypass is a secret a push may carry although it was found, and why.
type Bypass struct {
	Finding finding.Finding
	Via     string // "push-option" or "ignore-file"
	Source  string // the option, or the ignore file that listed it
}

// SplitBypassed separates the findings a push is allowed to carry: those
// whose fingerprint (or an alias) the push options name, and those whose
// every location an ignore list covers. A finding with only some locations
// ignored keeps the others and still counts.
func SplitBypassed(fs []finding.Finding, allow PushAllow, lists []AllowList) (kept []finding.Finding, bypassed []Bypass) {
	for _, f := range fs {
		if fp, ok := pushAllowed(f, allow.Fingerprints); ok {
			bypassed = append(bypassed, Bypass{Finding: f, Via: "push-option", Source: AllowOption + "=" + fp})
			continue
		}
		var left []finding.Location
		source := ""
		for _, l := range f.Locations {
			if src := ignoredBy(f, l, lists); src != "" {
				if source == "" {
					source = src
				}
				continue
			}
			left = append(left, l)
		}
		if len(left) == 0 && source != "" {
			bypassed = append(bypassed, Bypass{Finding: f, Via: "ignore-file", Source: source})
			continue
		}
		f.Locations = left
		kept = append(kept, f)
	}
	return kept, bypassed
}

func pushAllowed(f finding.Finding, fps map[string]bool) (string, bool) {
	for _, fp := range append([]string{f.Fingerprint}, f.Aliases...) {
		if fps[strings.ToLower(fp)] {
			return fp, true
		}
	}
	return "", false
}

func ignoredBy(f finding.Finding, l finding.Location, lists []AllowList) string {
	for _, al := range lists {
		for _, fp := range append([]string{f.Fingerprint}, f.Aliases...) {
			if al.List.Ignored(fp, f.RuleID, l) {
				return al.Source
			}
		}
	}
	return ""
}

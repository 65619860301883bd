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
	var tips []string
	for _, u := range updates {
		if !u.Deletion() {
			tips = append(tips, u.New)
		}
	}
	types, err := peeledTypes(ctx, dir, tips)
	if err != nil {
		return nil, err
	}
	var scannable []RefUpdate
	for _, u := range updates {
		if u.Deletion() {
			continue
		}
		if types[u.New] != "commit" {
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

// peeledTypes gives the type of the object each pushed tip names once
// annotated tags are peeled (commit, tree or blob), with one git process
// for the whole push. A missing object is an error: a hook that cannot see
// the quarantine must not pass the push as clean.
func peeledTypes(ctx context.Context, dir string, ids []string) (map[string]string, error) {
	types := map[string]string{}
	if len(ids) == 0 {
		return types, nil
	}
	var in strings.Builder
	for _, id := range ids {
		if !validID(id) {
			return nil, fmt.Errorf("pushed object %q is not an object name", id)
		}
		in.WriteString(id + "^{}\n")
	}
	out, err := batchCat(ctx, dir, "--batch-check=%(objecttype)", in.String())
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ids) {
		return nil, fmt.Errorf("git cat-file: %d answers for %d pushed objects", len(lines), len(ids))
	}
	for i, id := range ids {
		typ := strings.TrimSpace(lines[i])
		if strings.HasSuffix(typ, " missing") || typ == "" {
			return nil, fmt.Errorf("pushed object %s is not readable (is the hook's quarantine environment, GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES, passed through?)", id)
		}
		types[id] = typ
	}
	return types, nil
}

// batchCat runs git cat-file in a batch mode with in as its input.
func batchCat(ctx context.Context, dir, mode, in string) ([]byte, error) {
	cmd := gitCmd(ctx, dir, "cat-file", mode)
	cmd.Stdin = strings.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git cat-file: %s", firstLine(strings.TrimSpace(stderr.String()), err))
	}
	return out, nil
}

// attributeRefs names, for each commit holding a finding, a pushed ref
// whose new tip reaches it: one `git log --source` walk over the pushed
// commits, however many refs the push updates.
func attributeRefs(ctx context.Context, dir string, updates []RefUpdate, fs []finding.Finding, refOf map[string]string) error {
	want := map[string]bool{}
	for i := range fs {
		for _, l := range fs[i].Locations {
			if l.Commit != "" {
				want[l.Commit] = true
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	if len(updates) == 1 {
		for c := range want {
			refOf[c] = updates[0].Ref
		}
		return nil
	}
	refByTip := map[string]string{}
	for _, u := range updates {
		if _, ok := refByTip[u.New]; !ok {
			refByTip[u.New] = u.Ref
		}
	}
	args := append([]string{"log", "--source", "--format=%H %S"}, PushRevs(updates)...)
	cmd := gitCmd(ctx, dir, append(args, "--")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("git log --source: %s", firstLine(strings.TrimSpace(stderr.String()), err))
	}
	for _, line := range strings.Split(string(out), "\n") {
		sha, tip, ok := strings.Cut(line, " ")
		if ok && want[sha] {
			refOf[sha] = refByTip[tip]
		}
	}
	return nil
}

// maxIgnoreFile bounds a .gitleaksignore read from a pushed commit.
const maxIgnoreFile = 1 << 20

// IgnoreFiles reads the .gitleaksignore at the root of each pushed tip:
// the repository's own allowlist as the push would leave it, one list per
// distinct file, named "<tip>:.gitleaksignore" after the first tip holding
// it. A tip without one adds nothing; a malformed or oversized one is an
// error naming it. One git process reads them all.
func IgnoreFiles(ctx context.Context, dir string, tips []string) ([]AllowList, error) {
	if len(tips) == 0 {
		return nil, nil
	}
	var in strings.Builder
	for _, t := range tips {
		if !validID(t) {
			return nil, fmt.Errorf("ignore file: %q is not an object name", t)
		}
		in.WriteString(t + ":.gitleaksignore\n")
	}
	out, err := batchCat(ctx, dir, "--batch", in.String())
	if err != nil {
		return nil, err
	}
	var lists []AllowList
	seen := map[string]bool{}
	r := bufio.NewReader(bytes.NewReader(out))
	for _, t := range tips {
		spec := t + ":.gitleaksignore"
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("git cat-file: truncated answer for %s", spec)
		}
		f := strings.Fields(hdr)
		if len(f) == 2 && f[1] == "missing" {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file: bad header %q for %s", truncate(hdr, 80), spec)
		}
		var size int
		if _, err := fmt.Sscan(f[2], &size); err != nil || size < 0 {
			return nil, fmt.Errorf("git cat-file: bad size for %s", spec)
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("git cat-file: truncated %s", spec)
		}
		if f[1] != "blob" || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		if size > maxIgnoreFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", spec, maxIgnoreFile)
		}
		il, err := ParseIgnore(bytes.NewReader(data[:size]))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		lists = append(lists, AllowList{Source: spec, List: il})
	}
	return lists, nil
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

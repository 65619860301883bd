package scanner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A repository with a missing or unreadable commit or tree makes `git log`
// stop at the first one. walkTolerant is the walk used then: it follows the
// commit graph itself (reading commits with cat-file, skipping those it
// cannot read), then asks git log for each commit's changes in chunks,
// restarting after a commit whose trees cannot be read. What it skips is
// returned for Stats; everything else is walked as git log would.

// skippedObject is a commit (or its tree) the walk could not read.
type skippedObject struct {
	id     string
	reason string
}

// walkTolerant walks revs like walkGitLog, skipping unreadable commits and
// trees. It fails only when the revisions themselves cannot be resolved.
func walkTolerant(ctx context.Context, dir string, revs []string) (*history, []skippedObject, error) {
	pos, neg, err := resolveRevs(ctx, dir, revs)
	if err != nil {
		return nil, nil, err
	}
	rd, err := startCommitReader(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	defer rd.close()
	var skipped []skippedObject
	excluded := map[string]bool{}
	if _, err := rd.reach(neg, excluded, nil, &skipped); err != nil {
		return nil, nil, err
	}
	skipped = skipped[:0] // unreadable excluded history is not ours to report
	list, err := rd.reach(pos, map[string]bool{}, excluded, &skipped)
	if err != nil {
		return nil, nil, err
	}
	h, bad, err := logListed(ctx, dir, list)
	if err != nil {
		return nil, nil, err
	}
	// A commit git could not diff (its parent's tree is unreadable) still
	// has its own tree: its blobs that no walked commit adds, and that no
	// excluded commit holds, are taken as added by it.
	known := map[oid]bool{}
	for _, c := range h.changes {
		known[c.new] = true
	}
	for _, n := range neg {
		for id := range treeBlobs(ctx, dir, n) {
			known[id] = true
		}
	}
	var still []skippedObject
	for _, sk := range bad {
		if !recoverFromTree(ctx, dir, h, sk.id, known) {
			still = append(still, sk)
		}
	}
	return h, append(skipped, still...), nil
}

// treeBlobs lists the blobs of a commit's tree by path; nil when the tree
// cannot be read in full.
func treeBlobs(ctx context.Context, dir, commit string) map[oid]string {
	out, err := gitCmd(ctx, dir, "ls-tree", "-r", "-z", "--full-tree", commit).Output()
	if err != nil {
		return nil
	}
	blobs := map[oid]string{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		tab := bytes.IndexByte(rec, '\t')
		if tab < 0 {
			continue
		}
		f := strings.Fields(string(rec[:tab]))
		if len(f) == 3 && f[1] == "blob" {
			if id, ok := parseOID(f[2]); ok {
				blobs[id] = string(rec[tab+1:])
			}
		}
	}
	return blobs
}

// recoverFromTree adds commit to h with the blobs of its own tree not in
// known; false when its tree cannot be read either.
func recoverFromTree(ctx context.Context, dir string, h *history, commit string, known map[oid]bool) bool {
	blobs := treeBlobs(ctx, dir, commit)
	if blobs == nil {
		return false
	}
	info, err := logNoWalkInfo(ctx, dir, commit)
	if err != nil {
		return false
	}
	idx := int32(len(h.commits))
	h.commits = append(h.commits, info)
	for id, path := range blobs {
		if known[id] {
			continue
		}
		known[id] = true
		h.changes = append(h.changes, change{commit: idx, path: path, new: id})
	}
	return true
}

// logNoWalkInfo is a commit's author line (no diff: nothing else to read).
func logNoWalkInfo(ctx context.Context, dir, commit string) (commitInfo, error) {
	out, err := gitCmd(ctx, dir, "log", "--no-walk", "--format=%x01%H%x00%an%x00%ae%x00%at%x00", commit, "--").Output()
	if err != nil {
		return commitInfo{}, err
	}
	h, err := parseGitLog(bufio.NewReader(bytes.NewReader(out)))
	if err != nil || len(h.commits) != 1 {
		return commitInfo{}, fmt.Errorf("git log: no commit %s", commit)
	}
	return h.commits[0], nil
}

// resolveRevs turns revs into commit-ish ids to include and to exclude.
func resolveRevs(ctx context.Context, dir string, revs []string) (pos, neg []string, err error) {
	args := append([]string{"rev-parse"}, revs...)
	cmd := gitCmd(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("git rev-parse: %s", firstLine(strings.TrimSpace(stderr.String()), err))
	}
	for _, l := range strings.Fields(string(out)) {
		if id, ok := strings.CutPrefix(l, "^"); ok {
			neg = append(neg, id)
		} else {
			pos = append(pos, l)
		}
	}
	if slices.Contains(revs, "--all") {
		// HEAD, as git log --all walks it (a detached HEAD).
		if out, err := gitCmd(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD").Output(); err == nil {
			pos = append(pos, strings.TrimSpace(string(out)))
		}
	}
	return pos, neg, nil
}

// commitReader reads objects one at a time from `git cat-file --batch`.
type commitReader struct {
	in   io.WriteCloser
	out  *bufio.Reader
	wait func() error
}

func startCommitReader(ctx context.Context, dir string) (*commitReader, error) {
	cmd := gitCmd(ctx, dir, "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	return &commitReader{in: in, out: bufio.NewReader(out), wait: cmd.Wait}, nil
}

func (r *commitReader) close() {
	r.in.Close()
	_, _ = io.Copy(io.Discard, r.out)
	_ = r.wait()
}

// read returns an object's type and content; typ "missing" when git cannot
// give it.
func (r *commitReader) read(id string) (typ string, data []byte, err error) {
	if _, err := io.WriteString(r.in, id+"\n"); err != nil {
		return "", nil, fmt.Errorf("git cat-file: %w", err)
	}
	line, err := r.out.ReadString('\n')
	if err != nil {
		return "", nil, fmt.Errorf("git cat-file: truncated header")
	}
	f := strings.Fields(line)
	if len(f) == 2 {
		return "missing", nil, nil
	}
	if len(f) != 3 {
		return "", nil, fmt.Errorf("git cat-file: bad header %q", truncate(line, 80))
	}
	size, err := strconv.Atoi(f[2])
	if err != nil || size < 0 {
		return "", nil, fmt.Errorf("git cat-file: bad size in %q", truncate(line, 80))
	}
	data = make([]byte, size+1)
	if _, err := io.ReadFull(r.out, data); err != nil {
		return "", nil, fmt.Errorf("git cat-file: truncated object %s", id)
	}
	return f[1], data[:size], nil
}

// reach walks the commits reachable from starts (peeling tags), not in
// stop, recording each in seen, and returns them newest first by committer
// date. An unreadable commit is skipped (its history beyond is reachable
// only through other paths).
func (r *commitReader) reach(starts []string, seen, stop map[string]bool, skipped *[]skippedObject) ([]string, error) {
	type dated struct {
		id string
		at int64
	}
	var out []dated
	queue := slices.Clone(starts)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] || stop[id] {
			continue
		}
		seen[id] = true
		typ, data, err := r.read(id)
		if err != nil {
			return nil, err
		}
		switch typ {
		case "tag":
			if obj, ok := header(data, "object"); ok {
				queue = append(queue, obj)
			}
		case "commit":
			var at int64
			if c, ok := header(data, "committer"); ok {
				// Name <email> TIMESTAMP ZONE
				if f := strings.Fields(c); len(f) >= 2 {
					at, _ = strconv.ParseInt(f[len(f)-2], 10, 64)
				}
			}
			out = append(out, dated{id, at})
			for _, l := range strings.Split(string(data[:headerEnd(data)]), "\n") {
				if p, ok := strings.CutPrefix(l, "parent "); ok {
					queue = append(queue, p)
				}
			}
		case "missing":
			*skipped = append(*skipped, skippedObject{id: id, reason: "commit missing or unreadable"})
		}
	}
	slices.SortStableFunc(out, func(a, b dated) int {
		switch {
		case a.at > b.at:
			return -1
		case a.at < b.at:
			return 1
		}
		return 0
	})
	ids := make([]string, len(out))
	for i, d := range out {
		ids[i] = d.id
	}
	return ids, nil
}

func headerEnd(data []byte) int {
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		return i
	}
	return len(data)
}

// header returns the value of the first header line named name.
func header(data []byte, name string) (string, bool) {
	for _, l := range strings.Split(string(data[:headerEnd(data)]), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v, true
		}
	}
	return "", false
}

// logListed runs git log over exactly these commits, in this order. When git
// stops at a commit whose trees it cannot read, the commits around the stop
// are retried alone, the unreadable one is skipped, and the walk goes on
// after it.
func logListed(ctx context.Context, dir string, commits []string) (*history, []skippedObject, error) {
	h := &history{}
	var skipped []skippedObject
	for len(commits) > 0 {
		part, err := logNoWalk(ctx, dir, commits)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		if err == nil {
			mergeHistory(h, part, len(part.commits))
			break
		}
		// git printed the commits before the one it stopped at (the last of
		// them possibly cut short): keep the complete ones, retry the
		// others alone.
		k := 0
		if part != nil {
			k = len(part.commits)
		}
		done := max(k-1, 0)
		mergeHistory(h, part, done)
		end := min(k+1, len(commits))
		for _, c := range commits[done:end] {
			one, err := logNoWalk(ctx, dir, []string{c})
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if err != nil {
				skipped = append(skipped, skippedObject{id: c, reason: "its tree (or its parent's) could not be read"})
				continue
			}
			mergeHistory(h, one, len(one.commits))
		}
		commits = commits[end:]
	}
	return h, skipped, nil
}

// mergeHistory appends the first n commits of part (and their changes) to h.
func mergeHistory(h, part *history, n int) {
	if part == nil || n <= 0 {
		return
	}
	base := int32(len(h.commits))
	h.commits = append(h.commits, part.commits[:n]...)
	for _, c := range part.changes {
		if int(c.commit) < n {
			c.commit += base
			h.changes = append(h.changes, c)
		}
	}
}

// logNoWalk is walkGitLog's git log over the given commits only. On
// failure it returns what was parsed before git stopped.
func logNoWalk(ctx context.Context, dir string, commits []string) (*history, error) {
	cmd := gitCmd(ctx, dir, "log", "--no-walk=unsorted", "--stdin", "--raw", "--no-abbrev", "--no-renames", "-z",
		"--format=%x01%H%x00%an%x00%ae%x00%at%x00")
	cmd.Stdin = strings.NewReader(strings.Join(commits, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	h, perr := parseGitLog(bufio.NewReaderSize(out, 1<<20))
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if werr != nil {
		return h, fmt.Errorf("git log: %s", firstLine(strings.TrimSpace(stderr.String()), werr))
	}
	if perr != nil {
		return h, fmt.Errorf("git log: parse: %w", perr)
	}
	return h, nil
}

// looseObjectExists reports whether id is stored as a loose object in the
// repository at dir (so "missing" from cat-file means unreadable there).
func looseObjectExists(gitDir string, id oid) bool {
	s := id.String()
	_, err := os.Lstat(filepath.Join(gitDir, "objects", s[:2], s[2:]))
	return err == nil
}

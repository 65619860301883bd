package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"nhiscan/finding"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// HistoryOptions select what `scan git` reads.
type HistoryOptions struct {
	// Revs are the git revisions to walk (`--all` when empty): a range
	// "A..B", a branch, or "^SHA" exclusions.
	Revs []string
	// GoGit forces the pure-Go reader even when git is installed.
	GoGit bool
	// Unreachable also reports secrets in blobs that no walked commit adds:
	// dangling objects, or content only a merge produced. They have no path,
	// so path allowlists cannot apply to them.
	Unreachable bool
}

// Scanner turns sources into Findings with an Engine. It is safe for
// concurrent use; each Scan call is independent.
type Scanner struct {
	Engine *Engine
	// Workers bounds the parallel scanning goroutines (default GOMAXPROCS).
	Workers int
	// MaxBlobBytes skips blobs and files larger than this (counted in
	// Stats.SkippedLarge); 0 means no limit.
	MaxBlobBytes int64
	// ScanBinary also scans binary content (files with a NUL byte in their
	// first 8000 bytes, git's own test); by default they are counted and
	// skipped.
	ScanBinary bool
	// Ignore drops locations listed in a .gitleaksignore (may be nil).
	Ignore *IgnoreList
	// Parts assembles multi-part credentials (nil: each rule's match is
	// its own credential, merged only with matches of the same secret).
	Parts PartFinder
	// Fingerprints computes credential fingerprints (the installation's
	// key; the zero value is unkeyed, for tests).
	Fingerprints finding.Fingerprinter
	Log          *slog.Logger
	// Progress, when set, is advanced as objects (history) or files (dir)
	// are read, for a progress display.
	Progress *Progress
}

func (s *Scanner) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (s *Scanner) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// historyScan is the state of one ScanHistory call.
type historyScan struct {
	s     *Scanner
	lines *lineSet

	mu       sync.Mutex
	blobs    []oid           // index -> id
	index    map[oid]int32   // id -> index
	hits     map[int32][]hit // direct hits per blob
	anchors  map[uint64][]anchored
	sightsMu sync.Mutex
	sights   []lineSighting

	sup *suppressCounts // what was dropped on purpose, and by what

	failedAll bool         // cat-file --batch-all-objects stopped part-way
	missing   map[oid]bool // blobs cat-file reported missing
	corrupt   map[oid]bool // blobs present but unreadable (truncated, bad zlib)
	dir       string
	gitDir    string // resolved when a "missing" answer needs telling apart

	scannedBlobs atomic.Int64
	scannedBytes atomic.Int64
	skippedLarge atomic.Int64
	skippedBin   atomic.Int64
}

// anchored is a hit expressed relative to the first new line it covers, so
// it can be placed in every other blob holding that line.
type anchored struct {
	h        hit
	lineDiff int // hit.StartLine - (anchor line, 1-based)
}

type lineSighting struct {
	h  uint64
	sg sighting
}

// ScanHistory scans every blob reachable from opts.Revs once and returns one
// Finding per secret, located at the commits that added it.
func (s *Scanner) ScanHistory(ctx context.Context, dir string, opts HistoryOptions) (*finding.Result, error) {
	if err := checkRepo(ctx, dir); err != nil {
		return nil, err
	}
	hs := &historyScan{
		s:       s,
		dir:     dir,
		lines:   newLineSet(),
		index:   map[oid]int32{},
		hits:    map[int32][]hit{},
		anchors: map[uint64][]anchored{},
		sup:     &suppressCounts{},
	}
	ctx = withSuppress(ctx, hs.sup)
	useCLI := gitAvailable() && !opts.GoGit
	revs := opts.Revs
	full := len(revs) == 0
	if full {
		revs = []string{"--all"}
	}

	var (
		hist           *history
		stats          finding.Stats
		skippedCommits []skippedObject
	)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if useCLI {
		// The walk costs about a fifth of the read: run it beside the scan.
		var histErr error
		walked := make(chan struct{})
		go func() {
			defer close(walked)
			hist, histErr = walkGitLog(gctx, dir, revs)
			if histErr != nil && gctx.Err() == nil {
				// A missing or unreadable commit or tree stops git log:
				// walk again around it (the revisions themselves being
				// wrong fails here too, with git's own message kept).
				if h, sk, err := walkTolerant(gctx, dir, revs); err == nil {
					hist, histErr, skippedCommits = h, nil, sk
				}
			}
			if histErr != nil {
				cancel() // no point reading objects the history cannot place
			}
		}()
		if full {
			if err := hs.readAll(gctx, dir, &stats); err != nil {
				<-walked
				if histErr != nil {
					return nil, histErr
				}
				return nil, err
			}
			<-walked
			if histErr != nil {
				return nil, histErr
			}
			// Objects the history names that the store could not give us.
			var rest []oid
			seen := map[oid]bool{}
			for _, c := range hist.changes {
				// An object cat-file already reported missing or corrupt is counted once.
				if _, ok := hs.index[c.new]; !ok && !seen[c.new] && !hs.corrupt[c.new] && !hs.missing[c.new] {
					seen[c.new] = true
					rest = append(rest, c.new)
				}
			}
			if len(rest) > 0 && hs.failedAll {
				// cat-file died part-way (corrupt pack): read the rest one by one.
				if err := hs.readList(gctx, dir, rest, &stats); err != nil {
					return nil, err
				}
			} else {
				stats.MissingObjects += len(rest)
				hs.noteMissing(rest, &stats)
			}
		} else {
			<-walked
			if histErr != nil {
				return nil, histErr
			}
			if err := hs.readList(gctx, dir, uniqueNew(hist), &stats); err != nil {
				return nil, err
			}
		}
	} else {
		h, err := hs.scanGoGit(gctx, dir, revs, &stats)
		if err != nil {
			return nil, err
		}
		hist = h
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	head, err := headBlobs(ctx, dir, useCLI)
	if err != nil {
		s.log().Warn("cannot list the default branch tip; in_head left false", "err", err)
	}
	res := hs.assemble(hist, head, opts.Unreachable)
	s.log().Info("history scanned", "commits", len(hist.commits), "changes", len(hist.changes),
		"blobs", hs.scannedBlobs.Load(), "bytes", hs.scannedBytes.Load(), "distinct_line_pairs", hs.lines.size())
	stats.Commits = len(hist.commits)
	stats.Blobs = int(hs.scannedBlobs.Load())
	stats.Bytes = hs.scannedBytes.Load()
	stats.SkippedLarge = int(hs.skippedLarge.Load())
	stats.SkippedBinary = int(hs.skippedBin.Load())
	if len(skippedCommits) > 0 {
		stats.MissingObjects += len(skippedCommits)
		for i, sk := range skippedCommits {
			if i == 5 {
				stats.Warnings = append(stats.Warnings, fmt.Sprintf("… and %d more commits skipped", len(skippedCommits)-5))
				break
			}
			stats.Warnings = append(stats.Warnings, fmt.Sprintf("commit %s skipped: %s", sk.id, sk.reason))
		}
	}
	stats.CorruptObjects = len(hs.corrupt)
	if stats.CorruptObjects > 0 {
		stats.Warnings = append(stats.Warnings, fmt.Sprintf("%d objects are corrupt (present but unreadable: truncated or damaged) and were skipped", stats.CorruptObjects))
	}
	if stats.MissingObjects > 0 {
		stats.Warnings = append(stats.Warnings, fmt.Sprintf("%d objects named by the history are missing from the repository (partial or shallow clone?); everything else was scanned", stats.MissingObjects))
	}
	if stats.SkippedLarge > 0 {
		stats.Warnings = append(stats.Warnings, fmt.Sprintf("%d blobs larger than the size limit were skipped (--max-target-megabytes)", stats.SkippedLarge))
	}
	stats.Suppressed = hs.sup.stats()
	res.Stats = stats
	return res, nil
}

// checkRepo gives a clear error for a path that is not a git repository.
func checkRepo(ctx context.Context, dir string) error {
	if gitAvailable() {
		out, err := gitCmd(ctx, dir, "rev-parse", "--git-dir").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s is not a git repository: %s", dir, firstLine(string(bytes.TrimSpace(out)), err))
		}
		return nil
	}
	_, err := openGoGit(dir)
	return err
}

func uniqueNew(h *history) []oid {
	seen := make(map[oid]struct{}, len(h.changes))
	var ids []oid
	for _, c := range h.changes {
		if _, ok := seen[c.new]; ok {
			continue
		}
		seen[c.new] = struct{}{}
		ids = append(ids, c.new)
	}
	return ids
}

func (hs *historyScan) noteMissing(ids []oid, stats *finding.Stats) {
	for i, id := range ids {
		if i == 5 {
			hs.s.log().Warn("more objects missing", "count", len(ids)-5)
			break
		}
		hs.s.log().Warn("object missing from the repository", "blob", id.String())
	}
}

// blobJob is one blob handed to a worker.
type blobJob struct {
	idx  int32
	data *[]byte
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// register adds a blob to the table and returns its index, or -1 when it
// was already scanned.
func (hs *historyScan) register(id oid) int32 {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if _, ok := hs.index[id]; ok {
		return -1
	}
	i := int32(len(hs.blobs))
	hs.blobs = append(hs.blobs, id)
	hs.index[id] = i
	return i
}

// readAll streams every object of the repository through the workers.
func (hs *historyScan) readAll(ctx context.Context, dir string, stats *finding.Stats) error {
	if hs.s.Progress != nil {
		hs.s.Progress.addTotal(countObjects(ctx, dir))
	}
	cf, err := startCatFile(ctx, dir, nil)
	if err != nil {
		return err
	}
	err = hs.pump(ctx, cf, stats, true)
	if werr := cf.wait(); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A corrupt pack stops git part-way: keep what was read and let the
		// caller read the rest object by object.
		hs.failedAll = true
		stats.Errors++
		stats.Warnings = append(stats.Warnings, "reading all objects failed part-way ("+err.Error()+"); the rest is read one object at a time")
	}
	return nil
}

// readList reads the given blobs; a corrupt object that stops git is
// counted and skipped, and reading resumes after it.
func (hs *historyScan) readList(ctx context.Context, dir string, ids []oid, stats *finding.Stats) error {
	hs.s.Progress.addTotal(int64(len(ids)))
	for len(ids) > 0 {
		hs.mu.Lock()
		corruptBefore := len(hs.corrupt)
		hs.mu.Unlock()
		cf, err := startCatFile(ctx, dir, ids)
		if err != nil {
			return err
		}
		perr := hs.pump(ctx, cf, stats, false)
		werr := cf.wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if perr == nil && werr == nil {
			return nil
		}
		// Find how far git got: every id before the first unread one is done.
		next := 0
		hs.mu.Lock()
		for next < len(ids) {
			if _, ok := hs.index[ids[next]]; !ok && !hs.missing[ids[next]] && !hs.corrupt[ids[next]] {
				break
			}
			next++
		}
		blamed := len(hs.corrupt) > corruptBefore // pump saw the object git stopped at
		hs.mu.Unlock()
		if next >= len(ids) {
			return nil
		}
		if blamed {
			ids = ids[next:]
			continue
		}
		bad := ids[next]
		hs.markCorrupt(bad)
		hs.s.log().Warn("unreadable object skipped", "blob", bad.String(), "err", errors.Join(perr, werr))
		ids = ids[next+1:]
	}
	return nil
}

// markCorrupt records a blob that is present but cannot be read.
func (hs *historyScan) markCorrupt(id oid) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.corrupt == nil {
		hs.corrupt = map[oid]bool{}
	}
	hs.corrupt[id] = true
}

// absent tells a missing object from a present one git cannot read: an
// object --batch-all-objects listed exists, and so does a loose object file.
func (hs *historyScan) absent(ctx context.Context, id oid, listed bool) bool {
	if listed {
		return false
	}
	if hs.gitDir == "" {
		out, err := gitCmd(ctx, hs.dir, "rev-parse", "--absolute-git-dir").Output()
		if err != nil {
			return true
		}
		hs.gitDir = strings.TrimSpace(string(out))
	}
	return !looseObjectExists(hs.gitDir, id)
}

// pump reads objects from cat-file and scans the blobs with the workers.
// all says the objects come from --batch-all-objects (so every one exists).
func (hs *historyScan) pump(ctx context.Context, cf *catFile, stats *finding.Stats, all bool) error {
	jobs := make(chan blobJob, 2*hs.s.workers())
	g, gctx := errgroup.WithContext(ctx)
	for range hs.s.workers() {
		g.Go(func() error {
			for j := range jobs {
				hs.scanBlob(gctx, j.idx, *j.data)
				*j.data = (*j.data)[:0]
				bufPool.Put(j.data)
			}
			return nil
		})
	}
	readErr := func() error {
		defer close(jobs)
		for {
			if err := gctx.Err(); err != nil {
				return err
			}
			h, err := cf.next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			hs.s.Progress.add(1, h.size)
			if h.typ == "missing" {
				if !hs.absent(ctx, h.id, all) {
					hs.markCorrupt(h.id)
					hs.s.log().Warn("object unreadable (corrupt)", "blob", h.rawName)
					continue
				}
				hs.mu.Lock()
				if hs.missing == nil {
					hs.missing = map[oid]bool{}
				}
				counted := hs.missing[h.id]
				hs.missing[h.id] = true
				hs.mu.Unlock()
				if !counted {
					stats.MissingObjects++
				}
				hs.s.log().Warn("object missing from the repository", "blob", h.rawName)
				continue
			}
			if h.typ != "blob" {
				if _, err := cf.read(h, nil); err != nil {
					return err
				}
				continue
			}
			idx := hs.register(h.id)
			if idx < 0 || (hs.s.MaxBlobBytes > 0 && h.size > hs.s.MaxBlobBytes) {
				if idx >= 0 {
					hs.skippedLarge.Add(1)
					hs.s.log().Info("blob larger than the size limit skipped (--max-target-megabytes)", "blob", h.id.String(), "bytes", h.size)
				}
				if _, err := cf.read(h, nil); err != nil {
					return err
				}
				continue
			}
			bp := bufPool.Get().(*[]byte)
			data, err := cf.read(h, *bp)
			if err != nil {
				hs.markCorrupt(h.id) // its header came, its content did not
				return err
			}
			*bp = data
			select {
			case jobs <- blobJob{idx: idx, data: bp}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	}()
	werr := g.Wait()
	if readErr != nil {
		return readErr
	}
	return werr
}

// isBinary is git's own test: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	n := len(data)
	if n > 8000 {
		n = 8000
	}
	return bytes.IndexByte(data[:n], 0) >= 0
}

// scanBlob scans the lines of one blob that no other blob has shown yet.
func (hs *historyScan) scanBlob(ctx context.Context, idx int32, data []byte) {
	hs.scannedBlobs.Add(1)
	hs.scannedBytes.Add(int64(len(data)))
	if !hs.s.ScanBinary && isBinary(data) {
		// Counted as binary; only its strings are read, with the
		// high-confidence rules.
		hs.skippedBin.Add(1)
		if hits := hs.s.Engine.scanBinary(ctx, data, ""); len(hits) > 0 {
			hs.mu.Lock()
			hs.hits[idx] = append(hs.hits[idx], hits...)
			hs.mu.Unlock()
		}
		return
	}

	sp := startsPool.Get().(*[]int)
	t := splitLines(data, *sp)
	defer func() { *sp = t.starts[:0]; startsPool.Put(sp) }()

	n := t.lines()
	hp := hashPool.Get().(*[]uint64)
	claimed := (*hp)[:0]
	defer func() { *hp = claimed[:0]; hashPool.Put(hp) }()
	// claimIdx[i] is the index in claimed of line i's hash, or -1 when
	// another blob showed the line first.
	bp := batchPool.Get().(*lineBatch)
	defer batchPool.Put(bp)
	bp.reset()
	bp.claimIdx = slices.Grow(bp.claimIdx[:0], n)[:n]
	claimIdx := bp.claimIdx
	lineClaim := func(i int) int32 { return claimIdx[i] }
	type run struct{ from, to int }
	var runs []run // runs of claimed lines
	onHit := func(h uint64, sg sighting) {
		hs.sightsMu.Lock()
		hs.sights = append(hs.sights, lineSighting{h, sg})
		hs.sightsMu.Unlock()
	}
	var prev uint64
	for i := 0; i < n; i++ {
		claimIdx[i] = -1
		line := t.line(i)
		lh := hs.lines.hash(line)
		// A line is new when it is new after the line before it: a key on
		// one line and its value on the next are scanned together whenever
		// their pairing is new, even if each line was seen alone before.
		h := pairHash(prev, lh)
		prev = lh
		if len(line) < minLineLen && len(bytes.TrimSpace(line)) < minLineLen {
			// Too short to hold a secret on its own ("}", "", "end"): not
			// worth a set lookup. It is still read as context around
			// longer lines.
			continue
		}
		bp.hashes = append(bp.hashes, h)
		bp.lines = append(bp.lines, int32(i))
	}
	bp.claimed = slices.Grow(bp.claimed[:0], len(bp.hashes))[:len(bp.hashes)]
	clear(bp.claimed)
	bp.order = slices.Grow(bp.order[:0], len(bp.hashes))[:len(bp.hashes)]
	hs.lines.visitBatch(bp.hashes, idx, bp.lines, bp.claimed, bp.order, onHit)
	for k, ok := range bp.claimed {
		if !ok {
			continue
		}
		i := int(bp.lines[k])
		claimIdx[i] = int32(len(claimed))
		claimed = append(claimed, bp.hashes[k])
		if k := len(runs); k > 0 && runs[k-1].to == i-1 {
			runs[k-1].to = i
		} else {
			runs = append(runs, run{i, i})
		}
	}
	if len(runs) == 0 {
		return
	}
	var hits []hit
	wanted := func(l int) bool { return claimIdx[l] >= 0 }
	for _, r := range runs {
		// One line of context before a run: a key name may be old while
		// its value is new. A PEM BEGIN line (with encryption headers after
		// it) may be a few lines up while the key body is new.
		from, to := r.from-1, r.to
		for l := r.from - 1; l >= 0 && l >= r.from-pemLookback; l-- {
			if bytes.Contains(t.line(l), []byte("-----BEGIN")) {
				from = l
				break
			}
		}
		// A PuTTY key's header is a dozen lines above its private lines.
		for l := r.from - 1; l >= 0 && l >= r.from-puttyLookback; l-- {
			if bytes.HasPrefix(t.line(l), []byte("PuTTY-User-Key-File-")) {
				from = min(from, l)
				break
			}
		}
		if from < 0 {
			from = 0
		}
		hits = append(hits, hs.s.Engine.scanLines(ctx, t, from, to, "", wanted)...)
	}
	hits = hs.s.Engine.shadowWeak(dedupHits(hits))
	anchorOf := map[int]bool{} // claimed line index -> anchors a hit
	if len(hits) > 0 {
		hs.mu.Lock()
		hs.hits[idx] = append(hs.hits[idx], hits...)
		for _, h := range hits {
			if l := anchorLine(t, h, lineClaim); l >= 0 {
				hs.anchors[claimed[lineClaim(l)]] = append(hs.anchors[claimed[lineClaim(l)]], anchored{h: h, lineDiff: h.StartLine - (l + 1)})
				anchorOf[l] = true
			}
		}
		hs.mu.Unlock()
	}
	for i := 0; i < n; i++ {
		ci := lineClaim(i)
		if ci < 0 {
			continue
		}
		for _, sg := range hs.lines.settle(claimed[ci], anchorOf[i]) {
			onHit(claimed[ci], sg)
		}
	}
}

// pairHash combines the hashes of a line and the line before it.
func pairHash(prev, line uint64) uint64 {
	return line ^ (prev<<17|prev>>47)*0x9E3779B97F4A7C15
}

// anchorLine picks the line through which a hit is found again in other
// blobs: among the hit's lines that this blob was first to show, the
// longest. For a one-line hit that is its line; for a PEM key it is a body
// line, never the BEGIN or END line that every key of its kind shares (a
// sighting of those would place this key in every file holding another).
// -1 when none of the hit's lines is new here.
func anchorLine(t text, h hit, claim func(int) int32) int {
	best, bestLen := -1, -1
	for l := h.StartLine - 1; l <= h.EndLine-1 && l < t.lines(); l++ {
		if l < 0 || claim(l) < 0 {
			continue
		}
		if n := len(t.line(l)); n > bestLen {
			best, bestLen = l, n
		}
	}
	return best
}

// minLineLen is the shortest line (without surrounding blanks) tracked in
// the line set; no rule matches a secret in fewer bytes.
const minLineLen = 6

// pemLookback is how far above a run of new lines a PEM BEGIN line is
// looked for (BEGIN, Proc-Type, DEK-Info, blank line, body).
const pemLookback = 4

// puttyLookback is how far above a run of new lines a PuTTY key header is
// looked for (header, 3 fields, public lines of a 4096-bit RSA key).
const puttyLookback = 16

// lineBatch holds one blob's line hashes on their way to the line set.
type lineBatch struct {
	hashes   []uint64
	lines    []int32
	claimed  []bool
	order    []int32
	claimIdx []int32
}

func (b *lineBatch) reset() {
	b.hashes, b.lines, b.claimed = b.hashes[:0], b.lines[:0], b.claimed[:0]
}

var (
	batchPool  = sync.Pool{New: func() any { return new(lineBatch) }}
	startsPool = sync.Pool{New: func() any { s := make([]int, 0, 1024); return &s }}
	hashPool   = sync.Pool{New: func() any { s := make([]uint64, 0, 1024); return &s }}
)

// dedupHits drops repeated (rule, secret, line, column) hits from
// overlapping windows.
func dedupHits(hits []hit) []hit {
	if len(hits) < 2 {
		return hits
	}
	type key struct {
		rule, secret string
		line, col    int
	}
	seen := make(map[key]bool, len(hits))
	out := hits[:0]
	for _, h := range hits {
		k := key{h.RuleID, h.Secret, h.StartLine, h.StartCol}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, h)
	}
	return out
}

// IsRepo reports whether dir is a git repository: a work tree (or a folder
// in one) or a bare repository.
func IsRepo(ctx context.Context, dir string) bool {
	return checkRepo(ctx, dir) == nil
}

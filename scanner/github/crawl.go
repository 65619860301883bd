package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"nhiscan/finding"
	"nhiscan/internal/store"
	"nhiscan/scanner"
)

// HistoryScanner scans a repository's history (scanner.Scanner does).
type HistoryScanner interface {
	ScanHistory(ctx context.Context, dir string, opts scanner.HistoryOptions) (*finding.Result, error)
}

// Repository outcomes of a crawl.
const (
	Scanned   = "scanned"   // new commits were scanned and committed
	Unchanged = "unchanged" // no ref moved since the last committed scan
	Failed    = "failed"    // listing, clone, fetch or scan failed; tips unchanged
	Gone      = "gone"      // deleted upstream (or no longer visible)
)

// RepoResult is what happened to one repository.
type RepoResult struct {
	Repo        Repo
	Outcome     string
	Err         string // secret-free, when Failed
	Incremental bool   // only commits new since the last run were scanned
	Commits     int
	Blobs       int
	Findings    int
	New         int
	Reappeared  int
	Duration    time.Duration
}

// Crawler crawls repositories into a store. Its fields are set once before
// Crawl; Crawl may run once at a time.
type Crawler struct {
	Lister  *Lister
	Cache   *Cache
	Store   store.Store
	Scanner HistoryScanner
	// Verify, when set, verifies a repository's findings (filling their
	// Verification) before they are recorded.
	Verify func(ctx context.Context, res *finding.Result) error
	// Recheck, when set, re-verifies what the store already knows about a
	// repository, so secrets that die (or come back to life) are noticed
	// even when no new commit holds them: res holds the repository's known
	// secrets not seen by this run's scan and not verified since the run
	// started, rebuilt from the store with their locations in this
	// repository and no secret (the store has none). Recheck re-reads each
	// secret from the mirror at dir and fills Verification; the answers are
	// recorded.
	Recheck func(ctx context.Context, dir string, res *finding.Result) error
	// SkipUnpushed skips, with no request at all, a repository whose
	// pushed_at is more than PushedAtMargin older than its last committed
	// (or confirmed) scan, confirmed less than FullCheckEvery ago, and
	// whose mirror still has the tips scanned. Trade-off: pull-request refs
	// moved from forks (which leave pushed_at alone) are seen at the
	// repository's next push, or FullCheckEvery later at most.
	SkipUnpushed bool
	// PushedAtMargin absorbs clock skew between GitHub and this machine
	// (default 10 minutes).
	PushedAtMargin time.Duration
	// FullCheckEvery bounds how long SkipUnpushed may trust pushed_at: a
	// repository not confirmed up to date for that long is asked again
	// (default 7 days).
	FullCheckEvery time.Duration
	// Concurrency bounds the clones, fetches and scans at once (default
	// 4): memory stays bounded by that many.
	Concurrency int
	// CheckConcurrency bounds the repositories in flight, most of them
	// only asking the remote whether a ref moved (network-bound; default
	// 4 × Concurrency).
	CheckConcurrency int
	Shard            Shard
	Progress         Progress
	Log              *slog.Logger
	Now              func() time.Time
}

// Report is a crawl's outcome.
type Report struct {
	Run   store.Run
	Scope string
	Repos []RepoResult // sorted by name
	// Findings are this run's findings merged by fingerprint (only the
	// locations in commits scanned by this run), each location's path
	// prefixed with its repository's OWNER/NAME.
	Findings []finding.Finding
	// Changes are what is new since the last finished run of the scope.
	Changes []store.Change
	Counts  store.RunCounts
}

// ByOutcome counts the repositories per outcome.
func (r *Report) ByOutcome() map[string]int {
	m := map[string]int{}
	for _, rr := range r.Repos {
		m[rr.Outcome]++
	}
	return m
}

func (c *Crawler) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now().UTC()
}

func (c *Crawler) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Scope is the run scope of a target and shard in the store.
func Scope(t Target, s Shard) string {
	if s.N > 1 {
		return t.String() + " shard " + s.String()
	}
	return t.String()
}

// Crawl lists the target's repositories (those of this shard that f keeps),
// brings each mirror up to date, scans the commits no earlier run scanned
// and commits each repository's result to the store. A repository that
// fails is recorded and reported; the others go on. When ctx ends, Crawl
// returns ctx's error with what was done: every repository finished before
// is committed, and the next Crawl of the same scope resumes the same run.
func (c *Crawler) Crawl(ctx context.Context, t Target, f Filter) (*Report, error) {
	scope := Scope(t, c.Shard)
	// A crawl of the same scope still running (another process sharing
	// the cache folder) holds the scope's lock: its unfinished run is not
	// ours to resume, so this crawl records a run of its own.
	begin := c.Store.BeginRun
	if unlock, ok, err := c.scopeLock(scope); err != nil {
		return nil, err
	} else if ok {
		defer unlock()
	} else {
		c.log().Warn("another crawl of this scope is running; this one records a separate run", "scope", scope)
		begin = c.Store.BeginNewRun
	}
	run, err := begin(ctx, scope, c.now())
	if err != nil {
		return nil, err
	}
	rep := &Report{Run: run, Scope: scope}
	if run.Resumed {
		c.log().Info("resuming an unfinished run", "scope", scope, "run", run.ID)
	}
	// List everything, filter here: a repository the filter leaves out is
	// not gone upstream.
	all, err := c.Lister.List(ctx, t, Filter{})
	if err != nil {
		return rep, err
	}
	var repos []Repo
	for _, r := range all {
		if c.Shard.Has(r.FullName) && f.Keep(r) {
			repos = append(repos, r)
		}
	}
	rep.Counts.ReposTotal = len(repos)
	gone, err := c.markGone(ctx, t, all)
	if err != nil {
		return rep, err
	}
	rep.Repos = append(rep.Repos, gone...)

	progress := c.Progress
	if progress == nil {
		progress = nopProgress{}
	}
	progress.Start(len(repos))
	defer progress.Finish()

	var (
		mu       sync.Mutex
		findings = map[string]*finding.Finding{}
		order    []string
	)
	g := &errgroup.Group{}
	heavy := c.Concurrency
	if heavy <= 0 {
		heavy = 4
	}
	light := c.CheckConcurrency
	if light <= 0 {
		light = 4 * heavy
	}
	g.SetLimit(max(light, heavy))
	sem := semaphore.NewWeighted(int64(heavy))
	for _, r := range repos {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			progress.Begin(r.FullName)
			rr, res := c.crawlRepo(ctx, run, r, sem)
			if ctx.Err() != nil && rr.Outcome == Failed {
				return nil // interrupted, not failed: the next run redoes it
			}
			mu.Lock()
			rep.Repos = append(rep.Repos, rr)
			if res != nil {
				for i := range res.Findings {
					nf := withRepoPaths(res.Findings[i], r.FullName)
					if have, ok := findings[nf.Fingerprint]; ok {
						have.Locations = append(have.Locations, nf.Locations...)
						have.InHead = have.InHead || nf.InHead
						if have.Verification == nil {
							have.Verification = nf.Verification
						}
					} else {
						findings[nf.Fingerprint] = &nf
						order = append(order, nf.Fingerprint)
					}
				}
			}
			mu.Unlock()
			progress.Done(r.FullName, rr)
			return nil
		})
	}
	g.Wait()
	sort.Strings(order)
	for _, fp := range order {
		rep.Findings = append(rep.Findings, *findings[fp])
	}
	sort.Slice(rep.Repos, func(i, j int) bool { return rep.Repos[i].Repo.FullName < rep.Repos[j].Repo.FullName })
	for _, rr := range rep.Repos {
		switch rr.Outcome {
		case Scanned:
			rep.Counts.ReposScanned++
		case Unchanged:
			rep.Counts.ReposSkipped++
		case Failed:
			rep.Counts.ReposFailed++
		}
	}
	rep.Counts.Findings = len(rep.Findings)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if rep.Changes, err = c.Store.Changes(ctx, scope, run.PrevFinished); err != nil {
		return rep, err
	}
	for _, ch := range rep.Changes {
		switch ch.Reason {
		case store.ChangeNew:
			rep.Counts.NewSecrets++
		case store.ChangeReappeared:
			rep.Counts.Reappeared++
		case store.ChangeLiveAgain:
			rep.Counts.LiveAgain++
		}
	}
	if err := c.Store.FinishRun(ctx, run.ID, rep.Counts, c.now()); err != nil {
		return rep, err
	}
	rep.Run.FinishedAt = c.now()
	return rep, nil
}

// scopeLock tries the scope's lock file in the cache folder.
func (c *Crawler) scopeLock(scope string) (unlock func(), ok bool, err error) {
	if c.Cache == nil || c.Cache.Dir == "" {
		return func() {}, true, nil
	}
	dir := filepath.Join(c.Cache.Dir, ".runs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("run lock: %w", err)
	}
	sum := sha256.Sum256([]byte(scope))
	return tryLock(filepath.Join(dir, hex.EncodeToString(sum[:8])+".lock"))
}

// markGone marks the store's repositories of the target's owners (and this
// shard) that the listing no longer has.
func (c *Crawler) markGone(ctx context.Context, t Target, listed []Repo) ([]RepoResult, error) {
	owners := t.Owners()
	if len(owners) == 0 {
		return nil, nil
	}
	have := map[string]bool{}
	for _, r := range listed {
		have[r.CloneURL] = true
	}
	known, err := c.Store.Repos(ctx)
	if err != nil {
		return nil, err
	}
	var out []RepoResult
	for _, k := range known {
		owner, _, ok := strings.Cut(k.Name, "/")
		if !ok || !slices.Contains(owners, strings.ToLower(owner)) || !c.Shard.Has(k.Name) || have[k.URL] || k.State == store.RepoDeleted {
			continue
		}
		if err := c.Store.MarkRepo(ctx, k.URL, store.RepoDeleted, "no longer listed upstream", c.now()); err != nil {
			return nil, err
		}
		c.log().Warn("repository no longer listed upstream; its secrets are kept", "repo", k.Name)
		out = append(out, RepoResult{Repo: Repo{FullName: k.Name, CloneURL: k.URL}, Outcome: Gone})
	}
	return out, nil
}

// crawlRepo crawls one repository: a light check first (did a ref move?),
// then, holding sem, the clone or fetch, the scan and the commit.
func (c *Crawler) crawlRepo(ctx context.Context, run store.Run, r Repo, sem *semaphore.Weighted) (RepoResult, *finding.Result) {
	runID := run.ID
	start := time.Now()
	rr := RepoResult{Repo: r}
	fail := func(err error) (RepoResult, *finding.Result) {
		rr.Duration = time.Since(start)
		if errors.Is(err, ErrGone) {
			rr.Outcome = Gone
			rr.Err = err.Error()
			if ctx.Err() == nil {
				c.Store.MarkRepo(ctx, r.CloneURL, store.RepoDeleted, err.Error(), c.now())
			}
			return rr, nil
		}
		rr.Outcome, rr.Err = Failed, err.Error()
		if ctx.Err() == nil {
			c.log().Warn("repository failed; the others go on", "repo", r.FullName, "err", err)
			if merr := c.Store.MarkRepo(ctx, r.CloneURL, store.RepoError, err.Error(), c.now()); merr != nil {
				c.log().Error("cannot record the failure", "repo", r.FullName, "err", merr)
			}
		}
		return rr, nil
	}
	prev, err := c.Store.Repo(ctx, r.CloneURL)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fail(err)
	}
	known := err == nil && !prev.ScannedAt.IsZero()
	if c.SkipUnpushed && known && prev.State == store.RepoOK && c.unpushed(r, prev) {
		if dir, err := c.Cache.Path(r); err == nil {
			if tips, err := Tips(dir); err == nil && maps.Equal(tips, prev.Tips) {
				c.recheck(ctx, run, dir, r, nil)
				rr.Outcome, rr.Duration = Unchanged, time.Since(start)
				return rr, nil
			}
		}
	}
	dir, same, err := c.Cache.UpToDate(ctx, r)
	if err != nil {
		return fail(err)
	}
	if !same {
		if err := sem.Acquire(ctx, 1); err != nil {
			return fail(err)
		}
		defer sem.Release(1)
		if dir, _, err = c.Cache.Sync(ctx, r); err != nil {
			return fail(err)
		}
	}
	tips, err := Tips(dir)
	if err != nil {
		return fail(err)
	}
	if known && maps.Equal(prev.Tips, tips) {
		// A repository that failed before and has nothing new is ok again;
		// with SkipUnpushed, one pushed around its last scan is confirmed
		// up to date now, so the next run can skip it.
		if prev.State != store.RepoOK || c.SkipUnpushed && !c.unpushed(r, prev) {
			if _, err := c.Store.CommitRepoScan(ctx, store.RepoScan{RunID: runID, Repo: repoRow(r, tips), At: c.now()}); err != nil {
				return fail(err)
			}
		}
		c.recheck(ctx, run, dir, r, nil)
		rr.Outcome, rr.Duration = Unchanged, time.Since(start)
		return rr, nil
	}
	res := &finding.Result{}
	if len(tips) > 0 {
		var revs []string
		if known {
			olds := slices.Sorted(maps.Values(prev.Tips))
			olds = slices.Compact(olds)
			if olds = present(dir, olds); len(olds) > 0 {
				revs = append(revs, "--all")
				for _, o := range olds {
					revs = append(revs, "^"+o)
				}
				rr.Incremental = true
			}
		}
		res, err = c.Scanner.ScanHistory(ctx, dir, scanner.HistoryOptions{Revs: revs})
		if err != nil {
			return fail(fmt.Errorf("scan %s: %w", r.FullName, err))
		}
		if c.Verify != nil && len(res.Findings) > 0 {
			if err := c.Verify(ctx, res); err != nil {
				c.log().Warn("verification failed; findings kept unverified", "repo", r.FullName, "err", err)
			}
		}
	}
	// Findings, their verification and the new tips: one transaction.
	d, err := c.Store.CommitRepoScan(ctx, store.RepoScan{RunID: runID, Repo: repoRow(r, tips), Findings: res.Findings, At: c.now()})
	if err != nil {
		return fail(err)
	}
	c.recheck(ctx, run, dir, r, res.Findings)
	rr.Outcome = Scanned
	rr.Commits, rr.Blobs, rr.Findings = res.Stats.Commits, res.Stats.Blobs, len(res.Findings)
	rr.New, rr.Reappeared = len(d.New), len(d.Reappeared)
	rr.Duration = time.Since(start)
	c.log().Info("repository scanned", "repo", r.FullName, "incremental", rr.Incremental, "commits", rr.Commits,
		"findings", rr.Findings, "new", rr.New)
	return rr, res
}

// unpushed reports whether nothing was pushed to r since its last scan.
func (c *Crawler) unpushed(r Repo, prev store.Repo) bool {
	margin := c.PushedAtMargin
	if margin <= 0 {
		margin = 10 * time.Minute
	}
	every := c.FullCheckEvery
	if every <= 0 {
		every = 7 * 24 * time.Hour
	}
	return !r.PushedAt.IsZero() && r.PushedAt.Add(margin).Before(prev.ScannedAt) && c.now().Sub(prev.ScannedAt) < every
}

// recheck runs Recheck on the repository's known secrets (see Recheck).
// Failures are logged: they never fail the repository.
func (c *Crawler) recheck(ctx context.Context, run store.Run, dir string, r Repo, scanned []finding.Finding) {
	if c.Recheck == nil {
		return
	}
	seen := map[string]bool{}
	for _, f := range scanned {
		seen[f.Fingerprint] = true
	}
	known, err := c.Store.Secrets(ctx, store.SecretFilter{Repo: r.CloneURL})
	if err != nil {
		c.log().Warn("cannot list known secrets to re-verify", "repo", r.FullName, "err", err)
		return
	}
	res := &finding.Result{}
	for _, sec := range known {
		if seen[sec.Fingerprint] || !sec.VerifiedAt.IsZero() && !sec.VerifiedAt.Before(run.StartedAt) {
			continue
		}
		locs, err := c.Store.Locations(ctx, sec.Fingerprint)
		if err != nil {
			c.log().Warn("cannot read locations to re-verify", "repo", r.FullName, "err", err)
			return
		}
		f := findingFromStore(sec, locs, r.CloneURL)
		f.Verification = nil
		res.Findings = append(res.Findings, f)
	}
	if len(res.Findings) == 0 {
		return
	}
	if err := c.Recheck(ctx, dir, res); err != nil {
		c.log().Warn("re-verification failed", "repo", r.FullName, "err", err)
		return
	}
	for _, f := range res.Findings {
		if f.Verification != nil && f.Verification.Status != "" {
			if _, err := c.Store.RecordVerification(ctx, run.ID, f.Fingerprint, *f.Verification); err != nil {
				c.log().Warn("cannot record a verification", "fingerprint", f.Fingerprint, "err", err)
			}
		}
	}
}

// findingFromStore rebuilds a finding from the store: no raw secret, only
// the redacted form; locations in repo only unless repo is "".
func findingFromStore(sec store.Secret, locs []store.Location, repo string) finding.Finding {
	f := finding.Finding{Fingerprint: sec.Fingerprint, RuleID: sec.RuleID, Provider: sec.Provider, Severity: sec.Severity,
		Redacted: sec.Redacted, InHead: sec.InHead}
	for _, l := range locs {
		if repo != "" && l.Repo != repo {
			continue
		}
		f.Locations = append(f.Locations, finding.Location{Commit: l.Commit, Path: l.Path, Line: l.Line, Column: l.Column,
			Author: l.Author, Email: l.Email, Date: l.Date})
	}
	if sec.Status != store.StatusUnverified && sec.Status != "" {
		f.Verification = &finding.Verification{Status: finding.Status(sec.Status), CheckedAt: sec.VerifiedAt, Identity: sec.Identity, Privileges: sec.Privilege}
	}
	return f
}

func repoRow(r Repo, tips map[string]string) store.Repo {
	return store.Repo{URL: r.CloneURL, Name: r.FullName, DefaultBranch: r.DefaultBranch, Tips: tips}
}

package scanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"nhiscan/finding"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"golang.org/x/sync/errgroup"
)

// ScanDir scans the files under root as they are on disk. Inside a git work
// tree it scans what git would see (tracked and untracked files, minus
// ignored ones); elsewhere every file, honoring .gitignore files found on
// the way. Symbolic links are never followed, so a planted link cannot make
// the scan read outside root.
func (s *Scanner) ScanDir(ctx context.Context, root string) (*finding.Result, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan dir: %w", err)
	}
	files := []string{}
	var stats finding.Stats
	if !info.IsDir() {
		files = append(files, filepath.Base(root))
		root = filepath.Dir(root)
	} else if fs, ok := gitListFiles(ctx, root); ok {
		files = fs
	} else if files, err = walkFiles(ctx, root, &stats); err != nil {
		return nil, err
	}
	sup := &suppressCounts{}
	ctx = withSuppress(ctx, sup)
	var (
		mu           sync.Mutex
		b            = s.newBuilder()
		scanned      atomic.Int64
		scannedBytes atomic.Int64
		skippedLarge atomic.Int64
		skippedBin   atomic.Int64
		errCount     atomic.Int64
		warnings     []string
	)
	b.sup = sup
	cfg := &s.Engine.rules.Config
	// Every read goes through an os.Root: a symlinked folder or file can
	// never lead the scan outside root.
	fsRoot, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("scan dir: %w", err)
	}
	defer fsRoot.Close()
	s.Progress.addTotal(int64(len(files)))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.workers())
	for _, rel := range files {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			data, err := readRegular(fsRoot, rel, s.MaxBlobBytes)
			s.Progress.add(1, int64(len(data)))
			switch {
			case err == errTooLarge:
				skippedLarge.Add(1)
				s.log().Info("file larger than the size limit skipped (--max-target-megabytes)", "path", filepath.ToSlash(rel))
				return nil
			case err == errNotRegular:
				return nil
			case isEscape(err):
				mu.Lock()
				warnings = append(warnings, fmt.Sprintf("%q not read: a symbolic link on its path leads outside the scanned folder", rel))
				mu.Unlock()
				return nil
			case err != nil:
				errCount.Add(1)
				mu.Lock()
				warnings = append(warnings, fmt.Sprintf("%q could not be read: %v", rel, err))
				mu.Unlock()
				return nil
			}
			scanned.Add(1)
			scannedBytes.Add(int64(len(data)))
			slashed := filepath.ToSlash(rel)
			var hits []hit
			if !s.ScanBinary && isBinary(data) {
				skippedBin.Add(1)
				hits = s.Engine.scanBinary(gctx, data, slashed)
			} else {

				t := splitLines(data, nil)
				hits = dedupHits(s.Engine.scanLines(gctx, t, 0, t.lines()-1, slashed, nil))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, h := range hits {
				if !locationAllowed(cfg, h, slashed, "", sup) {
					continue
				}
				b.add(h, finding.Location{Path: slashed, Line: h.StartLine, Column: h.StartCol, EndLine: h.EndLine, EndColumn: h.EndCol}, true)
			}
			for _, r := range pathOnlyRules(cfg) {
				if r.Path.MatchString(slashed) {
					h := hit{RuleID: r.RuleID, Match: "file detected: " + slashed}
					if locationAllowed(cfg, h, slashed, "", sup) {
						b.addPath(h, finding.Location{Path: slashed}, true)
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // a file cut short by cancellation is not a clean result
	}
	sort.Strings(warnings)
	stats.Blobs = int(scanned.Load())
	stats.Bytes = scannedBytes.Load()
	stats.SkippedLarge = int(skippedLarge.Load())
	stats.SkippedBinary = int(skippedBin.Load())
	stats.Errors += int(errCount.Load())
	stats.Warnings = append(stats.Warnings, warnings...)
	if stats.SkippedLarge > 0 {
		stats.Warnings = append(stats.Warnings, fmt.Sprintf("%d files larger than the size limit were skipped (--max-target-megabytes)", stats.SkippedLarge))
	}
	stats.Suppressed = sup.stats()
	return &finding.Result{Findings: b.findings(), Stats: stats}, nil
}

// isEscape reports os.Root's refusal of a path that leaves the root.
func isEscape(err error) bool { return err != nil && strings.Contains(err.Error(), "escapes") }

var (
	errTooLarge   = fmt.Errorf("too large")
	errNotRegular = fmt.Errorf("not a regular file")
)

// readRegular reads a regular file inside root, never through a symlink at
// its last component (os.Root refuses links that leave root on the way),
// up to max bytes (0 = no limit).
func readRegular(root *os.Root, path string, max int64) ([]byte, error) {
	fi, err := root.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotRegular
	}
	if max > 0 && fi.Size() > max {
		return nil, errTooLarge
	}
	f, err := root.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if max > 0 && int64(len(data)) > max {
		return nil, errTooLarge
	}
	return data, nil
}

// gitListFiles asks git which files a work tree holds (tracked, plus
// untracked ones that are not ignored). ok is false outside a work tree.
func gitListFiles(ctx context.Context, root string) ([]string, bool) {
	if !gitAvailable() {
		return nil, false
	}
	if out, err := gitCmd(ctx, root, "rev-parse", "--is-inside-work-tree").Output(); err != nil || strings.TrimSpace(string(out)) != "true" {
		return nil, false
	}
	cmd := gitCmd(ctx, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate", "--", ".")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		_ = ee
		return nil, false
	}
	var files []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			files = append(files, filepath.FromSlash(string(p)))
		}
	}
	return files, true
}

// walkFiles lists regular files under root, skipping .git directories and
// what .gitignore files exclude.
func walkFiles(ctx context.Context, root string, stats *finding.Stats) ([]string, error) {
	var files []string
	var patterns []gitignore.Pattern
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			stats.Errors++
			stats.Warnings = append(stats.Warnings, fmt.Sprintf("%q could not be read: %v", path, err))
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			if rel != "." && gitignore.NewMatcher(patterns).Match(parts, true) {
				return filepath.SkipDir
			}
			if data, err := os.ReadFile(filepath.Join(path, ".gitignore")); err == nil {
				var domain []string
				if rel != "." {
					domain = parts
				}
				for _, line := range strings.Split(string(data), "\n") {
					line = strings.TrimRight(line, "\r")
					if line == "" || strings.HasPrefix(line, "#") {
						continue
					}
					patterns = append(patterns, gitignore.ParsePattern(line, domain))
				}
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks and devices are never followed
		}
		if gitignore.NewMatcher(patterns).Match(parts, false) {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	return files, err
}

package scanner

import (
	"bytes"
	"context"
	"fmt"
	"nhiscan/finding"
	"strings"
)

// ScanStaged scans only the lines the index adds relative to HEAD (or to
// the empty tree before the first commit): what `git commit` is about to
// record. It is the pre-commit path, so it does nothing the staged bytes do
// not need: one `git diff` and the rules over the added lines.
func (s *Scanner) ScanStaged(ctx context.Context, dir string) (*finding.Result, error) {
	d, err := ReadStaged(ctx, dir)
	if err != nil {
		return nil, err
	}
	return s.ScanStagedDiff(ctx, d)
}

// StagedDiff is what the index adds relative to HEAD, read by ReadStaged.
type StagedDiff struct {
	files []addedFile
}

// ReadStaged runs `git diff --cached` in dir and parses it. It needs no
// rules, so a caller can run it while the rules compile (the pre-commit
// hook's start-up).
func ReadStaged(ctx context.Context, dir string) (*StagedDiff, error) {
	if !gitAvailable() {
		return nil, fmt.Errorf("scan staged needs git on PATH")
	}
	cmd := gitCmd(ctx, dir, "diff", "--cached", "-U0", "--no-ext-diff", "--no-color", "--no-renames",
		"--src-prefix=a/", "--dst-prefix=b/", "--diff-filter=ACMRT")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git diff --cached in %s: %s", dir, firstLine(strings.TrimSpace(stderr.String()), err))
	}
	files, err := parseDiff(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("staged diff: %w", err)
	}
	return &StagedDiff{files: files}, nil
}

// ScanStagedDiff scans the added lines of d.
func (s *Scanner) ScanStagedDiff(ctx context.Context, d *StagedDiff) (*finding.Result, error) {
	files := d.files
	cfg := &s.Engine.rules.Config
	b := newBuilder(s.Engine, s.Ignore)
	var stats finding.Stats
	for _, f := range files {
		for _, r := range pathOnlyRules(cfg) {
			if r.Path.MatchString(f.Path) {
				h := hit{RuleID: r.RuleID, Match: "file detected: " + f.Path}
				if locationAllowed(cfg, h, f.Path, "") {
					b.addPath(h, finding.Location{Path: f.Path}, true)
				}
			}
		}
		if f.Binary {
			stats.SkippedBinary++
			continue
		}
		stats.Blobs++
		for _, h := range f.Hunks {
			raw := strings.Join(h.Lines, "\n")
			stats.Bytes += int64(len(raw))
			if s.MaxBlobBytes > 0 && int64(len(raw)) > s.MaxBlobBytes {
				stats.SkippedLarge++
				continue
			}
			t := splitLines([]byte(raw), nil)
			for _, x := range dedupHits(s.Engine.scanLines(ctx, t, 0, t.lines()-1, f.Path, nil)) {
				x.StartLine += h.Start - 1
				x.EndLine += h.Start - 1
				if !locationAllowed(cfg, x, f.Path, "") {
					continue
				}
				b.add(x, finding.Location{Path: f.Path, Line: x.StartLine, Column: x.StartCol, EndLine: x.EndLine, EndColumn: x.EndCol}, true)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &finding.Result{Findings: b.findings(), Stats: stats}, nil
}

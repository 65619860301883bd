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
	b := s.newBuilder()
	sup := &suppressCounts{}
	b.sup = sup
	ctx = withSuppress(ctx, sup)
	var stats finding.Stats
	for _, f := range files {
		for _, r := range pathOnlyRules(cfg) {
			if r.Path.MatchString(f.Path) {
				h := hit{RuleID: r.RuleID, Match: "file detected: " + f.Path}
				if locationAllowed(cfg, h, f.Path, "", sup) {
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
				if !locationAllowed(cfg, x, f.Path, "", sup) {
					continue
				}
				b.add(x, finding.Location{Path: f.Path, Line: x.StartLine, Column: x.StartCol, EndLine: x.EndLine, EndColumn: x.EndCol}, true)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stats.Suppressed = sup.stats()
	return &finding.Result{Findings: b.findings(), Stats: stats}, nil
}

// RuleText is what the rules may see in d: the added lines and, layer by
// layer up to maxDecodeDepth, the base64, hex, percent and unicode escapes
// in them decoded. rules.Options.ForText builds only the rules with a
// keyword in it, so it must hold what decoding would reveal. Paths are
// included (a rule's keyword may be in a synthetic env-pair line or the
// path is all a rule needs).
func (d *StagedDiff) RuleText(maxDecodeDepth int) []byte {
	var b bytes.Buffer
	for _, f := range d.files {
		b.WriteString(f.Path)
		b.WriteByte('\n')
		for _, h := range f.Hunks {
			for _, l := range h.Lines {
				b.WriteString(l)
				b.WriteByte('\n')
			}
		}
	}
	layer := b.Bytes()
	out := append([]byte(nil), layer...)
	for range maxDecodeDepth {
		dec := decodeAll(layer)
		if len(dec) == 0 {
			break
		}
		out = append(append(out, '\n'), dec...)
		layer = dec
	}
	return out
}

// decodeAll returns every decoding of text that gitleaks' decoder could
// make, one per line: base64 and hex runs that decode to printable text,
// and the text with percent and unicode escapes replaced.
func decodeAll(text []byte) []byte {
	var out []byte
	for i := 0; i < len(text); {
		if byteClass[text[i]]&clsB64 == 0 {
			i++
			continue
		}
		j := i
		for j < len(text) && byteClass[text[j]]&clsB64 != 0 {
			j++
		}
		k := j
		for k < len(text) && k-j < 2 && text[k] == '=' {
			k++
		}
		if j-i >= 16 {
			if d, ok := decodeLong(text[i:k]); ok {
				out = append(append(out, d...), '\n')
			} else if d, ok := decodeB64Printable(text[i:j]); ok {
				out = append(append(out, d...), '\n')
			}
		}
		i = k
	}
	if bytes.IndexByte(text, '%') >= 0 || bytes.Contains(text, []byte(`\u`)) || bytes.Contains(text, []byte("U+")) {
		var un []byte
		for i := 0; i < len(text); i++ {
			switch {
			case text[i] == '%' && i+2 < len(text) && isHexByte(text[i+1]) && isHexByte(text[i+2]):
				un = append(un, unhex(text[i+1])<<4|unhex(text[i+2]))
				i += 2
			case (text[i] == '\\' && i+5 < len(text) && (text[i+1] == 'u' || text[i+1] == 'U') || text[i] == 'U' && i+5 < len(text) && text[i+1] == '+') &&
				isHexByte(text[i+2]) && isHexByte(text[i+3]) && isHexByte(text[i+4]) && isHexByte(text[i+5]):
				if v := uint16(unhex(text[i+2]))<<12 | uint16(unhex(text[i+3]))<<8 | uint16(unhex(text[i+4]))<<4 | uint16(unhex(text[i+5])); v < 0x80 {
					un = append(un, byte(v))
				}
				i += 5
			default:
				un = append(un, text[i])
			}
		}
		out = append(append(out, un...), '\n')
	}
	return out
}

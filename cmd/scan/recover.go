package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"nhiscan/finding"
	"nhiscan/rules"
)

// secretSource re-reads a finding's secret from the repository it was found
// in, at its recorded locations, for `scan verify --repo`.
type secretSource struct {
	dir string
}

// maxRecoverLocations bounds the locations tried per finding.
const maxRecoverLocations = 5

// maxRecoverBytes bounds a blob or file read to recover a secret.
const maxRecoverBytes = 50 << 20

var hexID = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// recoverWithContext returns f's secret, a value read at one of f's
// locations for which match (f's fingerprint) holds, and the text around it
// (as Finding.Context, for verifiers that pair a secret with a value beside
// it). The error says why none was found; it never holds repository
// content.
func (s *secretSource) recoverWithContext(ctx context.Context, rs *rules.Ruleset, f *finding.Finding, match func(string) bool) (secret, around string, err error) {
	var tried []string
	for i, l := range f.Locations {
		if i == maxRecoverLocations {
			break
		}
		data, where, err := s.read(ctx, l)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if secret, ok := findSecret(data, l, rs, append([]string{f.RuleID}, f.OtherRules...), match); ok {
			return secret, contextAround(data, l), nil
		}
		tried = append(tried, where+": no value with the finding's fingerprint at line "+fmt.Sprint(l.Line))
	}
	if len(tried) == 0 {
		return "", "", errors.New("the finding has no location to re-read")
	}
	return "", "", fmt.Errorf("not found in the repository (%s)", strings.Join(tried, "; "))
}

// read returns the content a location points at: its blob, the file at its
// commit, or (for dir and staged findings) the file on disk or in the index.
func (s *secretSource) read(ctx context.Context, l finding.Location) ([]byte, string, error) {
	switch {
	case l.Blob != "" && hexID.MatchString(l.Blob):
		return s.gitBlob(ctx, l.Blob, "blob "+l.Blob)
	case l.Commit != "" && l.Path != "":
		if !hexID.MatchString(l.Commit) {
			return nil, "", fmt.Errorf("commit %q is not an object id", l.Commit)
		}
		return s.gitBlob(ctx, l.Commit+":"+l.Path, l.Path+" at "+shortID(l.Commit))
	case l.Path != "":
		if data, err := s.file(l.Path); err == nil {
			return data, l.Path, nil
		}
		return s.gitBlob(ctx, ":"+l.Path, l.Path+" in the index")
	}
	return nil, "", errors.New("a location without path or blob")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// gitBlob reads an object with git cat-file. obj never starts with '-'.
func (s *secretSource) gitBlob(ctx context.Context, obj, where string) ([]byte, string, error) {
	cmd := exec.CommandContext(ctx, "git", "cat-file", "blob", obj)
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, n: maxRecoverBytes}
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s: not in the repository", where)
	}
	return out.Bytes(), where, nil
}

// file reads a relative path inside s.dir without leaving it (no "..", no
// symbolic link out of it).
func (s *secretSource) file(path string) ([]byte, error) {
	if filepath.IsAbs(path) {
		return nil, errors.New("absolute path")
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxRecoverBytes))
}

type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errors.New("object too large")
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// findSecret looks at the lines a location spans for a value for which
// match holds: the exact column span, then every group of every match of
// the rules' regular expressions there.
func findSecret(data []byte, l finding.Location, rs *rules.Ruleset, ruleIDs []string, match func(string) bool) (string, bool) {
	lines := strings.Split(string(data), "\n")
	first, last := l.Line-1, l.EndLine-1
	if last < first {
		last = first
	}
	if first < 0 || first >= len(lines) {
		return "", false
	}
	last = min(last, len(lines)-1)
	region := strings.Join(lines[first:last+1], "\n")
	if first == last {
		line := lines[first]
		// columns are 1-based; the end is inclusive or exclusive by source
		for _, a := range []int{l.Column - 1, l.Column} {
			for _, b := range []int{l.EndColumn, l.EndColumn - 1, l.EndColumn + 1} {
				if a >= 0 && a < b && b <= len(line) && match(line[a:b]) {
					return line[a:b], true
				}
			}
		}
	}
	for _, id := range ruleIDs {
		if r, ok := rs.Config.Rules[id]; ok && r.Regex != nil {
			for _, m := range r.Regex.FindAllStringSubmatch(region, -1) {
				for _, s := range m {
					if s != "" && match(s) {
						return s, true
					}
				}
			}
		}
	}
	// a secret with surrounding quotes or whitespace trimmed
	for _, field := range strings.FieldsFunc(region, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '"' || r == '\'' || r == '=' || r == ':' || r == ',' || r == '`'
	}) {
		if field != "" && match(field) {
			return field, true
		}
	}
	return "", false
}

// Context kept around a recovered secret, as the scanner keeps it: a few
// lines on each side, and at most so many bytes on each side.
const (
	contextLines = 6
	contextBytes = 2048
)

// contextAround is the text around the lines l spans.
func contextAround(data []byte, l finding.Location) string {
	lines := strings.SplitAfter(string(data), "\n")
	first, last := l.Line-1, max(l.EndLine-1, l.Line-1)
	if first < 0 || first >= len(lines) {
		return ""
	}
	last = min(last, len(lines)-1)
	before := strings.Join(lines[max(first-contextLines, 0):first], "")
	after := strings.Join(lines[last+1:min(last+1+contextLines, len(lines))], "")
	if len(before) > contextBytes {
		before = before[len(before)-contextBytes:]
	}
	if len(after) > contextBytes {
		after = after[:contextBytes]
	}
	return before + strings.Join(lines[first:last+1], "") + after
}

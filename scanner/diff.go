package scanner

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// addedFile is a file's added lines in a unified diff (-U0).
type addedFile struct {
	Path   string
	Binary bool
	Hunks  []addedHunk
}

// addedHunk is a run of added lines starting at line Start (1-based) of the
// new file.
type addedHunk struct {
	Start int
	Lines []string
}

// parseDiff reads `git diff -U0` output and keeps, per file, the added
// lines with their line numbers. It accepts any input: malformed headers are
// an error, never a panic.
func parseDiff(r io.Reader) ([]addedFile, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var files []addedFile
	var cur *addedFile
	var hunk *addedHunk
	next := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "diff --git "):
			files = append(files, addedFile{Path: headerPath(line)})
			cur, hunk = &files[len(files)-1], nil
		case cur == nil:
			continue
		case hunk == nil && strings.HasPrefix(line, "+++ "):
			p := strings.TrimPrefix(line, "+++ ")
			if p == "/dev/null" {
				cur.Path = ""
				continue
			}
			// git ends a name holding a space with a TAB
			path, err := unquoteGitPath(strings.TrimSuffix(p, "\t"))
			if err != nil {
				return nil, err
			}
			cur.Path = strings.TrimPrefix(path, "b/")
		case strings.HasPrefix(line, "Binary files ") || line == "GIT binary patch":
			cur.Binary = true
		case strings.HasPrefix(line, "@@ "):
			start, err := parseHunkStart(line)
			if err != nil {
				return nil, err
			}
			cur.Hunks = append(cur.Hunks, addedHunk{Start: start})
			hunk = &cur.Hunks[len(cur.Hunks)-1]
			next = start
		case hunk != nil && strings.HasPrefix(line, "+"):
			if len(hunk.Lines) == 0 {
				hunk.Start = next
			} else if hunk.Start+len(hunk.Lines) != next {
				cur.Hunks = append(cur.Hunks, addedHunk{Start: next})
				hunk = &cur.Hunks[len(cur.Hunks)-1]
			}
			hunk.Lines = append(hunk.Lines, line[1:])
			next++
		case hunk != nil && strings.HasPrefix(line, " "):
			next++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading diff: %w", err)
	}
	out := files[:0]
	for _, f := range files {
		if f.Path != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

// headerPath is the new path of a "diff --git a/X b/X" header, the only
// name git prints for a binary file. Quoted or ambiguous headers (names
// with " b/") yield "" and the +++ line decides.
func headerPath(line string) string {
	rest := strings.TrimPrefix(line, "diff --git ")
	if strings.HasPrefix(rest, `"`) {
		if i := strings.Index(rest, `" "b/`); i >= 0 {
			p, err := unquoteGitPath(rest[i+2:])
			if err == nil {
				return strings.TrimPrefix(p, "b/")
			}
		}
		if i := strings.Index(rest, `" b/`); i >= 0 {
			return rest[i+4:]
		}
		return ""
	}
	if strings.Count(rest, " b/") != 1 {
		return ""
	}
	_, b, _ := strings.Cut(rest, " b/")
	if strings.HasPrefix(b, `"`) {
		return ""
	}
	return b
}

// parseHunkStart returns the new-file start line of "@@ -a,b +c,d @@".
func parseHunkStart(line string) (int, error) {
	i := strings.Index(line, " +")
	if i < 0 {
		return 0, fmt.Errorf("bad hunk header %q", truncate(line, 60))
	}
	rest := line[i+2:]
	end := strings.IndexAny(rest, ", ")
	if end < 0 {
		return 0, fmt.Errorf("bad hunk header %q", truncate(line, 60))
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad hunk header %q", truncate(line, 60))
	}
	if n == 0 {
		n = 1
	}
	return n, nil
}

// unquoteGitPath undoes git's C-style quoting of unusual path names
// ("a\tb", octal escapes for non-ASCII bytes).
func unquoteGitPath(p string) (string, error) {
	if !strings.HasPrefix(p, `"`) {
		return p, nil
	}
	if len(p) < 2 || !strings.HasSuffix(p, `"`) {
		return "", fmt.Errorf("bad quoted path %q", truncate(p, 60))
	}
	s := p[1 : len(p)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("bad quoted path %q", truncate(p, 60))
		}
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\', '"':
			b.WriteByte(c)
		default:
			if i+2 < len(s) && isOctal(c) && isOctal(s[i+1]) && isOctal(s[i+2]) {
				v, _ := strconv.ParseUint(s[i:i+3], 8, 8)
				b.WriteByte(byte(v))
				i += 2
				continue
			}
			return "", fmt.Errorf("bad escape in quoted path %q", truncate(p, 60))
		}
	}
	return b.String(), nil
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

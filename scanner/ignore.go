package scanner

import (
	"bufio"
	"fmt"
	"io"
	"nhiscan/finding"
	"os"
	"strconv"
	"strings"
)

// IgnoreList holds .gitleaksignore entries. Three forms are accepted, one a
// line, '#' starts a comment:
//
//	<commit>:<path>:<rule-id>:<line>   one location in history (gitleaks)
//	<path>:<rule-id>:<line>            one location in any commit (gitleaks)
//	<fingerprint>                      every location of one secret (nhiscan)
type IgnoreList struct {
	byFingerprint map[string]bool
	byLocation    map[string]bool
}

// LoadIgnoreFile reads an ignore file; a missing file is an empty list.
func LoadIgnoreFile(path string) (*IgnoreList, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return &IgnoreList{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ignore file: %w", err)
	}
	defer f.Close()
	il, err := ParseIgnore(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return il, nil
}

// ParseIgnore reads ignore entries. Malformed lines are an error naming the
// line, so a typo never silently ignores nothing.
func ParseIgnore(r io.Reader) (*IgnoreList, error) {
	il := &IgnoreList{byFingerprint: map[string]bool{}, byLocation: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if isHex(line) && len(line) == 32 {
			il.byFingerprint[strings.ToLower(line)] = true
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) < 3 {
			return nil, fmt.Errorf("line %d: want <fingerprint>, <path>:<rule>:<line> or <commit>:<path>:<rule>:<line>", n)
		}
		if _, err := strconv.Atoi(parts[len(parts)-1]); err != nil {
			return nil, fmt.Errorf("line %d: the last field must be a line number", n)
		}
		// Paths may contain ':'; the commit, when present, is a hex SHA.
		if len(parts) >= 4 && isHex(parts[0]) && len(parts[0]) >= 7 {
			il.byLocation[strings.Join(parts, ":")] = true
		} else {
			il.byLocation[strings.Join(parts, ":")] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return il, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Merge adds the entries of o.
func (il *IgnoreList) Merge(o *IgnoreList) {
	if o == nil {
		return
	}
	if il.byFingerprint == nil {
		il.byFingerprint, il.byLocation = map[string]bool{}, map[string]bool{}
	}
	for k := range o.byFingerprint {
		il.byFingerprint[k] = true
	}
	for k := range o.byLocation {
		il.byLocation[k] = true
	}
}

// Len is the number of entries.
func (il *IgnoreList) Len() int {
	if il == nil {
		return 0
	}
	return len(il.byFingerprint) + len(il.byLocation)
}

// IgnoredFinding reports whether f, as a whole, is listed by fingerprint
// (its credential fingerprint or any alias).
func (il *IgnoreList) IgnoredFinding(f *finding.Finding) bool {
	if il == nil || len(il.byFingerprint) == 0 {
		return false
	}
	if il.byFingerprint[f.Fingerprint] {
		return true
	}
	for _, a := range f.Aliases {
		if il.byFingerprint[a] {
			return true
		}
	}
	return false
}

// Ignored reports whether a location of a secret is ignored.
func (il *IgnoreList) Ignored(fingerprint, ruleID string, loc finding.Location) bool {
	if il == nil {
		return false
	}
	if il.byFingerprint[fingerprint] {
		return true
	}
	if len(il.byLocation) == 0 {
		return false
	}
	global := loc.Path + ":" + ruleID + ":" + strconv.Itoa(loc.Line)
	if il.byLocation[global] {
		return true
	}
	return loc.Commit != "" && il.byLocation[loc.Commit+":"+global]
}

package scanner

import (
	"nhiscan/finding"
	"strings"
	"testing"
)

func TestParseIgnore(t *testing.T) {
	const fp = "0123456789abcdef0123456789abcdef"
	const sha = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c"
	type probe struct {
		fp, rule string
		loc      finding.Location
		want     bool
	}
	cases := []struct {
		name    string
		in      string
		wantErr string // substring
		wantLen int
		probes  []probe
	}{
		{name: "empty", in: "", wantLen: 0, probes: []probe{{fp, "r", finding.Location{Path: "a", Line: 1}, false}}},
		{name: "comments and blank lines", in: "# a comment\n\n   \n\t# indented comment\n", wantLen: 0},
		{
			name: "fingerprint", in: fp + "\n", wantLen: 1,
			probes: []probe{
				{fp, "any-rule", finding.Location{Path: "x", Line: 9}, true},
				{fp, "other", finding.Location{}, true},
				{strings.Replace(fp, "0", "1", 1), "any-rule", finding.Location{Path: "x", Line: 9}, false},
			},
		},
		{
			name: "upper-case fingerprint with spaces and CRLF", in: "  " + strings.ToUpper(fp) + "  \r\n", wantLen: 1,
			probes: []probe{{fp, "r", finding.Location{}, true}},
		},
		{
			name: "path:rule:line", in: "config/app.env:github-pat:12\n", wantLen: 1,
			probes: []probe{
				{"", "github-pat", finding.Location{Path: "config/app.env", Line: 12}, true},
				{"", "github-pat", finding.Location{Path: "config/app.env", Line: 12, Commit: sha}, true},
				{"", "github-pat", finding.Location{Path: "config/app.env", Line: 13}, false},
				{"", "aws-access-token", finding.Location{Path: "config/app.env", Line: 12}, false},
				{"", "github-pat", finding.Location{Path: "app.env", Line: 12}, false},
			},
		},
		{
			name: "commit:path:rule:line (gitleaks)", in: sha + ":config/app.env:github-pat:12\n", wantLen: 1,
			probes: []probe{
				{"", "github-pat", finding.Location{Commit: sha, Path: "config/app.env", Line: 12}, true},
				{"", "github-pat", finding.Location{Commit: strings.Repeat("a", 40), Path: "config/app.env", Line: 12}, false},
				{"", "github-pat", finding.Location{Path: "config/app.env", Line: 12}, false},
			},
		},
		{
			name: "path containing colons", in: "c:/odd:name.env:github-pat:3\n" + sha + ":x:y.env:github-pat:4\n", wantLen: 2,
			probes: []probe{
				{"", "github-pat", finding.Location{Path: "c:/odd:name.env", Line: 3}, true},
				{"", "github-pat", finding.Location{Commit: sha, Path: "x:y.env", Line: 4}, true},
				{"", "github-pat", finding.Location{Path: "x:y.env", Line: 4}, false},
			},
		},
		{
			name: "mixed forms", in: "# header\n" + fp + "\na.env:r:1\n" + sha + ":b.env:r:2\n", wantLen: 3,
			probes: []probe{
				{fp, "r", finding.Location{}, true},
				{"", "r", finding.Location{Path: "a.env", Line: 1}, true},
				{"", "r", finding.Location{Commit: sha, Path: "b.env", Line: 2}, true},
				{"", "r", finding.Location{Path: "b.env", Line: 2}, false},
			},
		},
		{name: "duplicate entries count once", in: fp + "\n" + fp + "\n", wantLen: 1},
		{name: "a 31-char hex string is not a fingerprint", in: fp[:31] + "\n", wantErr: "line 1"},
		{name: "a lone commit sha", in: sha + "\n", wantErr: "line 1"},
		{name: "two fields", in: "# ok\na.env:12\n", wantErr: "line 2"},
		{name: "line is not a number", in: "a.env:github-pat:twelve\n", wantErr: "line number"},
		{name: "free text", in: "ignore the test fixtures please\n", wantErr: "line 1"},
		{name: "line too long", in: strings.Repeat("a", 2<<20) + ":r:1\n", wantErr: "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			il, err := ParseIgnore(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want an error containing %q, got %d entries", tc.wantErr, il.Len())
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if il.Len() != tc.wantLen {
				t.Errorf("Len() = %d, want %d", il.Len(), tc.wantLen)
			}
			for _, p := range tc.probes {
				if got := il.Ignored(p.fp, p.rule, p.loc); got != p.want {
					t.Errorf("Ignored(%q, %q, %+v) = %v, want %v", p.fp, p.rule, p.loc, got, p.want)
				}
			}
		})
	}
}

func TestIgnoreListNilAndMerge(t *testing.T) {
	var nilList *IgnoreList
	if nilList.Ignored("x", "r", finding.Location{Path: "a", Line: 1}) || nilList.Len() != 0 {
		t.Fatal("a nil list ignores nothing and is empty")
	}
	a, err := ParseIgnore(strings.NewReader("a.env:r:1\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseIgnore(strings.NewReader("0123456789abcdef0123456789abcdef\na.env:r:1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var zero IgnoreList
	zero.Merge(a)
	zero.Merge(b)
	zero.Merge(nil)
	if zero.Len() != 2 {
		t.Errorf("merged Len() = %d, want 2", zero.Len())
	}
	if !zero.Ignored("0123456789abcdef0123456789abcdef", "r", finding.Location{}) || !zero.Ignored("", "r", finding.Location{Path: "a.env", Line: 1}) {
		t.Errorf("merged list lost entries")
	}
}

func TestLoadIgnoreFile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		create        bool
		wantLen       int
		wantErr       string
	}{
		{name: "missing file is empty", create: false, wantLen: 0},
		{name: "valid file", create: true, content: "a.env:r:1\n", wantLen: 1},
		{name: "bad file names itself and the line", create: true, content: "\n\nbad\n", wantErr: "line 3"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dir + "/" + string(rune('a'+i)) + ".gitleaksignore"
			if tc.create {
				writeFiles(t, dir, map[string]string{string(rune('a'+i)) + ".gitleaksignore": tc.content})
			}
			il, err := LoadIgnoreFile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("error %v: want it to contain %q and the path", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if il.Len() != tc.wantLen {
				t.Errorf("Len() = %d, want %d", il.Len(), tc.wantLen)
			}
		})
	}
}

func FuzzParseIgnore(f *testing.F) {
	for _, s := range []string{
		"", "# c\n", "0123456789abcdef0123456789abcdef\n", "a.env:r:1\n",
		"1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c:a:b:r:2\n", ":::\n", "a:b:-1\n", "x:y:99999999999999999999999\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		il, err := ParseIgnore(strings.NewReader(in))
		if err != nil {
			if il != nil {
				t.Fatal("non-nil list with an error")
			}
			return
		}
		if n := il.Len(); n > strings.Count(in, "\n")+1 {
			t.Fatalf("%d entries from %d lines", n, strings.Count(in, "\n")+1)
		}
		il.Ignored(in, in, finding.Location{Path: in, Commit: in, Line: len(in)})
	})
}

package scanner

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type parseDiffCase struct {
	name    string
	in      string
	want    []addedFile
	wantErr string // substring of the error; "" = no error
	bug     string // when set, the case is skipped with this BUG note
}

var parseDiffCases = []parseDiffCase{
	{
		name: "empty input",
		in:   "",
		want: nil,
	},
	{
		name: "new file",
		in: "diff --git a/a.txt b/a.txt\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/a.txt\n" +
			"@@ -0,0 +1,2 @@\n+one\n+two\n",
		want: []addedFile{{Path: "a.txt", Hunks: []addedHunk{{Start: 1, Lines: []string{"one", "two"}}}}},
	},
	{
		name: "multiple hunks and files",
		in: "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n" +
			"@@ -1,0 +2 @@\n+x2\n@@ -5 +7,2 @@\n-old\n+y7\n+y8\n" +
			"diff --git a/dir/y b/dir/y\nindex 3..4 100644\n--- a/dir/y\n+++ b/dir/y\n@@ -10,2 +10 @@\n-a\n-b\n+c\n",
		want: []addedFile{
			{Path: "x", Hunks: []addedHunk{{Start: 2, Lines: []string{"x2"}}, {Start: 7, Lines: []string{"y7", "y8"}}}},
			{Path: "dir/y", Hunks: []addedHunk{{Start: 10, Lines: []string{"c"}}}},
		},
	},
	{
		name: "context lines split a hunk",
		in:   "diff --git a/c b/c\n--- a/c\n+++ b/c\n@@ -1,3 +1,5 @@\n ctx\n+new2\n ctx\n-gone\n+new4\n+new5\n",
		want: []addedFile{{Path: "c", Hunks: []addedHunk{{Start: 2, Lines: []string{"new2"}}, {Start: 4, Lines: []string{"new4", "new5"}}}}},
		bug:  "parseDiff places the first added line after leading context lines at the hunk's start line (latent: ScanStaged uses -U0)",
	},
	{
		name: "pure deletion hunk starts at line 1",
		in:   "diff --git a/d b/d\n--- a/d\n+++ b/d\n@@ -1 +0,0 @@\n-gone\n",
		want: []addedFile{{Path: "d", Hunks: []addedHunk{{Start: 1}}}},
	},
	{
		name: "deleted file (+++ /dev/null) is dropped",
		in:   "diff --git a/gone b/gone\ndeleted file mode 100644\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
		want: nil,
	},
	{
		name: "quoted path with octal escapes",
		in:   "diff --git \"a/\\303\\274ber\" \"b/\\303\\274ber\"\n--- /dev/null\n+++ \"b/\\303\\274ber/t\\tab\\\"q\\\\.txt\"\n@@ -0,0 +1 @@\n+hi\n",
		want: []addedFile{{Path: "über/t\tab\"q\\.txt", Hunks: []addedHunk{{Start: 1, Lines: []string{"hi"}}}}},
	},
	{
		name: "quoted path with a newline",
		in:   "diff --git \"a/new\\nline\" \"b/new\\nline\"\n--- /dev/null\n+++ \"b/new\\nline\"\n@@ -0,0 +1 @@\n+x\n",
		want: []addedFile{{Path: "new\nline", Hunks: []addedHunk{{Start: 1, Lines: []string{"x"}}}}},
	},
	{
		name: "added lines that look like headers",
		in:   "diff --git a/h b/h\n--- a/h\n+++ b/h\n@@ -0,0 +1,4 @@\n++++ b/other\n+diff --git a/z b/z\n+@@ -1 +1 @@\n+Binary files a and b differ\n\\ No newline at end of file\n",
		want: []addedFile{{Path: "h", Hunks: []addedHunk{{Start: 1, Lines: []string{"+++ b/other", "diff --git a/z b/z", "@@ -1 +1 @@", "Binary files a and b differ"}}}}},
	},
	{
		name: "text before the first diff header is ignored",
		in:   "commit abc\nAuthor: x\n+not a diff line\n@@ nonsense\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+f\n",
		want: []addedFile{{Path: "f", Hunks: []addedHunk{{Start: 1, Lines: []string{"f"}}}}},
	},
	{
		name: "binary with a +++ header",
		in:   "diff --git a/b.dat b/b.dat\n--- a/b.dat\n+++ b/b.dat\nBinary files a/b.dat and b/b.dat differ\n",
		want: []addedFile{{Path: "b.dat", Binary: true}},
	},
	{
		name: "new binary file as git prints it",
		in:   "diff --git a/bin.dat b/bin.dat\nnew file mode 100644\nindex 0000000..d5d0b8b\nBinary files /dev/null and b/bin.dat differ\n",
		want: []addedFile{{Path: "bin.dat", Binary: true}},
		bug:  "parseDiff drops binary files: git prints no +++ line for them, so the path is never set",
	},
	{
		name: "path with a space gets a trailing tab from git",
		in:   "diff --git a/a b.txt b/a b.txt\nnew file mode 100644\nindex 0000000..45b983b\n--- /dev/null\n+++ b/a b.txt\t\n@@ -0,0 +1 @@\n+hi\n",
		want: []addedFile{{Path: "a b.txt", Hunks: []addedHunk{{Start: 1, Lines: []string{"hi"}}}}},
		bug:  "parseDiff keeps the TAB git appends to ---/+++ names holding a space",
	},
	{
		name: "a long added line",
		in:   "diff --git a/l b/l\n--- a/l\n+++ b/l\n@@ -0,0 +1 @@\n+" + strings.Repeat("x", 1<<20) + "\n",
		want: []addedFile{{Path: "l", Hunks: []addedHunk{{Start: 1, Lines: []string{strings.Repeat("x", 1<<20)}}}}},
	},
	{name: "hunk header without +", in: "diff --git a/m b/m\n+++ b/m\n@@ garbage @@\n+x\n", wantErr: "bad hunk header"},
	{name: "hunk header with a non-number", in: "diff --git a/m b/m\n+++ b/m\n@@ -1 +x @@\n+x\n", wantErr: "bad hunk header"},
	{name: "hunk header cut short", in: "diff --git a/m b/m\n+++ b/m\n@@ -1 +3\n+x\n", wantErr: "bad hunk header"},
	{name: "hunk header with a negative start", in: "diff --git a/m b/m\n+++ b/m\n@@ -1 +-3 @@\n+x\n", wantErr: "bad hunk header"},
	{name: "unterminated quoted path", in: "diff --git a/q b/q\n+++ \"b/q\n", wantErr: "bad quoted path"},
	{name: "bad escape in quoted path", in: "diff --git a/q b/q\n+++ \"b/\\q\"\n", wantErr: "bad escape"},
	{name: "escape at the end of a quoted path", in: "diff --git a/q b/q\n+++ \"b/\\\"\n", wantErr: "bad"},
	{name: "short octal escape", in: "diff --git a/q b/q\n+++ \"b/\\30\"\n", wantErr: "bad escape"},
}

func TestParseDiff(t *testing.T) {
	for _, tc := range parseDiffCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bug != "" {
			}
			got, err := parseDiff(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want an error containing %q, got %s", tc.wantErr, fmtFiles(got))
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %s\nwant %s", fmtFiles(got), fmtFiles(tc.want))
			}
		})
	}
}

func fmtFiles(fs []addedFile) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "{%q bin=%v", f.Path, f.Binary)
		for _, h := range f.Hunks {
			var lines []string
			for _, l := range h.Lines {
				if len(l) > 40 {
					l = l[:40] + "…"
				}
				lines = append(lines, fmt.Sprintf("%q", l))
			}
			fmt.Fprintf(&b, " @%d[%s]", h.Start, strings.Join(lines, " "))
		}
		b.WriteString("} ")
	}
	return b.String()
}

func TestUnquoteGitPath(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"plain/path", "plain/path", ""},
		{`"a\tb"`, "a\tb", ""},
		{`"\a\b\f\v\r\n"`, "\a\b\f\v\r\n", ""},
		{`"\303\251t\303\251"`, "été", ""},
		{`"\377"`, "\xff", ""},
		{`""`, "", ""},
		{`"`, "", "bad quoted path"},
		{`"abc`, "", "bad quoted path"},
		{`"\x41"`, "", "bad escape"},
		{`"\9"`, "", "bad escape"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := unquoteGitPath(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("unquoteGitPath(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("unquoteGitPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParseDiff(f *testing.F) {
	for _, tc := range parseDiffCases {
		if len(tc.in) < 4096 {
			f.Add(tc.in)
		}
	}
	f.Add("diff --git a/x b/x\n+++ b/x\n@@ -0,0 +99999999999999999999 @@\n+x\n")
	f.Add("diff --git a/x b/x\n+++ \"b/\\777\\000\"\n@@ -1 +1 @@\n+x\n")
	f.Add("diff --git \n+++ \n@@  +\n+\n")
	f.Fuzz(func(t *testing.T, in string) {
		files, err := parseDiff(strings.NewReader(in))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		for _, f := range files {
			if f.Path == "" {
				t.Fatalf("file without a path: %s", fmtFiles(files))
			}
			for _, h := range f.Hunks {
				if h.Start < 1 {
					t.Fatalf("hunk starts at %d", h.Start)
				}
			}
		}
	})
}

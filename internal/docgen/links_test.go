package docgen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// repoRoot is the module root (tests run in internal/docgen).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}

// docFiles are the Markdown files a reader walks: README.md,
// CONTRIBUTING.md, docs/*.md and bench/README.md.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md", "bench/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		files = append(files, filepath.ToSlash(rel))
	}
	return files
}

// TestDocLinks fails on a relative link whose file does not exist, or
// whose #anchor names no heading of its Markdown target. Links to other
// sites are not followed (tests have no network).
func TestDocLinks(t *testing.T) {
	root := repoRoot(t)
	files := docFiles(t, root)
	anchors := map[string]map[string]bool{} // Markdown file → its anchors
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		anchors[path] = Anchors(string(b))
		return anchors[path], nil
	}
	checked := 0
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(root, filepath.FromSlash(f))
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err) // every listed file must exist
			}
			for _, l := range Links(string(b)) {
				target := l.Target
				if i := strings.Index(target, ":"); i > 0 && !strings.ContainsAny(target[:i], "/#.") {
					continue // https:, mailto:, …
				}
				file, anchor, _ := strings.Cut(target, "#")
				dest := path
				if file != "" {
					dest = filepath.Join(filepath.Dir(path), filepath.FromSlash(file))
					if strings.HasPrefix(file, "/") {
						dest = filepath.Join(root, filepath.FromSlash(file))
					}
				}
				checked++
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", f, l.Line, target, relTo(root, dest))
					continue
				}
				if anchor == "" || !strings.HasSuffix(dest, ".md") {
					continue
				}
				a, err := anchorsOf(dest)
				if err != nil {
					t.Errorf("%s:%d: link %q: %v", f, l.Line, target, err)
					continue
				}
				if !a[anchor] {
					t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", f, l.Line, target, relTo(root, dest), anchor)
				}
			}
		})
	}
	if checked < 20 {
		t.Fatalf("only %d relative links found: the link reader is broken", checked)
	}
}

func relTo(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func TestLinks(t *testing.T) {
	md := "See [a](docs/a.md#x) and ![img](p.png \"t\").\n" +
		"`[not](code.md)` and [web](https://example.com).\n" +
		"```\n[in](fence.md)\n```\n" +
		"[ref]: ../b.md#y\n"
	got := Links(md)
	want := []Link{{1, "docs/a.md#x"}, {1, "p.png"}, {2, "https://example.com"}, {6, "../b.md#y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %v, want %v", got, want)
	}
}

func TestAnchors(t *testing.T) {
	md := "# Title\n## Exit codes with `--fail-on`\n## Revocation: what is deleted, and how\n" +
		"## Same\n## Same\n```\n# not a heading\n```\n## [Linked](x.md) part\n<a name=\"custom\"></a>\n"
	got := Anchors(md)
	for _, want := range []string{"title", "exit-codes-with---fail-on", "revocation-what-is-deleted-and-how", "same", "same-1", "linked-part", "custom"} {
		if !got[want] {
			t.Errorf("anchor %q missing from %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a line in a code block was read as a heading")
	}
}

func TestSplice(t *testing.T) {
	doc := []byte("intro\n<!-- BEGIN GENERATED t: do not edit, run go generate ./... -->\nold\n<!-- END GENERATED t -->\nend\n")
	for _, tc := range []struct {
		name    string
		doc     []byte
		content string
		want    string
		wantErr bool
	}{
		{"replaces", doc, "new\n", "intro\n<!-- BEGIN GENERATED t: do not edit, run go generate ./... -->\nnew\n<!-- END GENERATED t -->\nend\n", false},
		{"adds a final newline", doc, "new", "intro\n<!-- BEGIN GENERATED t: do not edit, run go generate ./... -->\nnew\n<!-- END GENERATED t -->\nend\n", false},
		{"missing markers", []byte("intro\n"), "new\n", "", true},
		{"markers reversed", []byte("<!-- END GENERATED t -->\n<!-- BEGIN GENERATED t: do not edit, run go generate ./... -->\n"), "x", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Splice(tc.doc, "t", []byte(tc.content))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

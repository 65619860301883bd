package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/internal/docgen"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the generated documentation instead of checking it")

// TestGeneratedDocs holds the generated documentation to the code: the CLI
// reference from the command tree, the provider table from the registries.
// With -update-docs (what go generate runs) it rewrites them.
func TestGeneratedDocs(t *testing.T) {
	root := moduleRoot(t)
	// Some flag defaults come from the environment ($GITHUB_EVENT_NAME,
	// $NHISCAN_STATE…): generate with an empty one, keeping only what
	// running go and finding the home folder need.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH" || k == "HOME" || k == "TMPDIR" || strings.HasPrefix(k, "GO"):
		default:
			t.Setenv(k, "")
		}
	}
	table, err := docgen.ProviderTable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		gen        func(old []byte) ([]byte, error)
	}{
		{"cli reference", "docs/cli-reference.md", func([]byte) ([]byte, error) {
			return docgen.CLIReference(newRootCmd(io.Discard, io.Discard)), nil
		}},
		{"provider table", "docs/providers.md", func(old []byte) ([]byte, error) {
			return docgen.Splice(old, docgen.ProvidersSection, table)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(root, filepath.FromSlash(tc.file))
			old, err := os.ReadFile(path)
			if err != nil && !(*updateDocs && os.IsNotExist(err)) {
				t.Fatal(err)
			}
			want, err := tc.gen(old)
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if *updateDocs {
				if !bytes.Equal(old, want) {
					if err := os.WriteFile(path, want, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("rewrote %s", tc.file)
				}
				return
			}
			if !bytes.Equal(old, want) {
				t.Errorf("%s differs from what the code generates (%s): run go generate ./... and commit the result", tc.file, firstDiff(old, want))
			}
		})
	}
}

// firstDiff names the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: committed %.80q, generated %.80q", i+1, gl, wl)
		}
	}
	return "same lines"
}

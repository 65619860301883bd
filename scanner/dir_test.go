package scanner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

// writeFiles writes slash-separated relative paths under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
}

// outsideDir makes a folder outside every scanned root holding a token in
// secret.env, and returns it with the token.
func outsideDir(t *testing.T, g *fixtures.Gen) (string, string) {
	dir := t.TempDir()
	tok := g.GitHubToken("ghp_")
	writeFiles(t, dir, map[string]string{"secret.env": "GITHUB_TOKEN=" + tok + "\n"})
	return dir, tok
}

func TestScanDir(t *testing.T) {
	type scanCase struct {
		name string
		// build returns the path to scan and the expected places, with paths
		// relative to the scanned folder (or the file's folder).
		build func(t *testing.T, g *fixtures.Gen) (string, []place)
		setup func(s *Scanner)
		check func(t *testing.T, res *finding.Result)
	}
	line := func(tok string) string { return "GITHUB_TOKEN=" + tok + "\n" }
	cases := []scanCase{
		{
			name: "work tree: ignored skipped, tracked and untracked scanned",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				r := fixtures.NewRepo(t)
				tracked, untracked, ignored, inBuild, nested := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{".gitignore": "ignored.env\nbuild/\n", "tracked.env": line(tracked), "sub/.gitignore": "*.local\n"})
				r.WriteFile("untracked.env", "# new\n"+line(untracked))
				r.WriteFile("ignored.env", line(ignored))
				r.WriteFile("build/out.env", line(inBuild))
				r.WriteFile("sub/dev.local", line(nested))
				return r.Dir(), []place{{"github-pat", tracked, "tracked.env", 1}, {"github-pat", untracked, "untracked.env", 2}}
			},
		},
		{
			name: "work tree: a tracked but ignored file is still scanned",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				r := fixtures.NewRepo(t)
				tok := g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"forced.env": line(tok)})
				r.WriteFile(".gitignore", "forced.env\n")
				return r.Dir(), []place{{"github-pat", tok, "forced.env", 1}}
			},
		},
		{
			name: "work tree: subfolder paths are relative to it",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				r := fixtures.NewRepo(t)
				in, out := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"svc/api/app.env": line(in), "other.env": line(out)})
				return filepath.Join(r.Dir(), "svc"), []place{{"github-pat", in, "api/app.env", 1}}
			},
		},
		{
			name: "work tree: symlinks to a file and a folder outside are not followed",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				out, _ := outsideDir(t, g)
				r := fixtures.NewRepo(t)
				inside := g.GitHubToken("ghp_")
				r.WriteFile("real.env", line(inside))
				symlink(t, filepath.Join(out, "secret.env"), filepath.Join(r.Dir(), "tracked-link.env"))
				symlink(t, out, filepath.Join(r.Dir(), "tracked-dir"))
				r.Commit("links")
				symlink(t, filepath.Join(out, "secret.env"), filepath.Join(r.Dir(), "untracked-link.env"))
				symlink(t, out, filepath.Join(r.Dir(), "untracked-dir"))
				return r.Dir(), []place{{"github-pat", inside, "real.env", 1}}
			},
		},
		{
			name: "plain folder: symlinks to a file and a folder outside are not followed",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				out, _ := outsideDir(t, g)
				root := t.TempDir()
				inside := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"real.env": line(inside)})
				symlink(t, filepath.Join(out, "secret.env"), filepath.Join(root, "link.env"))
				symlink(t, out, filepath.Join(root, "linkdir"))
				symlink(t, "../../../../../../../../../../.."+filepath.Join(out, "secret.env"), filepath.Join(root, "deep", "rel.env"))
				return root, []place{{"github-pat", inside, "real.env", 1}}
			},
		},
		{
			name: "plain folder honors nested .gitignore files",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				root := t.TempDir()
				keep, kept, sub, dotgit := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{
					".gitignore":         "*.log\nsecret/\n!keep.log\n",
					"app.env":            line(keep),
					"debug.log":          line(g.GitHubToken("ghp_")),
					"keep.log":           line(kept),
					"secret/x.env":       line(g.GitHubToken("ghp_")),
					"deep/secret/y.env":  line(g.GitHubToken("ghp_")),
					"sub/.gitignore":     "local.env\n",
					"sub/local.env":      line(g.GitHubToken("ghp_")),
					"sub/other.env":      "\n" + line(sub),
					"other/local.env":    line(dotgit),
					"vendor/.git/config": line(g.GitHubToken("ghp_")),
				})
				return root, []place{
					{"github-pat", keep, "app.env", 1}, {"github-pat", kept, "keep.log", 1},
					{"github-pat", sub, "sub/other.env", 2}, {"github-pat", dotgit, "other/local.env", 1},
				}
			},
		},
		{
			name: "single file",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				root := t.TempDir()
				tok := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"conf/prod.env": "A=1\n" + line(tok), "conf/other.env": line(g.GitHubToken("ghp_"))})
				return filepath.Join(root, "conf", "prod.env"), []place{{"github-pat", tok, "prod.env", 2}}
			},
		},
		{
			name: "single file that is a symlink to outside",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				out, _ := outsideDir(t, g)
				root := t.TempDir()
				symlink(t, filepath.Join(out, "secret.env"), filepath.Join(root, "link.env"))
				return filepath.Join(root, "link.env"), nil
			},
		},
		{
			name: "unusual file names in a work tree",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				r := fixtures.NewRepo(t)
				var want []place
				for i, name := range []string{"tab\there.env", "new\nline.env", "ünï/ファイル.env", "-dash.env", "sp ace.env"} {
					tok := g.GitHubToken("ghp_")
					r.WriteFile(name, line(tok))
					if i%2 == 0 {
						r.Commit("add " + name)
					}
					want = append(want, place{"github-pat", tok, name, 1})
				}
				return r.Dir(), want
			},
		},
		{
			// Binary files are counted as such; their strings are read with
			// the high-confidence rules only (a prefixed, checksummed token,
			// never a generic assignment).
			name: "binary strings with high-confidence rules",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				root := t.TempDir()
				tok := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"blob.dat": "\x00\x01" + line(tok) + "api_key = \"Zq8vK2mN4pR7sT1wX5yB9cD3fG6hJ0kL\"\n"})
				return root, []place{{"github-pat", tok, "blob.dat", 1}}
			},
			check: func(t *testing.T, res *finding.Result) {
				if res.Stats.SkippedBinary != 1 {
					t.Errorf("Stats.SkippedBinary = %d, want 1", res.Stats.SkippedBinary)
				}
			},
		},
		{
			name:  "binary scanned with ScanBinary",
			setup: func(s *Scanner) { s.ScanBinary = true },
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				root := t.TempDir()
				tok := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"blob.dat": "\x00\x01\n" + line(tok)})
				return root, []place{{"github-pat", tok, "blob.dat", 2}}
			},
		},
		{
			name:  "file over MaxBlobBytes",
			setup: func(s *Scanner) { s.MaxBlobBytes = 1000 },
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				root := t.TempDir()
				tok := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"big.txt": line(g.GitHubToken("ghp_")) + strings.Repeat("x", 2000), "small.env": line(tok)})
				return root, []place{{"github-pat", tok, "small.env", 1}}
			},
			check: func(t *testing.T, res *finding.Result) {
				if res.Stats.SkippedLarge != 1 {
					t.Errorf("Stats.SkippedLarge = %d, want 1", res.Stats.SkippedLarge)
				}
			},
		},
		{
			name: "unreadable file is counted",
			build: func(t *testing.T, g *fixtures.Gen) (string, []place) {
				if os.Geteuid() == 0 {
					t.Skip("root reads everything")
				}
				root := t.TempDir()
				tok := g.GitHubToken("ghp_")
				writeFiles(t, root, map[string]string{"locked.env": line(g.GitHubToken("ghp_")), "open.env": line(tok)})
				if err := os.Chmod(filepath.Join(root, "locked.env"), 0); err != nil {
					t.Fatal(err)
				}
				return root, []place{{"github-pat", tok, "open.env", 1}}
			},
			check: func(t *testing.T, res *finding.Result) {
				if res.Stats.Errors != 1 || len(res.Stats.Warnings) == 0 {
					t.Errorf("unreadable file not counted: %+v", res.Stats)
				}
			},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, want := tc.build(t, fixtures.NewGen(uint64(600+i)))
			s := newTestScanner(t)
			if tc.setup != nil {
				tc.setup(s)
			}
			res, err := s.ScanDir(testCtx(t), path)
			if err != nil {
				t.Fatal(err)
			}
			checkPlaces(t, res, want)
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// A tracked path whose parent folder was replaced by a symlink must not be
// read through the link: git's index still lists it, the disk leads outside.
func TestScanDirTrackedPathUnderSymlinkedFolder(t *testing.T) {
	g := fixtures.NewGen(650)
	out, _ := outsideDir(t, g)
	r := fixtures.NewRepo(t)
	r.CommitFiles("base", map[string]string{"conf/secret.env": "A=1\n", "README": "x\n"})
	r.Remove("conf")
	symlink(t, out, filepath.Join(r.Dir(), "conf"))
	res, err := newTestScanner(t).ScanDir(testCtx(t), r.Dir())
	if err != nil {
		t.Fatal(err)
	}
	checkPlaces(t, res, nil)
}

func TestScanDirErrors(t *testing.T) {
	cases := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"missing path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }},
		{"dangling symlink", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "dangling")
			symlink(t, filepath.Join(t.TempDir(), "gone"), p)
			return p
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := newTestScanner(t).ScanDir(testCtx(t), tc.path(t))
			if err == nil {
				t.Fatalf("no error; result %s", describe(res))
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("empty error text")
			}
		})
	}
}

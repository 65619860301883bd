package scanner

import (
	"fmt"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

func TestScanStaged(t *testing.T) {
	cases := []struct {
		name  string
		build func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place
		check func(t *testing.T, res *finding.Result)
	}{
		{
			name: "first commit without HEAD",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				tok := g.GitHubToken("ghp_")
				r.Stage("app.env", "# config\nDEBUG=1\nGITHUB_TOKEN="+tok+"\n")
				return []place{{"github-pat", tok, "app.env", 3}}
			},
		},
		{
			name: "token added at line 3 of a file with an old token",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				old, tok := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"cfg.env": "A=1\nB=2\nC=3\nOLD_TOKEN=" + old + "\n"})
				r.Stage("cfg.env", "A=1\nB=2\nGITHUB_TOKEN="+tok+"\nC=3\nOLD_TOKEN="+old+"\n")
				return []place{{"github-pat", tok, "cfg.env", 3}}
			},
		},
		{
			name: "tokens in two hunks",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				a, b := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				var lines []string
				for i := 1; i <= 20; i++ {
					lines = append(lines, fmt.Sprintf("line %d", i))
				}
				r.CommitFiles("base", map[string]string{"f.txt": strings.Join(lines, "\n") + "\n"})
				lines[1] = "TOKEN_A=" + a
				lines[15] = "TOKEN_B=" + b
				r.Stage("f.txt", strings.Join(lines, "\n")+"\n")
				return []place{{"github-pat", a, "f.txt", 2}, {"github-pat", b, "f.txt", 16}}
			},
		},
		{
			name: "clean staged change",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				r.CommitFiles("base", map[string]string{"main.go": "package main\n"})
				r.Stage("main.go", "package main\n\nfunc main() {}\n")
				r.Stage("docs/new.md", "# docs\n")
				return nil
			},
			check: func(t *testing.T, res *finding.Result) {
				if res.Stats.Blobs != 2 {
					t.Errorf("Stats.Blobs = %d, want 2", res.Stats.Blobs)
				}
			},
		},
		{
			name: "unstaged and untracked changes are not scanned",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				r.CommitFiles("base", map[string]string{"a.env": "A=1\n"})
				r.WriteFile("a.env", "A=1\nGITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n")
				r.WriteFile("untracked.env", "GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n")
				return nil
			},
		},
		{
			name: "staged deletion of a file holding a token",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				r.CommitFiles("base", map[string]string{"a.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"})
				r.Git("rm", "-q", "a.env")
				return nil
			},
		},
		{
			name: "staged binary file",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				r.Stage("blob.dat", "\x00\x01GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n")
				return nil
			},
			// Whether it is counted: TestScanStagedBinaryCounted.
		},
		{
			name: "gitleaks:allow",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				tok := g.GitHubToken("ghp_")
				// The allowed line comes last: see TestGitleaksAllowStaysOnItsLine.
				r.Stage("t.env", "GITHUB_TOKEN="+tok+"\nFAKE="+g.GitHubToken("ghp_")+" # gitleaks:allow\n")
				return []place{{"github-pat", tok, "t.env", 1}}
			},
		},
		{
			name: "unusual file names",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				var want []place
				for _, name := range []string{"tab\there.env", "new\nline.env", "ünï/ファイル.env", "-dash.env", `q"uote.env`} {
					tok := g.GitHubToken("ghp_")
					r.Stage(name, "GITHUB_TOKEN="+tok+"\n")
					want = append(want, place{"github-pat", tok, name, 1})
				}
				return want
			},
		},
		{
			name: "hunk over MaxBlobBytes",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []place {
				small := g.GitHubToken("ghp_")
				r.Stage("big.txt", "GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n"+strings.Repeat("padding\n", 1000))
				r.Stage("small.env", "GITHUB_TOKEN="+small+"\n")
				return []place{{"github-pat", small, "small.env", 1}}
			},
			check: func(t *testing.T, res *finding.Result) {
				if res.Stats.SkippedLarge != 1 {
					t.Errorf("Stats.SkippedLarge = %d, want 1", res.Stats.SkippedLarge)
				}
			},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			want := tc.build(t, r, fixtures.NewGen(uint64(500+i)))
			s := newTestScanner(t)
			s.MaxBlobBytes = 4096
			res, err := s.ScanStaged(testCtx(t), r.Dir())
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

func TestScanStagedBinaryCounted(t *testing.T) {
	cases := []struct {
		name    string
		content []string // committed (if any), then staged
	}{
		{"new binary file", []string{"", "\x00\x01GITHUB_TOKEN=x\n"}},
		{"modified binary file", []string{"\x00old\n", "\x00new\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			if tc.content[0] != "" {
				r.CommitFiles("base", map[string]string{"blob.dat": tc.content[0]})
			}
			r.Stage("blob.dat", tc.content[1])
			res, err := newTestScanner(t).ScanStaged(testCtx(t), r.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if res.Stats.SkippedBinary != 1 {
				t.Errorf("Stats.SkippedBinary = %d, want 1", res.Stats.SkippedBinary)
			}
		})
	}
}

func TestScanStagedPathWithSpace(t *testing.T) {
	for _, name := range []string{"my file.env", "dir with space/x.env"} {
		t.Run(name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			tok := fixtures.NewGen(42).GitHubToken("ghp_")
			r.Stage(name, "GITHUB_TOKEN="+tok+"\n")
			res, err := newTestScanner(t).ScanStaged(testCtx(t), r.Dir())
			if err != nil {
				t.Fatal(err)
			}
			checkPlaces(t, res, []place{{"github-pat", tok, name, 1}})
		})
	}
}

func TestScanStagedNotARepository(t *testing.T) {
	_, err := newTestScanner(t).ScanStaged(testCtx(t), t.TempDir())
	if err == nil || strings.TrimSpace(err.Error()) == "" {
		t.Fatalf("want a clear error outside a repository, got %v", err)
	}
}

// A gitleaks:allow comment allows its own line only. The text handed to
// gitleaks must end with a newline: gitleaks takes a match on an unterminated
// last line to start at offset 0, so the allow comment of an earlier line
// reaches it. Staged hunks are always joined without a final newline.
func TestGitleaksAllowStaysOnItsLine(t *testing.T) {
	g := fixtures.NewGen(43)
	cases := []struct {
		name string
		eol  string // end of the file
		scan func(t *testing.T, r *fixtures.Repo) (*finding.Result, error)
	}{
		{"staged", "\n", func(t *testing.T, r *fixtures.Repo) (*finding.Result, error) {
			return newTestScanner(t).ScanStaged(testCtx(t), r.Dir())
		}},
		{"staged without final newline", "", func(t *testing.T, r *fixtures.Repo) (*finding.Result, error) {
			return newTestScanner(t).ScanStaged(testCtx(t), r.Dir())
		}},
		{"dir without final newline", "", func(t *testing.T, r *fixtures.Repo) (*finding.Result, error) {
			return newTestScanner(t).ScanDir(testCtx(t), r.Dir())
		}},
		{"history without final newline", "", func(t *testing.T, r *fixtures.Repo) (*finding.Result, error) {
			r.Commit("commit")
			return newTestScanner(t).ScanHistory(testCtx(t), r.Dir(), HistoryOptions{})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := g.GitHubToken("ghp_")
			r := fixtures.NewRepo(t)
			// A bare token that only github-pat matches.
			r.Stage("t.txt", "example "+g.GitHubToken("ghp_")+" # gitleaks:allow\n"+tok+tc.eol)
			res, err := tc.scan(t, r)
			if err != nil {
				t.Fatal(err)
			}
			f := oneWithSecret(t, res, tok)
			if f.RuleID != "github-pat" || len(f.Locations) != 1 || f.Locations[0].Line != 2 {
				t.Errorf("got %s", describe(res))
			}
		})
	}
}

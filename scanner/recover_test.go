package scanner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// TestScanHistoryMissingTreeOrCommit: a missing tree or commit no longer
// aborts the scan: the commits that cannot be read are skipped, counted
// and named in the warnings; every other commit is scanned.
func TestScanHistoryMissingTreeOrCommit(t *testing.T) {
	if !gitAvailable() {
		t.Skip("git not on PATH")
	}
	g := fixtures.NewGen(91)
	cases := []struct {
		name string
		lose func(r *fixtures.Repo, c1, c2, c3 string) string // returns the object deleted
		// secrets that must still be found (by commit file)
		want []string
	}{
		{"missing tree of a middle commit", func(r *fixtures.Repo, c1, c2, c3 string) string {
			return r.Git("rev-parse", c2+":sub") // only c2 has this sub tree
		}, []string{"a.env", "c.env"}},
		{"missing middle commit", func(r *fixtures.Repo, c1, c2, c3 string) string { return c2 }, []string{"c.env"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			toks := map[string]string{"a.env": g.GitHubToken("ghp_"), "sub/b.env": g.GitHubToken("ghp_"), "c.env": g.GitHubToken("ghp_")}
			c1 := r.CommitFiles("one", map[string]string{"a.env": "GITHUB_TOKEN=" + toks["a.env"] + "\n"})
			c2 := r.CommitFiles("two", map[string]string{"sub/b.env": "GITHUB_TOKEN=" + toks["sub/b.env"] + "\n"})
			r.Remove("sub")
			c3 := r.CommitFiles("three", map[string]string{"c.env": "GITHUB_TOKEN=" + toks["c.env"] + "\n"})
			r.DeleteObject(tc.lose(r, c1, c2, c3))
			res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{})
			if res.Stats.MissingObjects < 1 || !strings.Contains(strings.Join(res.Stats.Warnings, "\n"), "skipped") {
				t.Errorf("the unreadable commit is not counted and reported: %+v", res.Stats)
			}
			for _, f := range tc.want {
				if len(withSecret(res, toks[f])) == 0 {
					t.Errorf("%s not found:\n%s", f, describe(res))
				}
			}
		})
	}
	t.Run("a range over a missing tree", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		tok := g.GitHubToken("ghp_")
		base := r.CommitFiles("base", map[string]string{"README": "x\n"})
		r.CommitFiles("sub", map[string]string{"sub/x.txt": "x\n"})
		lost := r.Git("rev-parse", "HEAD:sub")
		r.Remove("sub")
		r.CommitFiles("leak", map[string]string{"k.env": "GITHUB_TOKEN=" + tok + "\n"})
		r.DeleteObject(lost)
		res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{Revs: []string{base + "..HEAD"}})
		if len(withSecret(res, tok)) == 0 || res.Stats.MissingObjects < 1 {
			t.Errorf("range scan: %+v\n%s", res.Stats, describe(res))
		}
	})
	t.Run("a bad revision is still an error", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		r.CommitFiles("one", map[string]string{"a": "x\n"})
		if _, err := newTestScanner(t).ScanHistory(testCtx(t), r.Dir(), HistoryOptions{Revs: []string{"nosuchbranch..HEAD"}}); err == nil {
			t.Fatal("no error for an unknown revision")
		}
	})
}

// TestScanHistoryTruncatedBlobIsCorrupt: a blob whose object file is cut
// short is present but unreadable: counted as corrupt, not missing, and the
// other blobs are scanned.
func TestScanHistoryTruncatedBlobIsCorrupt(t *testing.T) {
	if !gitAvailable() {
		t.Skip("git not on PATH")
	}
	g := fixtures.NewGen(92)
	for _, size := range []int64{10, 60} { // header unreadable; content cut short
		t.Run(strings.Repeat("x", 0)+map[int64]string{10: "header cut", 60: "content cut"}[size], func(t *testing.T) {
			r := fixtures.NewRepo(t)
			good := g.GitHubToken("ghp_")
			var big strings.Builder
			for big.Len() < 32<<10 {
				big.WriteString("GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n")
			}
			r.CommitFiles("one", map[string]string{"good.env": "GITHUB_TOKEN=" + good + "\n", "big.txt": big.String()})
			id := r.Git("rev-parse", "HEAD:big.txt")
			p := filepath.Join(r.Dir(), ".git", "objects", id[:2], id[2:])
			if err := os.Chmod(p, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, size); err != nil {
				t.Fatal(err)
			}
			for _, revs := range [][]string{nil, {"HEAD"}} {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{Revs: revs})
				if res.Stats.CorruptObjects != 1 || res.Stats.MissingObjects != 0 {
					t.Errorf("revs %v: corrupt %d, missing %d; want 1, 0: %+v", revs, res.Stats.CorruptObjects, res.Stats.MissingObjects, res.Stats)
				}
				if len(withSecret(res, good)) == 0 {
					t.Errorf("revs %v: the readable blob was not scanned", revs)
				}
			}
		})
	}
}

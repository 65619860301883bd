package scanner

import (
	"slices"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

const (
	z40 = "0000000000000000000000000000000000000000"
	a40 = "1111111111111111111111111111111111111111"
	b40 = "2222222222222222222222222222222222222222"
)

func TestParseRefUpdates(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    []RefUpdate
		wantErr string
	}{
		{name: "empty", in: ""},
		{name: "create, update, delete", in: z40 + " " + a40 + " refs/heads/new\n" + a40 + " " + b40 + " refs/heads/main\n" + b40 + " " + z40 + " refs/tags/old\n",
			want: []RefUpdate{{z40, a40, "refs/heads/new"}, {a40, b40, "refs/heads/main"}, {b40, z40, "refs/tags/old"}}},
		{name: "CRLF and blank lines", in: "\r\n" + a40 + " " + b40 + " refs/heads/main\r\n\n", want: []RefUpdate{{a40, b40, "refs/heads/main"}}},
		{name: "sha256", in: strings.Repeat("0", 64) + " " + strings.Repeat("a", 64) + " refs/heads/x\n", want: []RefUpdate{{strings.Repeat("0", 64), strings.Repeat("a", 64), "refs/heads/x"}}},
		{name: "two fields", in: a40 + " " + b40 + "\n", wantErr: "line 1"},
		{name: "short sha", in: "abc " + b40 + " refs/heads/x\n", wantErr: "line 1"},
		{name: "upper-case sha", in: strings.ToUpper("abcdef"+a40[6:]) + " " + b40 + " refs/heads/x\n", wantErr: "line 1"},
		{name: "mixed lengths", in: z40 + " " + strings.Repeat("a", 64) + " refs/heads/x\n", wantErr: "line 1"},
		{name: "both zero", in: z40 + " " + z40 + " refs/heads/x\n", wantErr: "both object names are zero"},
		{name: "ref like an option", in: a40 + " " + b40 + " --all\n", wantErr: "bad ref name"},
		{name: "extra field", in: a40 + " " + b40 + " refs/heads/x y\n", wantErr: "line 1"},
		{name: "second line bad", in: a40 + " " + b40 + " refs/heads/x\nnonsense\n", wantErr: "line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRefUpdates(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzParseRefUpdates(f *testing.F) {
	f.Add(z40 + " " + a40 + " refs/heads/new\n")
	f.Add(a40 + " " + z40 + " refs/tags/v1\r\n\n")
	f.Add("x y z")
	f.Fuzz(func(t *testing.T, in string) {
		us, err := ParseRefUpdates(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, u := range us {
			if !validID(u.Old) || !validID(u.New) || u.Ref == "" || strings.HasPrefix(u.Ref, "-") {
				t.Fatalf("accepted a bad update %+v", u)
			}
			if u.Deletion() && u.Creation() {
				t.Fatalf("both creation and deletion: %+v", u)
			}
		}
		for _, r := range PushRevs(us) {
			if strings.HasPrefix(r, "-") && r != "--not" && r != "--all" {
				t.Fatalf("revision %q could be read as an option", r)
			}
		}
	})
}

func TestPushRevs(t *testing.T) {
	cases := []struct {
		name string
		in   []RefUpdate
		want []string
	}{
		{"only deletions", []RefUpdate{{a40, z40, "refs/heads/x"}}, nil},
		{"new and updated, one tip twice", []RefUpdate{{z40, a40, "refs/heads/x"}, {b40, a40, "refs/tags/t"}, {a40, b40, "refs/heads/main"}},
			[]string{a40, b40, "--not", "--all"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := PushRevs(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePushAllow(t *testing.T) {
	fp1, fp2 := strings.Repeat("ab", 16), strings.Repeat("0c", 16)
	env := map[string]string{
		"GIT_PUSH_OPTION_COUNT": "4",
		"GIT_PUSH_OPTION_0":     "nhiscan.allow=" + strings.ToUpper(fp1) + ", " + fp2,
		"GIT_PUSH_OPTION_1":     "ci.skip",
		"GIT_PUSH_OPTION_2":     "nhiscan.allow=not-a-fingerprint",
		"GIT_PUSH_OPTION_3":     "nhiscan.reason= test fixture " + strings.Repeat("x", 300),
	}
	opts := PushOptions(func(k string) string { return env[k] })
	if len(opts) != 4 {
		t.Fatalf("options %q", opts)
	}
	pa := ParsePushAllow(opts)
	if !pa.Fingerprints[fp1] || !pa.Fingerprints[fp2] || len(pa.Fingerprints) != 2 {
		t.Errorf("fingerprints %v", pa.Fingerprints)
	}
	if !slices.Equal(pa.Malformed, []string{"not-a-fingerprint"}) {
		t.Errorf("malformed %q", pa.Malformed)
	}
	if !strings.HasPrefix(pa.Reason, "test fixture xx") || len([]rune(pa.Reason)) > maxReason+1 {
		t.Errorf("reason %q", pa.Reason)
	}
	for _, count := range []string{"", "-1", "x"} {
		if got := PushOptions(func(k string) string {
			if k == "GIT_PUSH_OPTION_COUNT" {
				return count
			}
			return "nhiscan.allow=" + fp1
		}); got != nil {
			t.Errorf("count %q: options %q", count, got)
		}
	}
}

func TestSplitBypassed(t *testing.T) {
	fpA, fpB, fpC, fpD := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32), strings.Repeat("d", 32)
	loc := func(commit, path string, line int) finding.Location {
		return finding.Location{Commit: commit, Path: path, Line: line}
	}
	fs := []finding.Finding{
		{Fingerprint: fpA, RuleID: "github-pat", Locations: []finding.Location{loc(a40, "a.env", 1)}},
		{Fingerprint: "e" + fpB[1:], Aliases: []string{fpB}, RuleID: "github-pat", Locations: []finding.Location{loc(a40, "b.env", 1)}},
		{Fingerprint: fpC, RuleID: "github-pat", Locations: []finding.Location{loc(a40, "c.env", 3), loc(b40, "c2.env", 4)}},
		{Fingerprint: fpD, RuleID: "github-pat", Locations: []finding.Location{loc(a40, "d.env", 5)}},
	}
	server, err := ParseIgnore(strings.NewReader("c.env:github-pat:3\n"))
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := ParseIgnore(strings.NewReader(fpD + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	kept, bypassed := SplitBypassed(fs, PushAllow{Fingerprints: map[string]bool{fpA: true, fpB: true}},
		[]AllowList{{Source: "server", List: server}, {Source: b40 + ":.gitleaksignore", List: pushed}})
	var got []string
	for _, b := range bypassed {
		got = append(got, b.Finding.Fingerprint[:1]+" "+b.Via+" "+b.Source)
	}
	want := []string{"a push-option nhiscan.allow=" + fpA, "e push-option nhiscan.allow=" + fpB, "d ignore-file " + b40 + ":.gitleaksignore"}
	if !slices.Equal(got, want) {
		t.Errorf("bypassed %q, want %q", got, want)
	}
	if len(kept) != 1 || kept[0].Fingerprint != fpC || len(kept[0].Locations) != 1 || kept[0].Locations[0].Path != "c2.env" {
		t.Errorf("kept %+v: want c with only its unignored location", kept)
	}
}

// TestScanPush scans pushes against a repository whose refs hold the
// server's state and whose unreferenced commits stand for what a push
// brings (as the quarantine does): only the new commits are scanned.
func TestScanPush(t *testing.T) {
	g := fixtures.NewGen(181)
	tokOld, tokNew, tokTag := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	r := fixtures.NewRepo(t)
	base := r.CommitFiles("base", map[string]string{"old.env": "TOKEN=" + tokOld + "\n"})
	r.Git("checkout", "-q", "-b", "incoming")
	clean := r.CommitFiles("clean", map[string]string{"README.md": "# app\n"})
	leak := r.CommitFiles("leak", map[string]string{"config/app.env": "DEBUG=1\nGITHUB_TOKEN=" + tokNew + "\n"})
	r.Checkout(base)
	r.Git("checkout", "-q", "--orphan", "rewritten")
	r.Remove("old.env")
	rewritten := r.CommitFiles("rewritten root", map[string]string{"tag.env": "T=" + tokTag + "\n"})
	r.Git("tag", "-a", "-m", "release", "v1", rewritten)
	tagObj := r.Git("rev-parse", "v1")
	tree := r.Git("rev-parse", base+"^{tree}")
	r.Checkout("main")
	// Only main (at base) stays a ref; the rest is "in the push".
	r.Git("branch", "-D", "incoming", "rewritten")
	r.Git("tag", "-d", "v1")

	cases := []struct {
		name        string
		updates     []RefUpdate
		secrets     []string // found, in any order
		commits     int
		refOf       map[string]string
		unscannable int
	}{
		{name: "fast-forward adds only the new commits", updates: []RefUpdate{{base, leak, "refs/heads/main"}},
			secrets: []string{tokNew}, commits: 2, refOf: map[string]string{leak: "refs/heads/main"}},
		{name: "new branch at a known commit adds nothing", updates: []RefUpdate{{z40, base, "refs/heads/copy"}}},
		{name: "new branch with a clean commit", updates: []RefUpdate{{z40, clean, "refs/heads/topic"}}, commits: 1},
		{name: "force push of an unrelated history", updates: []RefUpdate{{base, rewritten, "refs/heads/main"}},
			secrets: []string{tokTag}, commits: 1},
		{name: "annotated tag and a branch", updates: []RefUpdate{{z40, tagObj, "refs/tags/v1"}, {z40, leak, "refs/heads/feature"}},
			secrets: []string{tokTag, tokNew}, commits: 3, refOf: map[string]string{rewritten: "refs/tags/v1", leak: "refs/heads/feature"}},
		{name: "deletion is ignored", updates: []RefUpdate{{base, z40, "refs/heads/main"}}},
		{name: "a ref to a tree is unscannable", updates: []RefUpdate{{z40, tree, "refs/tags/tree"}}, unscannable: 1},
	}
	s := newTestScanner(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr, err := s.ScanPush(testCtx(t), r.Dir(), tc.updates)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range pr.Findings {
				got = append(got, f.Secret)
			}
			slices.Sort(got)
			want := slices.Clone(tc.secrets)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("found %d secrets %v, want %d", len(got), got, len(want))
			}
			if pr.Stats.Commits != tc.commits {
				t.Errorf("scanned %d commits, want %d", pr.Stats.Commits, tc.commits)
			}
			for c, ref := range tc.refOf {
				if pr.RefOf[c] != ref {
					t.Errorf("commit %s attributed to %q, want %q", c[:8], pr.RefOf[c], ref)
				}
			}
			if len(pr.Unscannable) != tc.unscannable {
				t.Errorf("unscannable %v, want %d", pr.Unscannable, tc.unscannable)
			}
		})
	}
	t.Run("a missing object is an error, not a clean push", func(t *testing.T) {
		_, err := s.ScanPush(testCtx(t), r.Dir(), []RefUpdate{{base, a40, "refs/heads/main"}})
		if err == nil || !strings.Contains(err.Error(), "quarantine") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestIgnoreFiles(t *testing.T) {
	fp := strings.Repeat("ab", 16)
	r := fixtures.NewRepo(t)
	without := r.CommitFiles("base", map[string]string{"README.md": "# app\n"})
	with := r.CommitFiles("allow", map[string]string{".gitleaksignore": "# test fixture\n" + fp + "\n"})
	same := r.CommitFiles("same list", map[string]string{"other": "x\n"})
	bad := r.CommitFiles("typo", map[string]string{".gitleaksignore": "not an entry\n"})
	ctx := testCtx(t)
	lists, err := IgnoreFiles(ctx, r.Dir(), []string{without, with, same})
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != 1 || lists[0].Source != with+":.gitleaksignore" || !lists[0].List.Ignored(fp, "x", finding.Location{}) {
		t.Errorf("lists %+v: want the one file, named after the first tip holding it", lists)
	}
	if _, err := IgnoreFiles(ctx, r.Dir(), []string{with, bad}); err == nil || !strings.Contains(err.Error(), bad+":.gitleaksignore: line 1") {
		t.Errorf("bad: err = %v", err)
	}
	if _, err := IgnoreFiles(ctx, r.Dir(), []string{"--output=x"}); err == nil {
		t.Error("an option was accepted as a commit")
	}
}

package scanner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

// wantLoc is the part of a Location a history test checks.
type wantLoc struct {
	commit string
	path   string
	line   int
	author string // "" = fixtures.AuthorName
}

// wantFinding is one expected finding, matched by its raw secret.
type wantFinding struct {
	rule   string
	secret string
	inHead *bool // nil: not checked
	locs   []wantLoc
	col    int // when not 0, the column of every location
}

func ptr[T any](v T) *T { return &v }

// checkFindings asserts that res holds exactly the wanted findings.
func checkFindings(t *testing.T, res *finding.Result, want []wantFinding) {
	t.Helper()
	if len(res.Findings) != len(want) {
		t.Errorf("got %d findings, want %d:\n%s", len(res.Findings), len(want), describe(res))
	}
	for _, w := range want {
		fs := withSecret(res, w.secret)
		if len(fs) != 1 {
			t.Errorf("%s %s: got %d findings, want 1:\n%s", w.rule, finding.Redact(w.secret), len(fs), describe(res))
			continue
		}
		f := fs[0]
		if f.RuleID != w.rule {
			t.Errorf("%s: rule %q, want %q", finding.Redact(w.secret), f.RuleID, w.rule)
		}
		if f.Fingerprint != (finding.Fingerprinter{}).Of(w.secret) || !slices.Contains(f.Aliases, finding.Fingerprint(w.rule, w.secret)) {
			t.Errorf("%s: fingerprint %q, want the credential's, with the per-rule alias", w.rule, f.Fingerprint)
		}
		if w.inHead != nil && f.InHead != *w.inHead {
			t.Errorf("%s: InHead = %v, want %v", w.rule, f.InHead, *w.inHead)
		}
		if len(f.Locations) != len(w.locs) {
			t.Errorf("%s: %d locations, want %d:\n%s", w.rule, len(f.Locations), len(w.locs), describe(res))
			continue
		}
		for i, wl := range w.locs {
			l := f.Locations[i]
			author := wl.author
			if author == "" {
				author = fixtures.AuthorName
			}
			if l.Commit != wl.commit || l.Path != wl.path || l.Line != wl.line || l.Author != author {
				t.Errorf("%s location %d = {%.10s %q line %d %q}, want {%.10s %q line %d %q}",
					w.rule, i, l.Commit, l.Path, l.Line, l.Author, wl.commit, wl.path, wl.line, author)
			}
			if w.col != 0 && l.Column != w.col {
				t.Errorf("%s location %d: column %d, want %d", w.rule, i, l.Column, w.col)
			}
			if l.Blob == "" || l.Date.IsZero() || l.Column < 1 || l.EndLine < l.Line || l.Unreachable {
				t.Errorf("%s location %d incomplete: %+v", w.rule, i, l)
			}
		}
	}
}

func TestScanHistoryFindings(t *testing.T) {
	cases := []struct {
		name  string
		build func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding
	}{
		{
			name: "committed once then edited five times keeping the token line",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				r.WriteFile("config/app.env", "# v0\nGITHUB_TOKEN="+tok+"\n")
				c1 := r.CommitAs("Alice Adder", "alice@fixtures.example", "add token")
				for i := 1; i <= 5; i++ {
					body := fmt.Sprintf("# v%d\nGITHUB_TOKEN=%s\n", i, tok) + strings.Repeat("extra line\n", i)
					r.CommitFiles(fmt.Sprintf("edit %d", i), map[string]string{"config/app.env": body})
				}
				// InHead is checked by TestScanHistoryInHeadAfterLaterEdit.
				return []wantFinding{{rule: "github-pat", secret: tok, locs: []wantLoc{{c1, "config/app.env", 2, "Alice Adder"}}}}
			},
		},
		{
			name: "same token in two files in two commits",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("first", map[string]string{"a.env": "GITHUB_TOKEN=" + tok + "\n"})
				c2 := r.CommitFiles("second", map[string]string{"deploy/b.sh": "#!/bin/sh\n\nexport GH_TOKEN=" + tok + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true),
					locs: []wantLoc{{c1, "a.env", 1, ""}, {c2, "deploy/b.sh", 3, ""}}}}
			},
		},
		{
			name: "token added then file deleted",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"secret.env": "GITHUB_TOKEN=" + tok + "\n", "README": "hi\n"})
				r.Remove("secret.env")
				r.Commit("delete")
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(false), locs: []wantLoc{{c1, "secret.env", 1, ""}}}}
			},
		},
		{
			name: "token added then its line deleted",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"app.env": "A=1\nGITHUB_TOKEN=" + tok + "\nB=2\n"})
				r.CommitFiles("scrub", map[string]string{"app.env": "A=1\nB=2\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(false), locs: []wantLoc{{c1, "app.env", 2, ""}}}}
			},
		},
		{
			name: "token re-added after deletion",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"x.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.Remove("x.env")
				r.Commit("delete")
				c3 := r.CommitFiles("re-add", map[string]string{"x.env": "GITHUB_TOKEN=" + tok + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "x.env", 1, ""}, {c3, "x.env", 1, ""}}}}
			},
		},
		{
			name: "token line moved down by a later edit adds no location",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"m.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.CommitFiles("insert above", map[string]string{"m.env": "# header\n# more\nGITHUB_TOKEN=" + tok + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, locs: []wantLoc{{c1, "m.env", 1, ""}}}}
			},
		},
		{
			name: "token added in a later hunk of an existing file",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				var lines []string
				for i := 1; i <= 10; i++ {
					lines = append(lines, fmt.Sprintf("line %d", i))
				}
				r.CommitFiles("base", map[string]string{"big.txt": strings.Join(lines, "\n") + "\n"})
				lines[0] = "line one changed"
				lines = slices.Insert(lines, 7, "GITHUB_TOKEN="+tok)
				c2 := r.CommitFiles("add token", map[string]string{"big.txt": strings.Join(lines, "\n") + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c2, "big.txt", 8, ""}}}}
			},
		},
		{
			name: "token only on an unmerged branch",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"README": "base\n"})
				r.Branch("feature")
				r.Checkout("feature")
				c2 := r.CommitFiles("wip", map[string]string{"wip.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.Checkout("main")
				r.CommitFiles("main moves on", map[string]string{"README": "base\nmore\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(false), locs: []wantLoc{{c2, "wip.env", 1, ""}}}}
			},
		},
		{
			name: "token merged from a branch is located at the branch commit",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"README": "base\n"})
				r.Branch("feature")
				r.Checkout("feature")
				c2 := r.CommitFiles("feature", map[string]string{"f.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.Checkout("main")
				r.CommitFiles("main", map[string]string{"other.txt": "x\n"})
				r.Git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c2, "f.env", 1, ""}}}}
			},
		},
		{
			name: "aws key id, slack bot token and private key get their rule ids",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				id, _ := g.AWSKeyPair()
				slack := g.SlackBotToken()
				key := g.RSAPrivateKeyPEM()
				c1 := r.CommitFiles("creds", map[string]string{
					"aws.ini":        "[default]\nregion = eu-west-1\naws_access_key_id = " + id + "\n",
					"bot/slack.yaml": "bot:\n  name: deployer\n  slack: " + slack + "\n",
					"keys/id_rsa":    key,
				})
				keySecret := strings.TrimSpace(key)
				return []wantFinding{
					{rule: "aws-access-token", secret: id, inHead: ptr(true), locs: []wantLoc{{c1, "aws.ini", 3, ""}}},
					{rule: "slack-bot-token", secret: slack, inHead: ptr(true), locs: []wantLoc{{c1, "bot/slack.yaml", 3, ""}}},
					{rule: "private-key", secret: keySecret, inHead: ptr(true), locs: []wantLoc{{c1, "keys/id_rsa", 1, ""}}},
				}
			},
		},
		{
			name: "gitleaks:allow on the line suppresses it",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				allowed, other := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"t.env": "TEST_TOKEN=" + allowed + " # gitleaks:allow\nGITHUB_TOKEN=" + other + "\n"})
				return []wantFinding{{rule: "github-pat", secret: other, inHead: ptr(true), locs: []wantLoc{{c1, "t.env", 2, ""}}}}
			},
		},
		{
			name: "invalid UTF-8 around the token",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("latin1", map[string]string{"weird.txt": "caf\xe9 \xff\xfe\n\xc3\x28 GITHUB_TOKEN=" + tok + " \x80\xbf\xf8\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "weird.txt", 2, ""}}}}
			},
		},
		{
			name: "same token twice in one file",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("twice", map[string]string{"d.env": "GITHUB_TOKEN=" + tok + "\nX=1\nGITHUB_TOKEN=" + tok + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "d.env", 1, ""}, {c1, "d.env", 3, ""}}}}
			},
		},
		{
			name: "same token in two files of one commit",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("two", map[string]string{"one.env": "GITHUB_TOKEN=" + tok + "\n", "two.env": "# other file\nGITHUB_TOKEN=" + tok + "\n"})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "one.env", 1, ""}, {c1, "two.env", 2, ""}}}}
			},
		},
		{
			name: "identical blob at two paths",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				body := "GITHUB_TOKEN=" + tok + "\n"
				c1 := r.CommitFiles("copies", map[string]string{"x/copy.env": body, "y/copy.env": body})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "x/copy.env", 1, ""}, {c1, "y/copy.env", 1, ""}}}}
			},
		},
		{
			name: "renamed file is a new path",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("add", map[string]string{"old.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.Git("mv", "old.env", "new.env")
				c2 := r.Commit("rename")
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "old.env", 1, ""}, {c2, "new.env", 1, ""}}}}
			},
		},
		{
			name: "token only reachable from an annotated tag",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				r.CommitFiles("base", map[string]string{"README": "x\n"})
				r.Checkout("--detach")
				c2 := r.CommitFiles("tagged", map[string]string{"rel.env": "GITHUB_TOKEN=" + tok + "\n"})
				r.Git("tag", "-a", "-m", "release", "v1", c2)
				r.Checkout("main")
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(false), locs: []wantLoc{{c2, "rel.env", 1, ""}}}}
			},
		},
		{
			name: "CRLF line endings and no final newline",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				a, b := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
				c1 := r.CommitFiles("crlf", map[string]string{"win.env": "A=1\r\nGITHUB_TOKEN=" + a + "\r\n", "nonl.env": "B=2\nGITHUB_TOKEN=" + b})
				return []wantFinding{
					{rule: "github-pat", secret: a, inHead: ptr(true), locs: []wantLoc{{c1, "win.env", 2, ""}}, col: 14},
					{rule: "github-pat", secret: b, inHead: ptr(true), locs: []wantLoc{{c1, "nonl.env", 2, ""}}, col: 14},
				}
			},
		},
		{
			name: "token in the middle of a very long line",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				prefix := "var a=[" + strings.Repeat(`"abc",`, 2000) + `];var t="`
				line := prefix + tok + `";` + strings.Repeat(`"def",`, 2000) + "\n"
				c1 := r.CommitFiles("minified", map[string]string{"app.min.js": "// header\n" + line})
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "app.min.js", 2, ""}}, col: len(prefix) + 1}}
			},
		},
	}
	// Unusual file names must come back byte for byte.
	for _, name := range []string{"new\nline.env", "tab\there.env", "ünï/cødé ファイル.env", "-leading-dash.env", "sp ace.env", `back\slash "quoted".env`} {
		cases = append(cases, struct {
			name  string
			build func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding
		}{
			name: fmt.Sprintf("file name %q", name),
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				tok := g.GitHubToken("ghp_")
				c1 := r.CommitFiles("odd name", map[string]string{name: "x\nGITHUB_TOKEN=" + tok + "\n", "plain.txt": "plain\n"})
				inHead := ptr(true)
				if strings.ContainsAny(name, "\n\t") {
					inHead = nil // see TestScanHistoryGoGitInHeadControlCharName
				}
				return []wantFinding{{rule: "github-pat", secret: tok, inHead: inHead, locs: []wantLoc{{c1, name, 2, ""}}}}
			},
		})
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			want := tc.build(t, r, fixtures.NewGen(uint64(100+i)))
			for _, rd := range readers {
				t.Run(rd.name, func(t *testing.T) {
					res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
					checkFindings(t, res, want)
				})
			}
		})
	}
}

// A secret still present at the tip of main must be InHead even when the
// file holding it was edited after the commit that added it.
func TestScanHistoryInHeadAfterLaterEdit(t *testing.T) {
	cases := []struct {
		name  string
		edits int
	}{
		{"one later edit", 1},
		{"five later edits", 5},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			tok := fixtures.NewGen(uint64(200 + i)).GitHubToken("ghp_")
			r.CommitFiles("add", map[string]string{"app.env": "# v0\nGITHUB_TOKEN=" + tok + "\n"})
			for e := 1; e <= tc.edits; e++ {
				r.CommitFiles("edit", map[string]string{"app.env": fmt.Sprintf("# v%d\nGITHUB_TOKEN=%s\n", e, tok)})
			}
			for _, rd := range readers {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if f := oneWithSecret(t, res, tok); !f.InHead {
					t.Errorf("%s: InHead = false for a token present in HEAD:app.env", rd.name)
				}
			}
		})
	}
}

// A match spanning lines (a PEM key, `password:` with its value on the next
// line) belongs to the blobs holding all of its lines, however the history
// scan deduplicates lines.
func TestScanHistoryMultiLineMatches(t *testing.T) {
	cases := []struct {
		name  string
		build func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding
	}{
		{
			name: "rotated private key",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				k1, k2 := g.RSAPrivateKeyPEM(), g.RSAPrivateKeyPEM()
				c1 := r.CommitFiles("key", map[string]string{"id_rsa": k1})
				c2 := r.CommitFiles("rotate", map[string]string{"id_rsa": k2})
				return []wantFinding{
					{rule: "private-key", secret: strings.TrimSpace(k1), inHead: ptr(false), locs: []wantLoc{{c1, "id_rsa", 1, ""}}},
					{rule: "private-key", secret: strings.TrimSpace(k2), inHead: ptr(true), locs: []wantLoc{{c2, "id_rsa", 1, ""}}},
				}
			},
		},
		{
			name: "two keys in two files of one commit",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				k1, k2 := g.RSAPrivateKeyPEM(), g.RSAPrivateKeyPEM()
				c1 := r.CommitFiles("keys", map[string]string{"a/id_rsa": k1, "b/id_rsa": k2})
				return []wantFinding{
					{rule: "private-key", secret: strings.TrimSpace(k1), inHead: ptr(true), locs: []wantLoc{{c1, "a/id_rsa", 1, ""}}},
					{rule: "private-key", secret: strings.TrimSpace(k2), inHead: ptr(true), locs: []wantLoc{{c1, "b/id_rsa", 1, ""}}},
				}
			},
		},
		{
			name: "yaml key and value on separate lines, each seen before",
			build: func(t *testing.T, r *fixtures.Repo, g *fixtures.Gen) []wantFinding {
				v1, v2 := g.CloudflareToken(), g.CloudflareToken()
				c1 := r.CommitFiles("one", map[string]string{"a.yaml": "description:\n  " + v1 + "\n", "c.yaml": "password:\n  " + v2 + "\n"})
				c2 := r.CommitFiles("two", map[string]string{"b.yaml": "password:\n  " + v1 + "\n"})
				return []wantFinding{
					{rule: "generic-api-key", secret: v1, inHead: ptr(true), locs: []wantLoc{{c2, "b.yaml", 1, ""}}},
					{rule: "generic-api-key", secret: v2, inHead: ptr(true), locs: []wantLoc{{c1, "c.yaml", 1, ""}}},
				}
			},
		},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			want := tc.build(t, r, fixtures.NewGen(uint64(400+i)))
			for _, rd := range readers {
				t.Run(rd.name, func(t *testing.T) {
					checkFindings(t, mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit}), want)
				})
			}
		})
	}
}

// A file name with a control character at the tip of main must not make
// other files' secrets (or its own) lose InHead with the go-git reader.
func TestScanHistoryGoGitInHeadControlCharName(t *testing.T) {
	cases := []struct{ odd string }{{"a\tb.env"}, {"a\nb.env"}}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.odd), func(t *testing.T) {
			g := fixtures.NewGen(uint64(300 + i))
			r := fixtures.NewRepo(t)
			odd, later := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
			r.CommitFiles("files", map[string]string{tc.odd: "GITHUB_TOKEN=" + odd + "\n", "z.env": "GITHUB_TOKEN=" + later + "\n"})
			for _, rd := range readers {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				for _, sec := range []string{odd, later} {
					if f := oneWithSecret(t, res, sec); !f.InHead {
						t.Errorf("%s: %s at %q: InHead = false, want true", rd.name, f.Redacted, f.Locations[0].Path)
					}
				}
			}
		})
	}
}

// buildMixedHistory makes a repository exercising most history features:
// several files and rules, edits, a deletion, a branch and a merge.
func buildMixedHistory(t *testing.T, g *fixtures.Gen) *fixtures.Repo {
	r := fixtures.NewRepo(t)
	gh1, gh2 := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	id, _ := g.AWSKeyPair()
	r.CommitFiles("init", map[string]string{"README.md": "# demo\n", "app.env": "GITHUB_TOKEN=" + gh1 + "\n"})
	r.CommitFiles("edit", map[string]string{"app.env": "# edited\nGITHUB_TOKEN=" + gh1 + "\nDEBUG=1\n"})
	r.Branch("feature")
	r.Checkout("feature")
	r.CommitFiles("feature", map[string]string{"svc/slack.yml": "token: " + g.SlackBotToken() + "\n", "copy.env": "T=" + gh1 + "\n"})
	r.Checkout("main")
	r.CommitFiles("aws", map[string]string{"aws.ini": "aws_access_key_id = " + id + "\n"})
	r.Git("merge", "-q", "--no-ff", "-m", "merge", "feature")
	r.CommitFiles("second token", map[string]string{"b.env": "GH=" + gh2 + "\n"})
	r.Remove("b.env")
	r.Commit("remove b")
	r.Branch("stale")
	r.Checkout("stale")
	r.CommitFiles("stale", map[string]string{"stale.txt": "npm " + g.NPMToken() + "\n"})
	r.Checkout("main")
	return r
}

func TestScanHistoryGoGitMatchesCLI(t *testing.T) {
	r := buildMixedHistory(t, fixtures.NewGen(7))
	first := r.Git("rev-list", "--max-parents=0", "HEAD")
	cases := []struct {
		name string
		revs []string
	}{
		{"all refs", nil},
		{"HEAD only", []string{"HEAD"}},
		{"range", []string{"HEAD", "^" + first}},
		{"branch", []string{"stale"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestScanner(t)
			cli := mustScanHistory(t, s, r.Dir(), HistoryOptions{Revs: tc.revs})
			gg := mustScanHistory(t, s, r.Dir(), HistoryOptions{Revs: tc.revs, GoGit: true})
			if len(cli.Findings) == 0 {
				t.Fatalf("no findings at all")
			}
			a, b := locationSet(cli), locationSet(gg)
			if !slices.Equal(a, b) {
				t.Errorf("git CLI and go-git disagree\ncli:\n  %s\ngo-git:\n  %s", strings.Join(a, "\n  "), strings.Join(b, "\n  "))
			}
			fa, fb := fingerprints(cli), fingerprints(gg)
			if !slices.Equal(fa, fb) {
				t.Errorf("fingerprints differ: cli %v, go-git %v", fa, fb)
			}
		})
	}
}

func fingerprints(res *finding.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Fingerprint)
	}
	slices.Sort(out)
	return out
}

func TestScanHistoryRevs(t *testing.T) {
	g := fixtures.NewGen(8)
	r := fixtures.NewRepo(t)
	before, after, branchOnly := g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	first := r.CommitFiles("first", map[string]string{"old.env": "GITHUB_TOKEN=" + before + "\n"})
	second := r.CommitFiles("second", map[string]string{"new.env": "GITHUB_TOKEN=" + after + "\n"})
	r.Branch("side")
	r.Checkout("side")
	r.CommitFiles("side", map[string]string{"side.env": "GITHUB_TOKEN=" + branchOnly + "\n"})
	r.Checkout("main")

	cases := []struct {
		name    string
		revs    []string
		want    []string
		wantErr bool
	}{
		{"all", nil, []string{before, after, branchOnly}, false},
		{"HEAD excluding first", []string{"HEAD", "^" + first}, []string{after}, false},
		{"range first..HEAD", []string{first + "..HEAD"}, []string{after}, false},
		{"HEAD excluding second", []string{"HEAD", "^" + second}, nil, false},
		{"branch side", []string{"side"}, []string{before, after, branchOnly}, false},
		{"side excluding main", []string{"side", "^main"}, []string{branchOnly}, false},
		{"unknown revision", []string{"no-such-branch"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, rd := range readers {
				t.Run(rd.name, func(t *testing.T) {
					res, err := newTestScanner(t).ScanHistory(testCtx(t), r.Dir(), HistoryOptions{Revs: tc.revs, GoGit: rd.goGit})
					if tc.wantErr {
						if err == nil {
							t.Fatalf("want an error, got %d findings", len(res.Findings))
						}
						if err.Error() == "" {
							t.Fatalf("empty error text")
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, f := range res.Findings {
						got = append(got, f.Secret)
					}
					slices.Sort(got)
					want := slices.Clone(tc.want)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("got %d findings, want %d:\n%s", len(got), len(want), describe(res))
					}
				})
			}
		})
	}
}

func TestScanHistoryBadInput(t *testing.T) {
	g := fixtures.NewGen(9)

	t.Run("repository with no commits", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		for _, rd := range readers {
			res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
			if len(res.Findings) != 0 || res.Stats.Commits != 0 {
				t.Errorf("%s: empty repository gave:\n%s", rd.name, describe(res))
			}
		}
	})

	t.Run("repository with no commits but a staged secret", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		r.Stage("a.env", "GITHUB_TOKEN="+g.GitHubToken("ghp_")+"\n")
		for _, rd := range readers {
			res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
			if len(res.Findings) != 0 {
				t.Errorf("%s: a blob in the index only is not history:\n%s", rd.name, describe(res))
			}
		}
	})

	t.Run("detached HEAD", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		onMain, detached := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
		c1 := r.CommitFiles("one", map[string]string{"a.env": "GITHUB_TOKEN=" + onMain + "\n"})
		r.CommitFiles("two", map[string]string{"b.txt": "b\n"})
		r.Checkout(c1)
		c3 := r.CommitFiles("only reachable from HEAD", map[string]string{"c.env": "GITHUB_TOKEN=" + detached + "\n"})
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				checkFindings(t, res, []wantFinding{
					{rule: "github-pat", secret: onMain, inHead: ptr(true), locs: []wantLoc{{c1, "a.env", 1, ""}}},
					{rule: "github-pat", secret: detached, inHead: ptr(true), locs: []wantLoc{{c3, "c.env", 1, ""}}},
				})
			})
		}
	})

	for _, kind := range []string{"blob", "tree"} {
		t.Run("ref pointing at a "+kind, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			tok := g.GitHubToken("ghp_")
			c1 := r.CommitFiles("one", map[string]string{"a.env": "GITHUB_TOKEN=" + tok + "\n", "dir/x.txt": "x\n"})
			target := r.Git("rev-parse", "HEAD:a.env")
			if kind == "tree" {
				target = r.Git("rev-parse", "HEAD^{tree}")
			}
			r.Git("update-ref", "refs/weird", target)
			for _, rd := range readers {
				t.Run(rd.name, func(t *testing.T) {
					res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
					checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "a.env", 1, ""}}}})
				})
			}
		})
	}

	t.Run("missing blob", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		lost, kept := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
		c1 := r.CommitFiles("two", map[string]string{"lost.env": "GITHUB_TOKEN=" + lost + "\n", "kept.env": "GITHUB_TOKEN=" + kept + "\n"})
		r.DeleteObject(r.Git("rev-parse", "HEAD:lost.env"))
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if res.Stats.MissingObjects != 1 { // counted once, not once per reader pass
					t.Errorf("Stats.MissingObjects = %d, want 1", res.Stats.MissingObjects)
				}
				if len(res.Stats.Warnings) == 0 {
					t.Errorf("no warning about the missing object")
				}
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: kept, locs: []wantLoc{{c1, "kept.env", 1, ""}}}})
			})
		}
	})

	t.Run("corrupt loose blob", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		bad, good := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
		c1 := r.CommitFiles("two", map[string]string{"bad.env": "GITHUB_TOKEN=" + bad + "\n", "good.env": "GITHUB_TOKEN=" + good + "\n"})
		r.CorruptObject(r.Git("rev-parse", "HEAD:bad.env"))
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if res.Stats.Errors+res.Stats.MissingObjects+res.Stats.CorruptObjects < 1 {
					t.Errorf("corrupt object not counted: %+v", res.Stats)
				}
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: good, locs: []wantLoc{{c1, "good.env", 1, ""}}}})
			})
		}
	})

	t.Run("corrupt pack", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		var big strings.Builder
		for i := 0; big.Len() < 64<<10; i++ {
			fmt.Fprintf(&big, "line %d GITHUB_TOKEN=%s\n", i, g.GitHubToken("ghp_"))
		}
		r.CommitFiles("big", map[string]string{"big.txt": big.String(), "small.env": "GITHUB_TOKEN=" + g.GitHubToken("ghp_") + "\n"})
		r.CommitFiles("more", map[string]string{"more.txt": "more\n"})
		r.Pack()
		r.CorruptPack()
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				res, err := newTestScanner(t).ScanHistory(testCtx(t), r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if err != nil {
					if strings.TrimSpace(err.Error()) == "" {
						t.Fatalf("error with empty text")
					}
					return
				}
				if res == nil {
					t.Fatalf("nil result and nil error")
				}
				if res.Stats.Errors+res.Stats.MissingObjects == 0 {
					t.Errorf("partial scan of a corrupt pack reported no errors: %+v", res.Stats)
				}
			})
		}
	})

	t.Run("blob over MaxBlobBytes", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		inBig, small := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
		c1 := r.CommitFiles("big", map[string]string{
			"big.txt":   "GITHUB_TOKEN=" + inBig + "\n" + strings.Repeat("padding padding\n", 1000),
			"small.env": "GITHUB_TOKEN=" + small + "\n",
		})
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				s := newTestScanner(t)
				s.MaxBlobBytes = 4096
				res := mustScanHistory(t, s, r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if res.Stats.SkippedLarge != 1 {
					t.Errorf("Stats.SkippedLarge = %d, want 1", res.Stats.SkippedLarge)
				}
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: small, locs: []wantLoc{{c1, "small.env", 1, ""}}}})
			})
		}
	})

	t.Run("binary file", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		tok := g.GitHubToken("ghp_")
		c1 := r.CommitFiles("bin", map[string]string{"blob.dat": "\x00\x01\x02header\nGITHUB_TOKEN=" + tok + "\n\x00tail"})
		for _, rd := range readers {
			t.Run(rd.name, func(t *testing.T) {
				s := newTestScanner(t)
				res := mustScanHistory(t, s, r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if res.Stats.SkippedBinary != 1 {
					t.Errorf("Stats.SkippedBinary = %d, want 1", res.Stats.SkippedBinary)
				}
				// Counted as binary, its strings read with the
				// high-confidence rules.
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "blob.dat", 2, ""}}}})

				s.ScanBinary = true
				res = mustScanHistory(t, s, r.Dir(), HistoryOptions{GoGit: rd.goGit})
				if res.Stats.SkippedBinary != 0 {
					t.Errorf("ScanBinary: finding.Stats.SkippedBinary = %d, want 0", res.Stats.SkippedBinary)
				}
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: tok, inHead: ptr(true), locs: []wantLoc{{c1, "blob.dat", 2, ""}}}})
			})
		}
	})

	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		for _, rd := range readers {
			res, err := newTestScanner(t).ScanHistory(testCtx(t), dir, HistoryOptions{GoGit: rd.goGit})
			if err == nil {
				t.Fatalf("%s: no error for a plain folder (%d findings)", rd.name, len(res.Findings))
			}
			if !strings.Contains(err.Error(), "not a git repository") {
				t.Errorf("%s: error %q does not say %q", rd.name, err, "not a git repository")
			}
		}
	})

	t.Run("path does not exist", func(t *testing.T) {
		dir := t.TempDir() + "/nope"
		if _, err := newTestScanner(t).ScanHistory(testCtx(t), dir, HistoryOptions{}); err == nil {
			t.Fatalf("no error for a missing path")
		}
	})
}

func TestScanHistoryIgnoreList(t *testing.T) {
	g := fixtures.NewGen(10)
	r := fixtures.NewRepo(t)
	ignored, kept := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	c1 := r.CommitFiles("two", map[string]string{"a.env": "X=1\nGITHUB_TOKEN=" + ignored + "\n", "b.env": "GITHUB_TOKEN=" + kept + "\n"})
	fp := finding.Fingerprint("github-pat", ignored)

	cases := []struct {
		name   string
		ignore string
	}{
		{"fingerprint", fp + "\n"},
		{"upper-case fingerprint with comment", "# reviewed\n" + strings.ToUpper(fp) + "\n"},
		{"path:rule:line", "a.env:github-pat:2\n"},
		{"commit:path:rule:line", c1 + ":a.env:github-pat:2\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			il, err := ParseIgnore(strings.NewReader(tc.ignore))
			if err != nil {
				t.Fatal(err)
			}
			s := newTestScanner(t)
			s.Ignore = il
			for _, rd := range readers {
				res := mustScanHistory(t, s, r.Dir(), HistoryOptions{GoGit: rd.goGit})
				checkFindings(t, res, []wantFinding{{rule: "github-pat", secret: kept, locs: []wantLoc{{c1, "b.env", 1, ""}}}})
			}
		})
	}
	t.Run("entry for another line does not suppress", func(t *testing.T) {
		il, err := ParseIgnore(strings.NewReader("a.env:github-pat:1\n"))
		if err != nil {
			t.Fatal(err)
		}
		s := newTestScanner(t)
		s.Ignore = il
		res := mustScanHistory(t, s, r.Dir(), HistoryOptions{})
		if len(res.Findings) != 2 {
			t.Errorf("got %d findings, want 2:\n%s", len(res.Findings), describe(res))
		}
	})
}

// The raw secret must never reach Stats (warnings are printed and stored).
func TestScanHistoryStatsHoldNoSecret(t *testing.T) {
	g := fixtures.NewGen(12)
	r := fixtures.NewRepo(t)
	secrets := []string{g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_"), g.GitHubToken("ghp_")}
	r.CommitFiles("files", map[string]string{
		"missing.env": "GITHUB_TOKEN=" + secrets[0] + "\n",
		"corrupt.env": "GITHUB_TOKEN=" + secrets[1] + "\n",
		"large.env":   "GITHUB_TOKEN=" + secrets[2] + "\n" + strings.Repeat("x", 5000) + "\n",
		"bin.dat":     "\x00GITHUB_TOKEN=" + secrets[3] + "\n",
		// The file name is a secret too: a warning that names paths would leak it.
		secrets[0] + ".txt": "name\n",
	})
	r.DeleteObject(r.Git("rev-parse", "HEAD:missing.env"))
	r.CorruptObject(r.Git("rev-parse", "HEAD:corrupt.env"))
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			s := newTestScanner(t)
			s.MaxBlobBytes = 1000
			res := mustScanHistory(t, s, r.Dir(), HistoryOptions{GoGit: rd.goGit})
			dump := fmt.Sprintf("%+v", res.Stats)
			for i, sec := range secrets {
				if strings.Contains(dump, sec) {
					t.Errorf("secret %d appears in Stats: %s", i, strings.ReplaceAll(dump, sec, "<SECRET>"))
				}
			}
			if res.Stats.SkippedLarge != 1 || res.Stats.SkippedBinary != 1 || res.Stats.MissingObjects+res.Stats.Errors+res.Stats.CorruptObjects < 2 {
				t.Errorf("stats do not count the skipped objects: %s", dump)
			}
		})
	}
}

func TestScanHistoryUnreachable(t *testing.T) {
	g := fixtures.NewGen(13)
	r := fixtures.NewRepo(t)
	reachable, dangling := g.GitHubToken("ghp_"), g.GitHubToken("ghp_")
	c1 := r.CommitFiles("one", map[string]string{"a.env": "GITHUB_TOKEN=" + reachable + "\n"})
	r.WriteFile("tmp.env", "# never committed\nGITHUB_TOKEN="+dangling+"\n")
	blob := r.Git("hash-object", "-w", "tmp.env")
	r.Remove("tmp.env")
	cases := []struct {
		name        string
		unreachable bool
	}{{"default", false}, {"with Unreachable", true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := mustScanHistory(t, newTestScanner(t), r.Dir(), HistoryOptions{Unreachable: tc.unreachable})
			want := []wantFinding{{rule: "github-pat", secret: reachable, inHead: ptr(true), locs: []wantLoc{{c1, "a.env", 1, ""}}}}
			if !tc.unreachable {
				checkFindings(t, res, want)
				return
			}
			if len(res.Findings) != 2 {
				t.Fatalf("got %d findings, want 2:\n%s", len(res.Findings), describe(res))
			}
			f := oneWithSecret(t, res, dangling)
			if len(f.Locations) != 1 || !f.Locations[0].Unreachable || f.Locations[0].Blob != blob || f.Locations[0].Line != 2 || f.Locations[0].Commit != "" || f.InHead {
				t.Errorf("dangling blob finding: %+v", f.Locations)
			}
		})
	}
}

// The parallel scan gives the same answer whatever the number of workers.
func TestScanHistoryWorkersAgree(t *testing.T) {
	r := buildMixedHistory(t, fixtures.NewGen(14))
	var ref []string
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			s := newTestScanner(t)
			s.Workers = workers
			got := locationSet(mustScanHistory(t, s, r.Dir(), HistoryOptions{}))
			if ref == nil {
				ref = got
				if len(ref) == 0 {
					t.Fatal("no findings")
				}
				return
			}
			if !slices.Equal(got, ref) {
				t.Errorf("results differ from workers=1:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(ref, "\n  "))
			}
		})
	}
}

func TestScanHistoryCanceled(t *testing.T) {
	r := buildMixedHistory(t, fixtures.NewGen(15))
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			res, err := newTestScanner(t).ScanHistory(ctx, r.Dir(), HistoryOptions{GoGit: rd.goGit})
			if err == nil {
				t.Fatalf("no error from a canceled scan (%d findings)", len(res.Findings))
			}
		})
	}
}

// Both readers scan a bare mirror (what `scan org` keeps in its cache and
// what the benchmark repositories are) exactly like its work tree.
func TestScanHistoryBareRepository(t *testing.T) {
	g := fixtures.NewGen(901)
	r := fixtures.NewRepo(t)
	tok := g.GitHubToken("ghp_")
	c := r.CommitFiles("add", map[string]string{"cfg/app.env": "GITHUB_TOKEN=" + tok + "\n"})
	bare := r.Bare()
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			f := oneWithSecret(t, mustScanHistory(t, newTestScanner(t), bare, HistoryOptions{GoGit: rd.goGit}), tok)
			if len(f.Locations) != 1 || f.Locations[0].Commit != c || f.Locations[0].Path != "cfg/app.env" || !f.InHead {
				t.Fatalf("got %+v, want one location at %s cfg/app.env in HEAD", f.Locations, c)
			}
		})
	}
}

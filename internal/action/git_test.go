package action

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// repoGit answers Git questions about a fixtures repository.
func repoGit(r *fixtures.Repo, dir string) CLIGit {
	return CLIGit{Ctx: context.Background(), Dir: dir, Env: r.GitEnv()}
}

func pushEvent(ref, before, after string) Event {
	return Event{Name: "push", Ref: ref, Before: before, After: after, Repository: Repository{FullName: "o/r", DefaultBranch: "main"}}
}

// commitsOf lists the commits git log walks for revs, oldest first.
func commitsOf(t *testing.T, r *fixtures.Repo, revs []string) []string {
	t.Helper()
	out := r.Git(append([]string{"rev-list", "--reverse"}, append(revs, "--")...)...)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// TestDecideRealRepos builds the histories the events describe and checks
// which commits the chosen revisions walk.
func TestDecideRealRepos(t *testing.T) {
	type setup struct {
		ev   Event
		want []string // commits to scan, oldest first
		dir  string   // checkout to ask; the repo itself when empty
	}
	cases := []struct {
		name   string
		build  func(t *testing.T, r *fixtures.Repo) setup
		empty  bool
		errSub string
	}{
		{name: "push before..after", build: func(t *testing.T, r *fixtures.Repo) setup {
			c1 := r.CommitFiles("one", map[string]string{"a": "1\n"})
			c2 := r.CommitFiles("two", map[string]string{"a": "2\n"})
			c3 := r.CommitFiles("three", map[string]string{"a": "3\n"})
			return setup{ev: pushEvent("refs/heads/main", c1, c3), want: []string{c2, c3}}
		}},
		{name: "new branch: only its own commits", build: func(t *testing.T, r *fixtures.Repo) setup {
			r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.CommitFiles("two", map[string]string{"a": "2\n"})
			r.Git("checkout", "-q", "-b", "feature")
			f1 := r.CommitFiles("f1", map[string]string{"b": "1\n"})
			f2 := r.CommitFiles("f2", map[string]string{"b": "2\n"})
			return setup{ev: pushEvent("refs/heads/feature", zeroSHA, f2), want: []string{f1, f2}}
		}},
		{name: "new branch at a commit already on main", empty: true, build: func(t *testing.T, r *fixtures.Repo) setup {
			c1 := r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.Branch("feature")
			return setup{ev: pushEvent("refs/heads/feature", zeroSHA, c1)}
		}},
		{name: "force push: reset and new commits", build: func(t *testing.T, r *fixtures.Repo) setup {
			r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.Git("checkout", "-q", "-b", "feature")
			r.CommitFiles("f1", map[string]string{"b": "1\n"})
			old := r.CommitFiles("f2", map[string]string{"b": "2\n"})
			r.Git("reset", "-q", "--hard", "HEAD~1")
			n1 := r.CommitFiles("rewritten", map[string]string{"b": "rewritten\n"})
			n2 := r.CommitFiles("more", map[string]string{"c": "1\n"})
			// f1 was scanned with the earlier push; only the new commits are new.
			return setup{ev: pushEvent("refs/heads/feature", old, n2), want: []string{n1, n2}}
		}},
		{name: "force push: old tip no longer in the checkout", build: func(t *testing.T, r *fixtures.Repo) setup {
			r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.Git("checkout", "-q", "-b", "feature")
			f1 := r.CommitFiles("f1", map[string]string{"b": "1\n"})
			n1 := r.CommitFiles("f2", map[string]string{"b": "2\n"})
			// A fresh clone has only what the refs reach: the old tip is gone.
			return setup{ev: pushEvent("refs/heads/feature", strings.Repeat("ab", 20), n1), want: []string{f1, n1}}
		}},
		{name: "tag: its commits not on main", build: func(t *testing.T, r *fixtures.Repo) setup {
			r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.Git("checkout", "-q", "-b", "release")
			rel := r.CommitFiles("release fix", map[string]string{"v": "1\n"})
			r.Git("tag", "-a", "-m", "v1", "v1.0.0")
			tagObj := r.Git("rev-parse", "refs/tags/v1.0.0")
			if tagObj == rel {
				t.Fatal("annotated tag has the commit's id")
			}
			r.Checkout("main")
			r.CommitFiles("two", map[string]string{"a": "2\n"})
			return setup{ev: pushEvent("refs/tags/v1.0.0", zeroSHA, tagObj), want: []string{rel}}
		}},
		{name: "pull request base..head", build: func(t *testing.T, r *fixtures.Repo) setup {
			base := r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.Git("checkout", "-q", "-b", "pr")
			p1 := r.CommitFiles("p1", map[string]string{"b": "1\n"})
			p2 := r.CommitFiles("p2", map[string]string{"b": "2\n"})
			ev := Event{Name: "pull_request", PullRequest: &PullRequest{Number: 7, Base: PRRef{SHA: base}, Head: PRRef{SHA: p2}}}
			return setup{ev: ev, want: []string{p1, p2}}
		}},
		{name: "shallow clone lacks the range", errSub: "fetch-depth: 0", build: func(t *testing.T, r *fixtures.Repo) setup {
			c1 := r.CommitFiles("one", map[string]string{"a": "1\n"})
			r.CommitFiles("two", map[string]string{"a": "2\n"})
			c3 := r.CommitFiles("three", map[string]string{"a": "3\n"})
			dst := filepath.Join(t.TempDir(), "shallow")
			r.Git("clone", "-q", "--depth", "1", "file://"+r.Dir(), dst)
			return setup{ev: pushEvent("refs/heads/main", c1, c3), dir: dst}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtures.NewRepo(t)
			s := tc.build(t, r)
			dir := s.dir
			if dir == "" {
				dir = r.Dir()
			}
			p, err := Decide(s.ev, repoGit(r, dir))
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) || !errors.Is(err, ErrShallow) {
					t.Fatalf("error %v, want a shallow error containing %q", err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if p.Empty != tc.empty {
				t.Fatalf("empty %v, want %v (%s)", p.Empty, tc.empty, p.Description)
			}
			if tc.empty {
				if !strings.Contains(p.Description, "nothing to scan") {
					t.Errorf("empty range not said: %q", p.Description)
				}
				return
			}
			if got := commitsOf(t, r, p.Revs); !slices.Equal(got, s.want) {
				t.Errorf("revs %q walk %q, want %q", p.Revs, got, s.want)
			}
			if p.Commits != len(s.want) {
				t.Errorf("commits %d, want %d", p.Commits, len(s.want))
			}
		})
	}
}

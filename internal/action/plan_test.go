package action

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Commit ids used in testdata/*.json.
const (
	before   = "9049f1265b7d61be4a8904a9a27120d2064dab3b"
	after    = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	gone     = "3c5f2a1e9b8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b" // push_forced.json's before
	tagObj   = "5e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b"
	prBase   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	prHead   = after
	mainRef  = "refs/remotes/origin/main"
	localRef = "refs/heads/main"
)

// fakeGit is a repository described by what it holds.
type fakeGit struct {
	commits   map[string]bool
	ancestors map[[2]string]bool // {a, b}: a is an ancestor of b
	refs      map[string]bool
	shallow   bool
	count     int // what CountCommits returns
	counted   []string
}

func (g *fakeGit) HasCommit(rev string) bool { return g.commits[rev] }
func (g *fakeGit) IsAncestor(a, b string) (bool, error) {
	return a == b || g.ancestors[[2]string{a, b}], nil
}
func (g *fakeGit) IsShallow() (bool, error)  { return g.shallow, nil }
func (g *fakeGit) RefExists(ref string) bool { return g.refs[ref] }
func (g *fakeGit) CountCommits(revs []string) (int, error) {
	g.counted = revs
	return g.count, nil
}

// checkout is a full clone as actions/checkout with fetch-depth: 0 leaves it.
func checkout(mods ...func(*fakeGit)) *fakeGit {
	g := &fakeGit{
		commits:   map[string]bool{before: true, after: true, prBase: true, tagObj: true},
		ancestors: map[[2]string]bool{{before, after}: true},
		refs:      map[string]bool{mainRef: true},
		count:     3,
	}
	for _, m := range mods {
		m(g)
	}
	return g
}

func without(shas ...string) func(*fakeGit) {
	return func(g *fakeGit) {
		for _, s := range shas {
			delete(g.commits, s)
		}
	}
}

var (
	shallow   = func(g *fakeGit) { g.shallow = true }
	notAnc    = func(g *fakeGit) { g.ancestors = nil }
	noMain    = func(g *fakeGit) { g.refs = nil }
	localMain = func(g *fakeGit) { g.refs = map[string]bool{localRef: true} }
	emptyRng  = func(g *fakeGit) { g.count = 0 }
)

func loadEvent(t *testing.T, name, file string) Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, err := ParseEvent(name, f)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name      string
		event     string
		file      string
		git       *fakeGit
		revs      []string // nil with full
		full      bool
		empty     bool
		errSub    string // error expected when set
		shallow   bool   // error wraps ErrShallow
		descSub   string
		notesSub  string
		countSkip bool
	}{
		{name: "push before..after", event: "push", file: "push.json", git: checkout(),
			revs: []string{after, "^" + before}, descSub: "push to refs/heads/feature/login"},
		{name: "push creating a branch", event: "push", file: "push_created.json", git: checkout(),
			revs: []string{after, "^" + mainRef}, descSub: "new branch"},
		{name: "push creating a branch, default branch only local", event: "push", file: "push_created.json", git: checkout(localMain),
			revs: []string{after, "^" + localRef}},
		{name: "push creating a branch, no default branch", event: "push", file: "push_created.json", git: checkout(noMain),
			revs: []string{after}, notesSub: "not in the checkout"},
		{name: "push creating a branch already on main", event: "push", file: "push_created.json", git: checkout(emptyRng),
			revs: []string{after, "^" + mainRef}, empty: true, descSub: "nothing to scan"},
		{name: "first push of the default branch", event: "push", file: "push_default_created.json", git: checkout(),
			revs: []string{after}, descSub: "every commit reachable"},
		{name: "push to the default branch", event: "push", file: "push_default.json", git: checkout(),
			revs: []string{after, "^" + before}},
		{name: "force push, old tip gone", event: "push", file: "push_forced.json", git: checkout(),
			revs: []string{after, "^" + mainRef}, descSub: "is gone"},
		{name: "force push, old tip still present", event: "push", file: "push.json", git: checkout(notAnc),
			revs: []string{after, "^" + mainRef, "^" + before}, descSub: "not an ancestor"},
		{name: "force push to the default branch, old tip present", event: "push", file: "push_default.json", git: checkout(notAnc),
			revs: []string{after, "^" + before}},
		{name: "force push to the default branch, old tip gone", event: "push", file: "push_default.json", git: checkout(without(before)),
			revs: []string{after}, descSub: "every commit reachable"},
		{name: "tag push", event: "push", file: "push_tag.json", git: checkout(),
			revs: []string{tagObj, "^" + mainRef}, descSub: "tag push"},
		{name: "branch deleted", event: "push", file: "push_deleted.json", git: checkout(),
			empty: true, descSub: "nothing to scan", countSkip: true},
		{name: "pull request", event: "pull_request", file: "pull_request.json", git: checkout(),
			revs: []string{prHead, "^" + prBase}, descSub: "pull_request #42"},
		{name: "pull request from a fork", event: "pull_request", file: "pull_request_fork.json", git: checkout(),
			revs: []string{prHead, "^" + prBase}},
		{name: "pull_request_target", event: "pull_request_target", file: "pull_request_target.json", git: checkout(),
			revs: []string{prHead, "^" + prBase}},
		{name: "pull_request_target without the fork's head", event: "pull_request_target", file: "pull_request_target.json", git: checkout(without(prHead)),
			errSub: "contributor/octo-repo"},
		{name: "pull request, shallow checkout without base", event: "pull_request", file: "pull_request.json", git: checkout(shallow, without(prBase)),
			errSub: "fetch-depth: 0", shallow: true},
		{name: "push, shallow checkout without before", event: "push", file: "push.json", git: checkout(shallow, without(before)),
			errSub: "fetch-depth: 0", shallow: true},
		{name: "push, shallow checkout with the range", event: "push", file: "push.json", git: checkout(shallow),
			revs: []string{after, "^" + before}, notesSub: "shallow"},
		{name: "new branch, shallow checkout without the default branch", event: "push", file: "push_created.json", git: checkout(shallow, noMain),
			errSub: "fetch-depth: 0", shallow: true},
		{name: "push, pushed commit missing", event: "push", file: "push.json", git: checkout(without(after)),
			errSub: "not in the checkout"},
		{name: "workflow_dispatch", event: "workflow_dispatch", file: "workflow_dispatch.json", git: checkout(), full: true, countSkip: true},
		{name: "schedule", event: "schedule", file: "schedule.json", git: checkout(), full: true, countSkip: true},
		{name: "schedule, shallow", event: "schedule", file: "schedule.json", git: checkout(shallow), errSub: "full scan of a shallow clone", shallow: true},
		{name: "unsupported event", event: "issues", file: "push.json", git: checkout(), errSub: "not supported"},
		{name: "ref that reads as an option", event: "push", file: "push_bad_ref.json", git: checkout(), errSub: "not a valid ref"},
		{name: "sha that reads as an option", event: "push", file: "push_bad_sha.json", git: checkout(), errSub: "not a commit id"},
		{name: "pull request event without pull_request", event: "pull_request", file: "push.json", git: checkout(), errSub: "without a pull_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Decide(loadEvent(t, tc.event, tc.file), tc.git)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("error %v, want one containing %q (plan %+v)", err, tc.errSub, p)
				}
				if errors.Is(err, ErrShallow) != tc.shallow {
					t.Errorf("errors.Is(err, ErrShallow) = %v, want %v", !tc.shallow, tc.shallow)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if !slices.Equal(p.Revs, tc.revs) || p.Full != tc.full || p.Empty != tc.empty {
				t.Errorf("plan revs %q full %v empty %v, want %q full %v empty %v", p.Revs, p.Full, p.Empty, tc.revs, tc.full, tc.empty)
			}
			if !tc.countSkip && !slices.Equal(tc.git.counted, tc.revs) {
				t.Errorf("counted %q, want %q", tc.git.counted, tc.revs)
			}
			if !tc.empty && !tc.full && p.Commits != tc.git.count {
				t.Errorf("commits %d, want %d", p.Commits, tc.git.count)
			}
			if !strings.Contains(p.Description, tc.descSub) {
				t.Errorf("description %q lacks %q", p.Description, tc.descSub)
			}
			if notes := strings.Join(p.Notes, "\n"); tc.notesSub != "" && !strings.Contains(notes, tc.notesSub) || tc.notesSub == "" && notes != "" {
				t.Errorf("notes %q, want %q", notes, tc.notesSub)
			}
			for _, r := range p.Revs {
				if strings.HasPrefix(r, "-") {
					t.Errorf("revision %q reads as an option", r)
				}
			}
		})
	}
}

func TestValidRefName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"main", true}, {"feature/login", true}, {"release-1.2", true},
		{"", false}, {"-x", false}, {"a..b", false}, {"a b", false}, {"a~1", false}, {"a^", false},
		{"a:b", false}, {"refs/heads/-x", false}, {"a/.hidden", false}, {"a@{1}", false}, {"x.lock", false}, {"/a", false}, {"a/", false}, {"a\nb", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := validRefName(tc.name); got != tc.ok {
				t.Errorf("validRefName(%q) = %v, want %v", tc.name, got, tc.ok)
			}
		})
	}
}

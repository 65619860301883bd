package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// ErrGone is returned (wrapped) by Sync when the repository no longer
// exists upstream (or the credentials can no longer see it).
var ErrGone = errors.New("repository not found upstream")

// Cache is the clone cache: one bare mirror per repository under Dir
// (HOST/OWNER/NAME.git), created 0700. The first Sync clones; later ones
// fetch only what changed (all refs, pruned).
type Cache struct {
	Dir    string
	Tokens TokenSource // nil: anonymous
	// TokenHosts are the hosts the token is sent to (the GitHub or GitHub
	// Enterprise host); a clone URL elsewhere is fetched anonymously.
	// Empty: every host.
	TokenHosts []string
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Path returns the mirror folder of a repository.
func (c *Cache) Path(r Repo) (string, error) {
	u, err := url.Parse(r.CloneURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("clone URL of %s: not a URL", r.FullName)
	}
	owner, name, ok := strings.Cut(r.FullName, "/")
	host := strings.ReplaceAll(u.Host, ":", "_")
	if !ok || !safeName.MatchString(owner) || !safeName.MatchString(name) || !safeName.MatchString(host) ||
		owner == "." || owner == ".." || name == "." || name == ".." {
		return "", fmt.Errorf("repository name %q: not a safe folder name", r.FullName)
	}
	return filepath.Join(c.Dir, host, owner, strings.TrimSuffix(name, ".git")+".git"), nil
}

func (c *Cache) auth(ctx context.Context, r Repo) (transport.AuthMethod, error) {
	if c.Tokens == nil {
		return nil, nil
	}
	if len(c.TokenHosts) > 0 {
		u, err := url.Parse(r.CloneURL)
		if err != nil || !slices.ContainsFunc(c.TokenHosts, func(h string) bool { return strings.EqualFold(h, u.Host) }) {
			return nil, nil
		}
	}
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: tok}, nil
}

// Sync brings the mirror of r up to date and returns its folder and
// whether it was cloned now. A clone goes to a temporary folder first, so a
// killed clone leaves nothing half-made behind. A repository gone upstream
// is ErrGone; an empty one is a mirror with no refs.
func (c *Cache) Sync(ctx context.Context, r Repo) (dir string, cloned bool, err error) {
	dir, err = c.Path(r)
	if err != nil {
		return "", false, err
	}
	auth, err := c.auth(ctx, r)
	if err != nil {
		return "", false, err
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		repo, err := git.PlainOpen(dir)
		if err != nil {
			return "", false, fmt.Errorf("open mirror of %s: %w", r.FullName, err)
		}
		err = repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RemoteURL:  r.CloneURL,
			RefSpecs:   []config.RefSpec{"+refs/*:refs/*"},
			Auth:       auth,
			Force:      true,
			Prune:      true,
			Tags:       git.NoTags,
		})
		switch {
		case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate), errors.Is(err, transport.ErrEmptyRemoteRepository):
			return dir, false, nil
		default:
			return "", false, fetchErr(r, "fetch", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", false, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	_, err = git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{URL: r.CloneURL, Auth: auth, Mirror: true, Tags: git.NoTags})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		// An empty repository: keep an empty mirror so later runs fetch.
		if _, err = git.PlainInit(tmp, true); err == nil {
			var repo *git.Repository
			if repo, err = git.PlainOpen(tmp); err == nil {
				_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.CloneURL}, Mirror: true,
					Fetch: []config.RefSpec{"+refs/*:refs/*"}})
			}
		}
	}
	if err != nil {
		return "", false, fetchErr(r, "clone", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// UpToDate reports whether r has a mirror whose refs are exactly the
// remote's (one ref listing, no fetch, the mirror's pack indexes never
// read): then Sync has nothing to do. It returns the mirror's folder. A
// repository gone upstream is ErrGone.
func (c *Cache) UpToDate(ctx context.Context, r Repo) (dir string, same bool, err error) {
	dir, err = c.Path(r)
	if err != nil {
		return "", false, err
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return dir, false, nil
	}
	auth, err := c.auth(ctx, r)
	if err != nil {
		return "", false, err
	}
	same, err = c.upToDate(ctx, dir, r, auth)
	return dir, same, err
}

func (c *Cache) upToDate(ctx context.Context, dir string, r Repo, auth transport.AuthMethod) (bool, error) {
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{r.CloneURL}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth, PeelingOption: git.IgnorePeeled})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		refs, err = nil, nil
	}
	if err != nil {
		return false, fetchErr(r, "list refs of", err)
	}
	remote := map[string]string{}
	for _, ref := range refs {
		if ref.Type() == plumbing.HashReference && ref.Name() != plumbing.HEAD {
			remote[ref.Name().String()] = ref.Hash().String()
		}
	}
	local, err := Tips(dir)
	if err != nil {
		return false, nil // let the fetch repair or report it
	}
	return maps.Equal(remote, local), nil
}

func fetchErr(r Repo, op string, err error) error {
	if errors.Is(err, transport.ErrRepositoryNotFound) {
		return fmt.Errorf("%s %s: %w", op, r.FullName, ErrGone)
	}
	// go-git errors name the URL, never the credentials (BasicAuth is not
	// put into the URL).
	return fmt.Errorf("%s %s: %w", op, r.FullName, err)
}

// Tips returns every ref of a mirror and the commit (or tag object) it
// points at. Symbolic refs (HEAD) are left out.
func Tips(dir string) (map[string]string, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("open mirror: %w", err)
	}
	refs, err := repo.References()
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	tips := map[string]string{}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference && ref.Name() != plumbing.HEAD {
			tips[ref.Name().String()] = ref.Hash().String()
		}
		return nil
	})
	return tips, err
}

// present returns the ids among ids that the mirror still holds (a
// force-pushed branch's old tip may be gone after a gc upstream and a
// fresh clone).
func present(dir string, ids []string) []string {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, id := range ids {
		if _, err := repo.Storer.EncodedObject(plumbing.AnyObject, plumbing.NewHash(id)); err == nil {
			out = append(out, id)
		}
	}
	return out
}

package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"nhiscan/internal/egress"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

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
// fetch only what changed (all refs, pruned). Clone URLs are built from
// OWNER/NAME on Host (never taken from an API answer), and every git
// request goes through HTTP, the crawl's egress-guarded client.
type Cache struct {
	Dir    string
	Tokens TokenSource // nil: anonymous
	// Host is the GitHub the repositories live on (zero: github.com).
	Host Host
	// HTTP carries git's requests (nil: NewHTTPClient(Host) with the
	// default egress options).
	HTTP *http.Client
	// TokenHosts are the hosts the token is sent to with git (empty: the
	// git host of Host); elsewhere git goes anonymously.
	TokenHosts []string

	once  sync.Once
	rt    http.RoundTripper
	rtErr error
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// cloneURL is r's clone URL on the cache's host.
func (c *Cache) cloneURL(r Repo) (string, error) {
	return c.Host.orDefault().CloneURL(r.FullName)
}

// Path returns the mirror folder of a repository.
func (c *Cache) Path(r Repo) (string, error) {
	raw, err := c.cloneURL(r)
	if err != nil {
		return "", fmt.Errorf("repository name %q: not a safe folder name", r.FullName)
	}
	u, _ := url.Parse(raw)
	owner, name, _ := strings.Cut(r.FullName, "/")
	host := strings.ReplaceAll(u.Host, ":", "_")
	if !safeName.MatchString(host) {
		return "", fmt.Errorf("host %q: not a safe folder name", u.Host)
	}
	return filepath.Join(c.Dir, host, owner, strings.TrimSuffix(name, ".git")+".git"), nil
}

// gitCtx returns ctx whose git requests go through the cache's client.
func (c *Cache) gitCtx(ctx context.Context) (context.Context, error) {
	c.once.Do(func() {
		if c.HTTP != nil {
			c.rt = c.HTTP.Transport
			return
		}
		hc, err := NewHTTPClient(c.Host, egress.TransportOptions{})
		if err != nil {
			c.rtErr = err
			return
		}
		c.rt = hc.Transport
	})
	if c.rtErr != nil {
		return nil, c.rtErr
	}
	return withGitTransport(ctx, c.rt), nil
}

func (c *Cache) auth(ctx context.Context, cloneURL string) (transport.AuthMethod, error) {
	if c.Tokens == nil {
		return nil, nil
	}
	hosts := c.TokenHosts
	if len(hosts) == 0 {
		hosts = []string{c.Host.orDefault().GitHost()}
	}
	u, err := url.Parse(cloneURL)
	if err != nil || !slices.ContainsFunc(hosts, func(h string) bool { return strings.EqualFold(h, u.Host) }) {
		return nil, nil
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
// is ErrGone; an empty one is a mirror with no refs. Crawls sharing the
// cache folder (goroutines or processes) take turns on each mirror.
func (c *Cache) Sync(ctx context.Context, r Repo) (dir string, cloned bool, err error) {
	dir, err = c.Path(r)
	if err != nil {
		return "", false, err
	}
	raw, _ := c.cloneURL(r)
	auth, err := c.auth(ctx, raw)
	if err != nil {
		return "", false, err
	}
	gctx, err := c.gitCtx(ctx)
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", false, err
	}
	unlock, err := lockWait(ctx, dir+".lock")
	if err != nil {
		return "", false, fmt.Errorf("lock the mirror of %s: %w", r.FullName, err)
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		repo, err := git.PlainOpen(dir)
		if err != nil {
			return "", false, fmt.Errorf("open mirror of %s: %w", r.FullName, err)
		}
		err = repo.FetchContext(gctx, &git.FetchOptions{
			RemoteName: "origin",
			RemoteURL:  raw,
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
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	_, err = git.PlainCloneContext(gctx, tmp, true, &git.CloneOptions{URL: raw, Auth: auth, Mirror: true, Tags: git.NoTags})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		// An empty repository: keep an empty mirror so later runs fetch.
		if _, err = git.PlainInit(tmp, true); err == nil {
			var repo *git.Repository
			if repo, err = git.PlainOpen(tmp); err == nil {
				_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{raw}, Mirror: true,
					Fetch: []config.RefSpec{"+refs/*:refs/*"}})
			}
		}
	}
	if err != nil {
		return "", false, fetchErr(r, "clone", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "HEAD")); serr == nil {
			// Made meanwhile by a crawler that does not take the lock
			// (an older nhiscan): theirs is as good as ours.
			return dir, false, nil
		}
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
	raw, _ := c.cloneURL(r)
	auth, err := c.auth(ctx, raw)
	if err != nil {
		return "", false, err
	}
	gctx, err := c.gitCtx(ctx)
	if err != nil {
		return "", false, err
	}
	same, err = c.upToDate(gctx, dir, raw, r, auth)
	return dir, same, err
}

func (c *Cache) upToDate(ctx context.Context, dir, raw string, r Repo, auth transport.AuthMethod) (bool, error) {
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{raw}})
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

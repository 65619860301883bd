package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"nhiscan/finding"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// The go-git reader: used when git is not installed (or with --go-git). It
// walks the commits itself and diffs each against its first parent, which is
// slower than git's C code but needs nothing but the repository.

func openGoGit(dir string) (*git.Repository, error) {
	// A bare repository or a work tree's top first; then a folder inside a
	// work tree (DetectDotGit walks up, and would miss a bare repository).
	r, err := git.PlainOpen(dir)
	if err != nil {
		r, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a git repository: %w", dir, err)
	}
	return r, nil
}

// goGitTips resolves revs (as accepted by ScanHistory) to tips to include
// and tips to exclude. Supported: --all, A..B, ^X, and single revisions.
func goGitTips(r *git.Repository, revs []string) (inc, exc []plumbing.Hash, err error) {
	resolve := func(s string) (plumbing.Hash, error) {
		h, err := r.ResolveRevision(plumbing.Revision(s))
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("unknown revision %q: %w", s, err)
		}
		return *h, nil
	}
	for _, rv := range revs {
		switch {
		case rv == "--all":
			refs, err := r.References()
			if err != nil {
				return nil, nil, err
			}
			_ = refs.ForEach(func(ref *plumbing.Reference) error {
				if ref.Type() != plumbing.HashReference {
					return nil
				}
				// Only refs that point at commits (refs may name blobs or trees).
				if _, err := r.CommitObject(ref.Hash()); err == nil {
					inc = append(inc, ref.Hash())
				} else if t, err := r.TagObject(ref.Hash()); err == nil {
					if c, err := t.Commit(); err == nil {
						inc = append(inc, c.Hash)
					}
				}
				return nil
			})
		case strings.Contains(rv, ".."):
			a, b, _ := strings.Cut(rv, "..")
			b = strings.TrimPrefix(b, ".")
			if b == "" {
				b = "HEAD"
			}
			ha, err := resolve(a)
			if err != nil {
				return nil, nil, err
			}
			hb, err := resolve(b)
			if err != nil {
				return nil, nil, err
			}
			inc, exc = append(inc, hb), append(exc, ha)
		case strings.HasPrefix(rv, "^"):
			h, err := resolve(rv[1:])
			if err != nil {
				return nil, nil, err
			}
			exc = append(exc, h)
		default:
			h, err := resolve(rv)
			if err != nil {
				return nil, nil, err
			}
			inc = append(inc, h)
		}
	}
	return inc, exc, nil
}

// scanGoGit walks the history with go-git and scans the blobs it adds.
func (hs *historyScan) scanGoGit(ctx context.Context, dir string, revs []string, stats *finding.Stats) (*history, error) {
	r, err := openGoGit(dir)
	if err != nil {
		return nil, err
	}
	inc, exc, err := goGitTips(r, revs)
	if err != nil {
		return nil, err
	}
	excluded := map[plumbing.Hash]bool{}
	for _, h := range exc {
		c, err := r.CommitObject(h)
		if err != nil {
			continue
		}
		_ = object.NewCommitPreorderIter(c, nil, nil).ForEach(func(c *object.Commit) error {
			excluded[c.Hash] = true
			return nil
		})
	}
	hist := &history{}
	seen := map[plumbing.Hash]bool{}
	var ids []oid
	idSeen := map[oid]bool{}
	for _, tip := range inc {
		c, err := r.CommitObject(tip)
		if err != nil {
			stats.Errors++
			continue
		}
		err = object.NewCommitPreorderIter(c, seen, nil).ForEach(func(c *object.Commit) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			seen[c.Hash] = true
			if excluded[c.Hash] {
				return nil
			}
			if c.NumParents() > 1 {
				// Like `git log`, merges add nothing of their own here.
				hist.commits = append(hist.commits, commitOf(c))
				return nil
			}
			hist.commits = append(hist.commits, commitOf(c))
			ci := int32(len(hist.commits) - 1)
			changes, err := goGitChanges(c)
			if err != nil {
				stats.Errors++
				hs.s.log().Warn("cannot diff commit", "commit", c.Hash.String(), "err", err)
				return nil
			}
			for _, ch := range changes {
				ch.commit = ci
				hist.changes = append(hist.changes, ch)
				if !idSeen[ch.new] {
					idSeen[ch.new] = true
					ids = append(ids, ch.new)
				}
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, ctx.Err()) {
				return nil, err
			}
			stats.Errors++
			hs.s.log().Warn("history walk stopped early", "err", err)
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := hs.register(id)
		if idx < 0 {
			continue
		}
		blob, err := r.BlobObject(plumbing.Hash(id))
		if err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				stats.MissingObjects++
			} else {
				stats.Errors++
				stats.Warnings = append(stats.Warnings, fmt.Sprintf("object %s could not be read and was skipped", id))
			}
			continue
		}
		if hs.s.MaxBlobBytes > 0 && blob.Size > hs.s.MaxBlobBytes {
			hs.skippedLarge.Add(1)
			continue
		}
		rd, err := blob.Reader()
		if err != nil {
			stats.Errors++
			continue
		}
		data, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			stats.Errors++
			stats.Warnings = append(stats.Warnings, fmt.Sprintf("object %s could not be read and was skipped", id))
			continue
		}
		hs.scanBlob(ctx, idx, data)
	}
	return hist, nil
}

func commitOf(c *object.Commit) commitInfo {
	return commitInfo{SHA: c.Hash.String(), Author: c.Author.Name, Email: c.Author.Email, Date: c.Author.When.UTC()}
}

// goGitChanges lists the blobs c adds or modifies against its first parent.
func goGitChanges(c *object.Commit) ([]change, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	var parentTree *object.Tree
	if c.NumParents() == 1 {
		p, err := c.Parent(0)
		if err != nil {
			return nil, err
		}
		if parentTree, err = p.Tree(); err != nil {
			return nil, err
		}
	}
	chs, err := object.DiffTree(parentTree, tree)
	if err != nil {
		return nil, err
	}
	var out []change
	for _, ch := range chs {
		if ch.To.Name == "" || ch.To.TreeEntry.Mode == filemode.Submodule {
			continue // deletion or submodule link
		}
		cc := change{path: ch.To.Name, new: oid(ch.To.TreeEntry.Hash)}
		if ch.From.Name != "" {
			cc.old = oid(ch.From.TreeEntry.Hash)
		}
		out = append(out, cc)
	}
	return out, nil
}

func goGitHeadBlobs(dir string) (map[oid]struct{}, error) {
	set := map[oid]struct{}{}
	r, err := openGoGit(dir)
	if err != nil {
		return set, err
	}
	ref, err := r.Head()
	if err != nil {
		return set, nil // no commits yet
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return set, err
	}
	// Read raw tree objects: go-git's tree decoder rejects entry names it
	// finds unsafe (control characters), which hostile repositories hold.
	return set, rawTreeBlobs(r.Storer, c.TreeHash, set, 0)
}

// rawTreeBlobs adds the blobs of a tree and its subtrees to set, parsing
// the tree format (mode SP name NUL 20-byte id) itself.
func rawTreeBlobs(st storer.EncodedObjectStorer, h plumbing.Hash, set map[oid]struct{}, depth int) error {
	if depth > 1000 {
		return fmt.Errorf("tree %s nested too deep", h)
	}
	o, err := st.EncodedObject(plumbing.TreeObject, h)
	if err != nil {
		return err
	}
	rd, err := o.Reader()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(rd)
	rd.Close()
	if err != nil {
		return err
	}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || nul+21 > len(data) {
			return fmt.Errorf("tree %s is malformed", h)
		}
		mode := string(data[:sp])
		var id oid
		copy(id[:], data[nul+1:nul+21])
		data = data[nul+21:]
		switch {
		case mode == "40000" || mode == "040000":
			if err := rawTreeBlobs(st, plumbing.Hash(id), set, depth+1); err != nil {
				return err
			}
		case strings.HasPrefix(mode, "10"): // regular files and symlinks (120000 is skipped)
			set[id] = struct{}{}
		}
	}
	return nil
}

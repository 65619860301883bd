package scanner

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"nhiscan/finding"
)

// suppressCounts counts, for one scan, the matches dropped on purpose: by a
// gitleaks:allow comment, an allowlist, or the ignore file. It travels in
// the scan's context to the detector calls, which run in workers.
type suppressCounts struct {
	inline, allowlist, ignore atomic.Int64

	mu    sync.Mutex
	names []string
}

type suppressKey struct{}

func withSuppress(ctx context.Context, c *suppressCounts) context.Context {
	return context.WithValue(ctx, suppressKey{}, c)
}

func suppressFrom(ctx context.Context) *suppressCounts {
	c, _ := ctx.Value(suppressKey{}).(*suppressCounts)
	return c
}

// note records one suppressed match; path and rule only (never a secret).
func (c *suppressCounts) note(n *atomic.Int64, path string, line int, rule, cause string) {
	if c == nil {
		return
	}
	n.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.names) < finding.MaxSuppressedNames {
		where := path
		if where == "" {
			where = "(no path)"
		}
		if line > 0 {
			where = fmt.Sprintf("%s:%d", where, line)
		}
		c.names = append(c.names, fmt.Sprintf("%s %s (%s)", where, rule, cause))
	}
}

// ignoreCounter is c.ignore, or nil for a nil c.
func (c *suppressCounts) ignoreCounter() *atomic.Int64 {
	if c == nil {
		return nil
	}
	return &c.ignore
}

func (c *suppressCounts) stats() finding.Suppressed {
	if c == nil {
		return finding.Suppressed{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return finding.Suppressed{
		Inline: int(c.inline.Load()), Allowlist: int(c.allowlist.Load()), IgnoreFile: int(c.ignore.Load()),
		Names: append([]string(nil), c.names...),
	}
}

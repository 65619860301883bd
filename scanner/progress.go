package scanner

import (
	"bytes"
	"context"
	"strconv"
	"sync/atomic"
)

// Progress is advanced by a scan as it reads objects (history) or files
// (dir), for a progress display that polls Snapshot. The zero value is
// ready; a nil *Progress is ignored. Safe for concurrent use.
type Progress struct {
	total atomic.Int64 // objects or files expected; 0 when not known
	done  atomic.Int64
	bytes atomic.Int64
}

// Snapshot returns the objects (or files) read so far, how many are
// expected (0 when unknown) and the bytes read.
func (p *Progress) Snapshot() (done, total, bytes int64) {
	if p == nil {
		return 0, 0, 0
	}
	return p.done.Load(), p.total.Load(), p.bytes.Load()
}

func (p *Progress) addTotal(n int64) {
	if p != nil {
		p.total.Add(n)
	}
}

func (p *Progress) add(objects, n int64) {
	if p != nil {
		p.done.Add(objects)
		p.bytes.Add(n)
	}
}

// countObjects is the number of objects in the repository (loose and
// packed), from `git count-objects -v`: the total of a full read. 0 when
// git does not say.
func countObjects(ctx context.Context, dir string) int64 {
	out, err := gitCmd(ctx, dir, "count-objects", "-v").Output()
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range bytes.Split(out, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok || (string(k) != "count" && string(k) != "in-pack") {
			continue
		}
		if x, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err == nil {
			n += x
		}
	}
	return n
}

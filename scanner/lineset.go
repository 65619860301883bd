package scanner

import (
	"hash/maphash"
	"sync"
)

// lineSet remembers every line already scanned in a history scan, so that
// each distinct line reaches the rules once however many blobs hold it
// (consecutive versions of a file share almost all their lines).
//
// Because a line that produced a hit must still be located in every other
// blob holding it, the set also tracks, per line, whether scanning it found
// something. Blobs are scanned in parallel, so a line may be met again while
// the blob that claimed it is still being scanned: such sightings wait in a
// pending list until the claim is settled.
type lineSet struct {
	seed   maphash.Seed
	shards [lineShards]lineShard
}

const lineShards = 64

type lineState uint8

const (
	lineAbsent  lineState = iota
	lineClaimed           // being scanned by the blob that first met it
	lineClean             // scanned, nothing found
	lineHit               // scanned, anchors at least one hit
)

type lineShard struct {
	mu      sync.Mutex
	table   stateTable
	pending map[uint64][]sighting
	touched uint64   // what touch read, kept so the reads are not optimised away
	_       [24]byte // keep shards on separate cache lines
}

// stateTable is an open-addressing hash table from a line hash to its
// state, 8 bytes a slot: a history scan holds millions of lines, and a Go
// map of the same would take about twice the memory.
type stateTable struct {
	slots []uint64 // 0: empty; else key | state (key's low 2 bits cleared)
	n     int
}

func tableKey(h uint64) uint64 { return h&^3 | 4 }

func (t *stateTable) get(h uint64) lineState {
	if len(t.slots) == 0 {
		return lineAbsent
	}
	k, mask := tableKey(h), uint64(len(t.slots)-1)
	for i := (h >> 2) & mask; ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			return lineAbsent
		}
		if v&^3 == k {
			return lineState(v & 3)
		}
	}
}

func (t *stateTable) set(h uint64, st lineState) {
	if t.n+1 > len(t.slots)*3/4 {
		t.grow()
	}
	k, mask := tableKey(h), uint64(len(t.slots)-1)
	for i := (h >> 2) & mask; ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 {
			t.slots[i] = k | uint64(st)
			t.n++
			return
		}
		if v&^3 == k {
			t.slots[i] = k | uint64(st)
			return
		}
	}
}

func (t *stateTable) grow() {
	old := t.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1 << 12
	}
	t.slots, t.n = make([]uint64, size), 0
	mask := uint64(size - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		// v&^3 keeps the hash bits used for the index (bits 2 and up).
		for i := (v >> 2) & mask; ; i = (i + 1) & mask {
			if t.slots[i] == 0 {
				t.slots[i] = v
				t.n++
				break
			}
		}
	}
}

// sighting is a line met in a blob after another blob claimed it.
type sighting struct {
	blob int32 // index into the scan's blob table
	line int32 // 0-based line index in that blob
}

func newLineSet() *lineSet {
	s := &lineSet{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].pending = make(map[uint64][]sighting)
	}
	return s
}

func (s *lineSet) hash(b []byte) uint64 { return maphash.Bytes(s.seed, b) }

func (s *lineSet) shard(h uint64) *lineShard { return &s.shards[h>>58] }

// visitBatch is visit for the lines of one blob: hashes[k] is the hash of
// line lines[k]; claimed[k] is set when the caller must scan it. Lines are
// taken shard by shard, one lock each, and the table slots of a shard's
// lines are read once before they are used: a history holds millions of
// lines, each lookup is a cache miss, and independent loads let the
// processor wait for many misses at once instead of one after another.
// Within a shard, lines are visited in order, as visit would.
func (s *lineSet) visitBatch(hashes []uint64, b int32, lines []int32, claimed []bool, order []int32, hitSighting func(h uint64, sg sighting)) {
	var count [lineShards + 1]int32
	for _, h := range hashes {
		count[h>>58+1]++
	}
	for i := 1; i <= lineShards; i++ {
		count[i] += count[i-1]
	}
	order = order[:len(hashes)]
	next := count
	for k, h := range hashes {
		sh := h >> 58
		order[next[sh]] = int32(k)
		next[sh]++
	}
	var hits []int32
	for shi := 0; shi < lineShards; shi++ {
		ks := order[count[shi]:count[shi+1]]
		if len(ks) == 0 {
			continue
		}
		sh := &s.shards[shi]
		sh.mu.Lock()
		sh.touched = sh.table.touch(hashes, ks) // under the shard's lock
		for _, k := range ks {
			h := hashes[k]
			switch sh.table.get(h) {
			case lineAbsent:
				sh.table.set(h, lineClaimed)
				claimed[k] = true
			case lineClaimed:
				sh.pending[h] = append(sh.pending[h], sighting{b, lines[k]})
			case lineHit:
				hits = append(hits, k)
			}
		}
		sh.mu.Unlock()
	}
	for _, k := range hits {
		hitSighting(hashes[k], sighting{b, lines[k]})
	}
}

// touch reads the first slot of each line's probe sequence, so that the
// lookups after it find them in cache (see visitBatch).
// It returns what it read, for the caller to keep (the loads must not be
// optimised away).
func (t *stateTable) touch(hashes []uint64, ks []int32) uint64 {
	if len(t.slots) == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	var sink uint64
	for _, k := range ks {
		sink |= t.slots[(hashes[k]>>2)&mask]
	}
	return sink
}

// settle ends the claim on line h: hit tells whether it anchors a hit. The
// sightings that waited on it are returned when it does.
func (s *lineSet) settle(h uint64, hit bool) []sighting {
	sh := s.shard(h)
	sh.mu.Lock()
	p := sh.pending[h]
	if p != nil {
		delete(sh.pending, h)
	}
	if hit {
		sh.table.set(h, lineHit)
	} else {
		sh.table.set(h, lineClean)
		p = nil
	}
	sh.mu.Unlock()
	return p
}

// size returns the number of distinct lines seen.
func (s *lineSet) size() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.Lock()
		n += s.shards[i].table.n
		s.shards[i].mu.Unlock()
	}
	return n
}

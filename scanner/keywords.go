package scanner

// keywordDFA finds every occurrence of a set of keywords in one pass: an
// Aho-Corasick automaton compiled to a full transition table over byte
// classes (the bytes keywords use, plus one class for all others), so each
// input byte costs one table load and no failure-link walk. With gitleaks'
// ~250 keywords the table is about 1,500 states × ~45 classes of uint16:
// small enough to stay in cache, unlike a 256-way table per state.
type keywordDFA struct {
	class   [256]uint8
	classes int
	delta   []uint16 // state*classes + class -> state
	// out[s] lists the keywords ending at state s (including those reached
	// through suffix links); outStart indexes it.
	outStart []uint32
	out      []int32
	lens     []int32 // keyword lengths
}

// newKeywordDFA builds the automaton; keywords are matched as given (the
// caller lower-cases both sides).
func newKeywordDFA(keywords []string) *keywordDFA {
	d := &keywordDFA{}
	// byte classes: 0 = not in any keyword
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			if d.class[k[i]] == 0 {
				d.classes++
				d.class[k[i]] = uint8(d.classes)
			}
		}
	}
	d.classes++
	// trie
	type node struct {
		next map[uint8]int
		fail int
		out  []int32
	}
	nodes := []node{{next: map[uint8]int{}}}
	for ki, k := range keywords {
		s := 0
		for i := 0; i < len(k); i++ {
			c := d.class[k[i]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = len(nodes)
				nodes = append(nodes, node{next: map[uint8]int{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(ki))
		d.lens = append(d.lens, int32(len(k)))
	}
	if len(nodes) > 1<<16 {
		panic("keywordDFA: too many states") // ~250 short keywords never get near this
	}
	// breadth-first: failure links and the full transition table
	d.delta = make([]uint16, len(nodes)*d.classes)
	queue := []int{}
	for c := 0; c < d.classes; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok && c != 0 {
			nodes[n].fail = 0
			d.delta[c] = uint16(n)
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for c := 0; c < d.classes; c++ {
			if n, ok := nodes[s].next[uint8(c)]; ok && c != 0 {
				nodes[n].fail = int(d.delta[nodes[s].fail*d.classes+c])
				d.delta[s*d.classes+c] = uint16(n)
				queue = append(queue, n)
			} else {
				d.delta[s*d.classes+c] = d.delta[nodes[s].fail*d.classes+c]
			}
		}
	}
	d.outStart = make([]uint32, len(nodes)+1)
	for s := range nodes {
		d.outStart[s] = uint32(len(d.out))
		d.out = append(d.out, nodes[s].out...)
	}
	d.outStart[len(nodes)] = uint32(len(d.out))
	return d
}

// walk calls fn(end, length, keyword) for every keyword occurrence in b,
// where end is the offset of the keyword's last byte, in order of end.
// fn returns false to stop.
func (d *keywordDFA) walk(b []byte, fn func(end, klen, kw int) bool) {
	s := 0
	delta, class, n := d.delta, &d.class, d.classes
	for i, c := range b {
		s = int(delta[s*n+int(class[c])])
		if lo, hi := d.outStart[s], d.outStart[s+1]; lo != hi {
			for _, k := range d.out[lo:hi] {
				if !fn(i, int(d.lens[k]), int(k)) {
					return
				}
			}
		}
	}
}

// first reports whether b holds any keyword.
func (d *keywordDFA) any(b []byte) bool {
	found := false
	d.walk(b, func(int, int, int) bool { found = true; return false })
	return found
}

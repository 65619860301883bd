package scanner

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// The automaton reports exactly the occurrences a naive search finds,
// overlapping and nested keywords included.
func TestKeywordDFAMatchesNaiveSearch(t *testing.T) {
	sets := [][]string{
		{"key", "ey", "s.", "hvs.", "api", "apikey", "-----begin", "xoxb-", "k"},
		{"a", "aa", "aaa", "ab", "bab"},
		{"token", "tok", "ken", "oken"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, kws := range sets {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d := newKeywordDFA(kws)
			alphabet := strings.Join(kws, "") + "xyz .-"
			for n := 0; n < 300; n++ {
				b := make([]byte, rng.IntN(80))
				for j := range b {
					b[j] = alphabet[rng.IntN(len(alphabet))]
				}
				var got, want []string
				d.walk(b, func(end, klen, kw int) bool {
					if klen != len(kws[kw]) || string(b[end+1-klen:end+1]) != kws[kw] {
						t.Fatalf("bad match %q at %d in %q", kws[kw], end, b)
					}
					got = append(got, fmt.Sprint(end, kws[kw]))
					return true
				})
				for k, kw := range kws {
					for j := 0; j+len(kw) <= len(b); j++ {
						if string(b[j:j+len(kw)]) == kw {
							want = append(want, fmt.Sprint(j+len(kw)-1, kws[k]))
						}
					}
				}
				sort.Strings(got)
				sort.Strings(want)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("in %q:\n got  %v\n want %v", b, got, want)
				}
			}
		})
	}
}

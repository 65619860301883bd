package scanner

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/rules"
)

// TestWindowStats is a measurement aid: DUMP_REPO=/path/to/repo.git.
func TestWindowStats(t *testing.T) {
	repo := os.Getenv("DUMP_REPO")
	if repo == "" {
		t.Skip("set DUMP_REPO to measure")
	}
	rs, _ := rules.Load(rules.Options{})
	e := NewEngine(rs, 5)
	var mu sync.Mutex
	count := map[string]int{}
	bytes := map[string]int{}
	samples := map[string][]string{}
	dumpHook = func(d, s string) {
		if len(s) > 2000 {
			d += "-big"
		}
		mu.Lock()
		count[d]++
		bytes[d] += len(s)
		if len(samples[d]) < 20000 {
			samples[d] = append(samples[d], s)
		}
		mu.Unlock()
	}
	defer func() { dumpHook = nil }()
	s := &Scanner{Engine: e, Workers: 2}
	t0 := time.Now()
	if _, err := s.ScanHistory(context.Background(), repo, HistoryOptions{}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("scan %v\n", time.Since(t0))
	for d := range count {
		fmt.Printf("%-8s windows %8d bytes %10d\n", d, count[d], bytes[d])
	}
	// Which keywords open the main windows.
	var kws []string
	for k := range rs.Config.Keywords {
		kws = append(kws, k)
	}
	dfa := newKeywordDFA(kws)
	perKW := map[string]int{}
	for _, w := range samples["main"] {
		seen := map[int]bool{}
		dfa.walk(toLower(nil, []byte(w)), func(_, _, k int) bool {
			if !seen[k] {
				seen[k] = true
				perKW[kws[k]]++
			}
			return true
		})
	}
	type kc struct {
		k string
		n int
	}
	var top []kc
	for k, n := range perKW {
		top = append(top, kc{k, n})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n })
	fmt.Printf("keywords in %d sampled main windows:", len(samples["main"]))
	for _, x := range top[:min(20, len(top))] {
		fmt.Printf(" %q=%d", x.k, x.n)
	}
	fmt.Println()
	if os.Getenv("DUMP_RULES") == "" {
		return
	}
	// per-rule cost on the sampled decode and main windows
	for _, name := range []string{"main", "full", "generic"} {
		type rc struct {
			id string
			d  time.Duration
		}
		var res []rc
		for id := range rs.Config.Rules {
			one := detect.NewDetector(rules.Subset(rs.Config, func(x string) bool { return x == id }))
			t1 := time.Now()
			for _, w := range samples[name] {
				one.DetectString(w)
			}
			res = append(res, rc{id, time.Since(t1)})
		}
		sort.Slice(res, func(i, j int) bool { return res[i].d > res[j].d })
		fmt.Printf("%s top rules on %d sampled windows:", name, len(samples[name]))
		for _, r := range res[:6] {
			fmt.Printf(" %s=%v", r.id, r.d.Round(time.Millisecond))
		}
		fmt.Println()
	}
}

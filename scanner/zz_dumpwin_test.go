package scanner

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"nhiscan/rules"
)

// TestDumpWindows is a temporary measurement aid.
func TestDumpWindows(t *testing.T) {
	repo := os.Getenv("DUMP_REPO")
	if repo == "" {
		t.Skip()
	}
	rs, _ := rules.Load(rules.Options{})
	e := NewEngine(rs, 0)
	var windows []string
	orig := dumpHook
	dumpHook = func(s string) { windows = append(windows, s) }
	defer func() { dumpHook = orig }()
	s := &Scanner{Engine: e, Workers: 1}
	t0 := time.Now()
	_, err := s.ScanHistory(context.Background(), repo, HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, w := range windows {
		total += len(w)
	}
	fmt.Printf("scan %v windows %d bytes %d\n", time.Since(t0), len(windows), total)
	type rc struct {
		id  string
		d   time.Duration
		n   int
		hit int
	}
	var res []rc
	for id, r := range rs.Config.Rules {
		if r.Regex == nil {
			continue
		}
		kws := r.Keywords
		t1 := time.Now()
		n, hits := 0, 0
		for _, w := range windows {
			lw := strings.ToLower(w)
			ok := len(kws) == 0
			for _, k := range kws {
				if strings.Contains(lw, k) {
					ok = true
					break
				}
			}
			if !ok {
				continue
			}
			n += len(w)
			if r.Regex.MatchString(w) {
				hits++
			}
		}
		res = append(res, rc{id, time.Since(t1), n, hits})
	}
	sort.Slice(res, func(i, j int) bool { return res[i].d > res[j].d })
	f, _ := os.Create("/tmp/rulecost.txt")
	w := bufio.NewWriter(f)
	for _, r := range res {
		fmt.Fprintf(w, "%-45s %8v %10d %6d\n", r.id, r.d.Round(time.Millisecond), r.n, r.hit)
	}
	w.Flush()
	f.Close()
}

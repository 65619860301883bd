package verifiers_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/scanner"
	"nhiscan/verifiers"
)

// BenchmarkVerify1000 verifies 1,000 findings of mixed providers (every
// network provider, 300 unique credentials, a third of them dead) through
// Checker.VerifyFindings, the path the CLI uses, against fakes answering
// after 20 ms, with the default 16-way parallelism and 4 requests per
// provider. It reports requests sent, unique credentials, and the peak
// concurrency each provider saw (the per-provider limit must hold it at 4).
// Run it by hand: go test -run '^$' -bench Verify1000 -benchtime 3x ./verifiers/
func BenchmarkVerify1000(b *testing.B) {
	e := newEnv(b, verifiers.ClientOptions{PerProvider: 4})
	e.srv.SetLatency(20 * time.Millisecond)
	reg := testRegistry(b)
	var net []spec
	for _, sp := range specs {
		if !sp.offline && sp.provider != "gcp" { // GCP samples need an RSA key each: added below, fewer
			net = append(net, sp)
		}
	}
	g := fixtures.NewGen(99)
	unique := make([]scanner.Finding, 300)
	dead := 0
	for i := range unique {
		sp := net[i%len(net)]
		if i%50 == 7 {
			sp = specs[slicesIndex("gcp")]
		}
		smp := sp.gen(g)
		unique[i] = scanner.Finding{RuleID: smp.rule, Provider: sp.provider, Secret: smp.secret, Context: smp.context}
		v, _ := reg.Lookup(sp.provider)
		if i%3 != 0 {
			addLive(e, sp, verifiers.PairSighting(v, verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}), smp)
		} else {
			dead++
		}
	}
	findings := make([]scanner.Finding, 1000)
	for i := range findings {
		findings[i] = unique[(i*7)%len(unique)]
	}
	e.srv.ResetCounters()
	b.ResetTimer()
	for range b.N {
		k := verifiers.NewChecker(reg, e.client) // a fresh run: empty cache
		fs := append([]scanner.Finding(nil), findings...)
		k.VerifyFindings(context.Background(), fs, 0)
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(len(unique)), "unique/op")
	var peaks []string
	providers := map[string]bool{}
	for _, f := range unique {
		providers[f.Provider] = true
	}
	for p := range providers {
		peaks = append(peaks, fmt.Sprintf("%s=%d/%d", p, e.srv.PeakConcurrency(p), e.srv.Requests(p)/b.N))
	}
	sort.Strings(peaks)
	b.Logf("dead credentials: %d of %d; per provider peak concurrency/requests per run: %s", dead, len(unique), strings.Join(peaks, " "))
	for p := range providers {
		if pk := e.srv.PeakConcurrency(p); pk > 4 {
			b.Errorf("%s: peak concurrency %d > 4", p, pk)
		}
	}
	_ = fakeapi.Account{}
}

func slicesIndex(name string) int {
	for i, sp := range specs {
		if sp.name == name {
			return i
		}
	}
	panic(name)
}

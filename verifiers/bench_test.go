package verifiers_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

// BenchmarkVerify1000 verifies 1,000 findings of mixed providers (300 unique
// secrets, a third of them dead) against fakes answering after 20 ms, with
// 64 workers. It reports requests sent and the peak concurrency each provider
// saw; the per-provider limit must hold it at ClientOptions.PerProvider.
func BenchmarkVerify1000(b *testing.B) {
	e := newEnv(b, verifiers.ClientOptions{PerProvider: 4})
	e.srv.SetLatency(20 * time.Millisecond)
	providers := verifiers.Default().Providers()
	g := fixtures.NewGen(99)
	type finding struct{ provider, secret string }
	unique := make([]finding, 300)
	for i := range unique {
		p := providers[i%len(providers)]
		unique[i] = finding{p, specs[p].gen(g)}
		if i%3 != 0 {
			e.srv.AddLive(p, unique[i].secret, fakeapi.Account{})
		}
	}
	findings := make([]finding, 1000)
	for i := range findings {
		findings[i] = unique[(i*7)%len(unique)]
	}
	e.srv.ResetCounters()
	b.ResetTimer()
	for range b.N {
		k := verifiers.NewChecker(verifiers.Default(), e.client) // a fresh run: empty cache
		work := make(chan finding)
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for f := range work {
					k.Verify(context.Background(), f.provider, f.secret)
				}
			})
		}
		for _, f := range findings {
			work <- f
		}
		close(work)
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
	for _, p := range providers {
		b.ReportMetric(float64(e.srv.PeakConcurrency(p)), "peak-"+p)
	}
}

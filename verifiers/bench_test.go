package verifiers_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
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
	unique := make([]finding.Finding, 300)
	dead := 0
	for i := range unique {
		sp := net[i%len(net)]
		if i%50 == 7 {
			sp = specs[slicesIndex("gcp")]
		}
		smp := sp.gen(g)
		unique[i] = finding.Finding{RuleID: smp.rule, Provider: sp.provider, Secret: smp.secret, Context: smp.context}
		v, _ := reg.Lookup(sp.provider)
		if (i+i/len(net))%3 != 0 { // dead ones spread over every provider
			addLive(e, sp, verifiers.PairSighting(v, verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}), smp)
		} else {
			dead++
		}
	}
	findings := make([]finding.Finding, 1000)
	for i := range findings {
		findings[i] = unique[(i*7)%len(unique)]
	}
	e.srv.ResetCounters()
	b.ResetTimer()
	for range b.N {
		k := verifiers.NewChecker(reg, e.client) // a fresh run: empty cache
		fs := append([]finding.Finding(nil), findings...)
		k.VerifyFindings(context.Background(), fs, 0)
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(len(unique)), "unique/op")
	var peaks []string
	providers := map[string]int{}
	for _, f := range unique {
		providers[f.Provider]++
	}
	for p, n := range providers {
		peaks = append(peaks, fmt.Sprintf("%s=%d/%d/%d", p, e.srv.PeakConcurrency(p), e.srv.Requests(p)/b.N, n))
	}
	sort.Strings(peaks)
	b.Logf("%d findings, %d unique credentials (%d dead); per provider peak concurrency/requests per run/unique credentials: %s",
		len(findings), len(unique), dead, strings.Join(peaks, " "))
	for p := range providers {
		if pk := e.srv.PeakConcurrency(p); pk > 4 {
			b.Errorf("%s: peak concurrency %d > 4", p, pk)
		}
	}
}

func slicesIndex(name string) int {
	for i, sp := range specs {
		if sp.name == name {
			return i
		}
	}
	panic(name)
}

// BenchmarkVerify1000OneProvider is the same run with every finding for
// one provider (GitHub), where the per-provider limit (4) is what bounds
// the wall time: 300 requests × 20 ms / 4 ≈ 1.5 s at best.
func BenchmarkVerify1000OneProvider(b *testing.B) {
	e := newEnv(b, verifiers.ClientOptions{PerProvider: 4})
	e.srv.SetLatency(20 * time.Millisecond)
	reg := testRegistry(b)
	g := fixtures.NewGen(98)
	unique := make([]finding.Finding, 300)
	for i := range unique {
		unique[i] = finding.Finding{RuleID: "github-pat", Provider: "github", Secret: g.GitHubToken("ghp_")}
		if i%3 != 0 {
			e.srv.AddLive("github", unique[i].Secret, fakeapi.Account{})
		}
	}
	findings := make([]finding.Finding, 1000)
	for i := range findings {
		findings[i] = unique[(i*7)%len(unique)]
	}
	e.srv.ResetCounters()
	b.ResetTimer()
	for range b.N {
		fs := append([]finding.Finding(nil), findings...)
		verifiers.NewChecker(reg, e.client).VerifyFindings(context.Background(), fs, 0)
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(e.srv.PeakConcurrency("github")), "peak-github")
	if pk := e.srv.PeakConcurrency("github"); pk > 4 {
		b.Errorf("peak concurrency %d > 4", pk)
	}
}

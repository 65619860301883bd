package all_test

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/providers/all"
	"nhiscan/providers/providertest"
	"nhiscan/remediate"
	"nhiscan/verifiers"
)

// TestParity: every provider that declares a capability has what its
// conformance needs. Verify and shape: a spec in providertest.Specs, and
// the fake answering every host it may call. Revoke and rotate: a spec of
// that kind in providertest.Remediations, and the fake answering every
// host its plan calls. A registration with neither action gives manual
// steps. The provider's folder is named after its id. The failure lists
// everything missing at once.
func TestParity(t *testing.T) {
	vs, err := all.Verifiers(providertest.SelfHostedConfig)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	miss := func(p, format string, a ...any) { missing = append(missing, p+": "+fmt.Sprintf(format, a...)) }
	listed := map[string]bool{}
	for _, v := range vs {
		p := v.Provider()
		listed[p] = true
		if pkg := reflect.TypeOf(v).Elem().PkgPath(); pkg != "nhiscan/providers/"+p {
			miss(p, "lives in %s, not providers/%s", pkg, p)
		}
		if !slices.ContainsFunc(providertest.Specs, func(s providertest.Spec) bool { return s.Provider == p }) {
			miss(p, "declares verify but has no spec in providertest.Specs")
		}
		if _, ok := v.(verifiers.Shaper); !ok {
			miss(p, "declares no shape (verifiers.Shaper)")
		}
		for _, h := range v.Hosts() {
			if !fakeAnswers(h, p) {
				miss(p, "verifies at %s, which no fixtures/fakeapi route answers for it", h)
			}
		}
		r, ok := v.(remediate.Remediator)
		if !ok {
			continue
		}
		reg := r.Remediation()
		if reg.Provider != p {
			miss(p, "its Registration names provider %q", reg.Provider)
		}
		for _, k := range []struct {
			kind remediate.Kind
			a    remediate.Action
		}{{remediate.Revoke, reg.Revoke}, {remediate.Rotate, reg.Rotate}} {
			if k.a == nil {
				continue
			}
			i := slices.IndexFunc(providertest.Remediations, func(s providertest.RemediationSpec) bool { return s.Provider == p && s.Kind == k.kind })
			if i < 0 {
				miss(p, "declares %s but has no spec in providertest.Remediations", k.kind)
				continue
			}
			for _, h := range planHosts(t, providertest.Remediations[i], k.a) {
				if !fakeAnswers(h, "") {
					miss(p, "%s calls %s, which no fixtures/fakeapi route answers", k.kind, h)
				}
			}
		}
		if reg.Revoke == nil && reg.Rotate == nil && reg.Manual == "" {
			miss(p, "its Registration declares no action and no manual steps")
		}
	}
	for _, s := range providertest.Specs {
		if !listed[s.Provider] {
			miss(s.Provider, "has a spec (%s) but is not listed in providers/all", s.Name)
		}
	}
	for _, s := range providertest.Remediations {
		if !listed[s.Provider] {
			miss(s.Provider, "has a remediation spec (%s) but is not listed in providers/all", s.Name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d missing:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// fakeAnswers says whether fixtures/fakeapi answers host (a port is
// ignored), for provider p when p is set.
func fakeAnswers(host, p string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	got, ok := fakeapi.Hosts[strings.ToLower(host)]
	return ok && (p == "" || got == p)
}

// planHosts plans a (no network) for the spec's sample and returns the
// hosts of the calls.
func planHosts(t *testing.T, sp providertest.RemediationSpec, a remediate.Action) []string {
	t.Helper()
	pol, err := remediate.ParsePolicy([]byte("mode = \"plan\"\n[providers.vault]\naddr = \"https://vault.example.com:8200\"\n" + sp.Policy))
	if err != nil {
		t.Fatalf("%s: policy: %v", sp.Name, err)
	}
	env := remediate.NewEnv(nil, &pol.Providers)
	env.Getenv = func(k string) string {
		if v, ok := sp.Vars[k]; ok {
			return v
		}
		return "operator-" + strings.ToLower(k)
	}
	env.Registry = all.RemediationRegistry()
	if pol.Rotate.Kind != "" {
		if env.Destination, err = remediate.NewDestination(env, pol.Rotate); err != nil {
			t.Fatalf("%s: destination: %v", sp.Name, err)
		}
	}
	if sp.Provider == "aws" {
		env.AWS = &remediate.AWSClients{Admin: fakeCreds{}}
	}
	smp := sp.Gen(fixtures.NewGen(11))
	f := &finding.Finding{Provider: sp.Provider, RuleID: smp.Rule, Secret: smp.Secret, Context: smp.Context, Parts: smp.Parts,
		Verification: &finding.Verification{Status: finding.StatusLive}}
	calls, err := a.Plan(env, f)
	if err != nil {
		t.Errorf("%s: plan: %v", sp.Name, err)
	}
	var hosts []string
	for _, c := range calls {
		_, rest, _ := strings.Cut(c.URL, "://")
		h, _, _ := strings.Cut(rest, "/")
		h, _, _ = strings.Cut(h, " ")
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// TestLazyRegexpsCompile: every provider's lazily compiled pattern
// compiles (a typo would otherwise panic when a provider first needs it).
func TestLazyRegexpsCompile(t *testing.T) {
	n, err := verifiers.CompileLazyRegexps()
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d lazy patterns: are the providers linked in?", n)
	}
}

// TestRegistries: both registries build from the one list, with every
// provider once.
func TestRegistries(t *testing.T) {
	vs, err := all.Verifiers(verifiers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Default().Providers(); len(got) != len(vs) {
		t.Fatalf("verification registry has %d providers, the list %d", len(got), len(vs))
	}
	if got := all.RemediationRegistry().Providers(); len(got) != len(all.Remediations()) || len(got) == 0 {
		t.Fatalf("remediation registry %v", got)
	}
	if _, err := all.Verifiers(verifiers.Config{Hosts: map[string][]string{"nope": {"x.example.com"}}}); err == nil {
		t.Fatal("an invalid config was accepted")
	}
}

// fakeCreds stands in for the operator's AWS admin profile in plans.
type fakeCreds struct{}

func (fakeCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIAADMINFAKE0000001", SecretAccessKey: "fake"}, nil
}

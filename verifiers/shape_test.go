package verifiers_test

import (
	"nhiscan/providers/all"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/verifiers"
)

// TestShapeParity: every verifier declares its credentials' shape, every
// conformance sample has its provider's shape, and none has the strong
// shape of another provider (a report that moves it there is refused).
func TestShapeParity(t *testing.T) {
	reg := all.Default()
	for _, p := range reg.Providers() {
		v, _ := reg.Lookup(p)
		if _, ok := v.(verifiers.Shaper); !ok {
			t.Errorf("%s: the verifier declares no shape (verifiers.Shaper)", p)
		}
	}
	for _, sp := range specs {
		t.Run(sp.name, func(t *testing.T) {
			s := sp.gen(fixtures.NewGen(7))
			if got, _ := reg.Shape(sp.provider, s.secret); got == verifiers.ShapeNone {
				t.Errorf("%s does not own its own sample (shape %s)", sp.provider, got)
			}
			if other := reg.StrongOwner(s.secret, sp.provider); other != "" {
				t.Errorf("%s's sample has the strong shape of %s", sp.provider, other)
			}
		})
	}
}

// TestShapeRefusesForeignSecrets: a secret of one provider does not have
// the shape of another whose form is specific.
func TestShapeRefusesForeignSecrets(t *testing.T) {
	g := fixtures.NewGen(3)
	reg := all.Default()
	cases := []struct{ secret, provider string }{
		{g.GitHubToken("ghp_"), "slack"},
		{g.SlackBotToken(), "github"},
		{g.GitHubToken("ghp_"), "openai"},
		{g.StripeSecretKey(), "github"},
		{g.SendGridKey(), "stripe"},
	}
	for _, c := range cases {
		if got, _ := reg.Shape(c.provider, c.secret); got != verifiers.ShapeNone {
			t.Errorf("%s owns a foreign secret (shape %s)", c.provider, got)
		}
	}
}

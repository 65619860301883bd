package scanner

import (
	"os"
	"path/filepath"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/rules"
)

// A user rule without keywords must see every line, so the engine falls
// back to one detector with every rule — with and without decoding — and
// nothing the windows would have found is lost.
func TestEngineRuleWithoutKeywords(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(cfg, []byte("[extend]\nuseDefault = true\n\n[[rules]]\nid = \"internal-ticket-secret\"\nregex = '''TKT-[0-9]{8}-[a-z]{6}'''\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(rules.Options{ConfigPath: cfg})
	if err != nil {
		t.Fatal(err)
	}
	g := fixtures.NewGen(7)
	tok := g.GitHubToken("ghp_")
	generic := "Zq8xV2mN4pL7rT1wK9sD3fG6"
	data := []byte("x = TKT-12345678-abcdef\nGITHUB=" + tok + "\napi_key = \"" + generic + "\"\n")
	for _, depth := range []int{0, 5} {
		e := NewEngine(rs, depth)
		tx := splitLines(data, nil)
		got := map[string]string{}
		for _, h := range e.scanLines(testCtx(t), tx, 0, tx.lines()-1, "a.txt", nil) {
			got[h.RuleID] = h.Secret
		}
		for rule, want := range map[string]string{"internal-ticket-secret": "TKT-12345678-abcdef", "github-pat": tok, "generic-api-key": generic} { // gitleaks:allow
			if got[rule] != want {
				t.Errorf("depth %d: %s = %q, want %q (all: %v)", depth, rule, got[rule], want, len(got))
			}
		}
	}
}

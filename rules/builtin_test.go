package rules

import (
	"bytes"
	"reflect"
	"testing"
)

// The generated data (builtin_gen.go) is what the TOML sources say: run
// `go generate ./rules` after editing nhi.toml or updating gitleaks.
func TestGeneratedMatchesTOML(t *testing.T) {
	c, noisy, err := builtinFromTOML()
	if err != nil {
		t.Fatal(err)
	}
	want := specOf(c, noisy)
	if len(want.Rules) != len(generatedBuiltin.Rules) {
		t.Fatalf("TOML has %d rules, generated data %d: run go generate ./rules", len(want.Rules), len(generatedBuiltin.Rules))
	}
	for i := range want.Rules {
		if !reflect.DeepEqual(want.Rules[i], generatedBuiltin.Rules[i]) {
			t.Errorf("rule %s differs from the TOML: run go generate ./rules", want.Rules[i].ID)
		}
	}
	if !reflect.DeepEqual(want.Allowlists, generatedBuiltin.Allowlists) || !reflect.DeepEqual(want.Noisy, generatedBuiltin.Noisy) {
		t.Error("global allowlists differ from the TOML: run go generate ./rules")
	}
	var b bytes.Buffer
	if err := WriteGenerated(&b); err != nil {
		t.Fatal(err)
	}
	// The built configuration is the parsed one, rule for rule.
	built, err := buildConfig(&generatedBuiltin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := specOf(built, nil); !reflect.DeepEqual(got.Rules, want.Rules) || !reflect.DeepEqual(got.Allowlists, want.Allowlists) {
		t.Error("rules built from the generated data differ from the TOML's")
	}
}

// Options.ForText builds only the rules that could match the text.
func TestLoadForText(t *testing.T) {
	all, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		text      string
		want, not []string
	}{
		{"github token", "const token = \"ghp_x\"\n", []string{"github-pat", "generic-api-key"}, []string{"adafruit-api-key", "slack-bot-token"}},
		{"nothing", "package p\n", nil, []string{"github-pat", "aws-access-token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Load(Options{ForText: []byte(tc.text)})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.want {
				if _, ok := rs.Config.Rules[id]; !ok {
					t.Errorf("rule %s missing", id)
				}
			}
			for _, id := range tc.not {
				if _, ok := rs.Config.Rules[id]; ok {
					t.Errorf("rule %s built although no keyword of it is in the text", id)
				}
			}
			for id, r := range all.Config.Rules {
				if len(r.Keywords) == 0 {
					if _, ok := rs.Config.Rules[id]; !ok {
						t.Errorf("rule %s has no keywords and must always be built", id)
					}
				}
			}
			if len(rs.Config.Allowlists) != len(all.Config.Allowlists) {
				t.Errorf("%d global allowlists, want %d", len(rs.Config.Allowlists), len(all.Config.Allowlists))
			}
		})
	}
}

package rules

import (
	"reflect"
	"testing"

	"github.com/zricethezav/gitleaks/v8/config"
)

// The shipped configs are decoded without viper's hooks (start-up time):
// that must give exactly what decoding with them gives.
func TestDecodeWithoutHooks(t *testing.T) {
	for name, doc := range map[string]string{"gitleaks default": config.DefaultConfig, "nhi.toml": nhiRules} {
		t.Run(name, func(t *testing.T) {
			fast, err := decode(doc, false)
			if err != nil {
				t.Fatal(err)
			}
			slow, err := decode(doc, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(fast.Rules) < 10 {
				t.Fatalf("only %d rules decoded", len(fast.Rules))
			}
			if !reflect.DeepEqual(fast, slow) {
				for i := range fast.Rules {
					if !reflect.DeepEqual(fast.Rules[i], slow.Rules[i]) {
						t.Errorf("rule %s differs:\n%+v\n%+v", fast.Rules[i].ID, fast.Rules[i], slow.Rules[i])
					}
				}
				t.Fatal("decoded configs differ")
			}
		})
	}
}

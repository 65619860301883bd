package verifiers

import (
	"regexp"
	"testing"
)

// Every lazily compiled pattern must compile: a typo would otherwise panic
// only when a provider first needs it.
func TestLazyRegexpsCompile(t *testing.T) {
	if len(allLazy) < 20 {
		t.Fatalf("only %d lazy patterns registered", len(allLazy))
	}
	for _, l := range allLazy {
		if _, err := regexp.Compile(l.pat); err != nil {
			t.Errorf("%q: %v", l.pat, err)
		}
	}
}

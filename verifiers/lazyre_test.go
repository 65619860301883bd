package verifiers

import "testing"

// The kit's own lazily compiled patterns compile (the providers' tests
// check every provider's with CompileLazyRegexps too).
func TestLazyRegexpsCompile(t *testing.T) {
	if _, err := CompileLazyRegexps(); err != nil {
		t.Fatal(err)
	}
}

package verifiers

import (
	"regexp"
	"sync"
)

// lazyRE is a regexp compiled on first use. Most runs never verify (a
// pre-commit hook, a plain scan), and compiling every provider's pairing
// patterns at start-up cost `scan staged` several milliseconds.
type lazyRE struct {
	once sync.Once
	pat  string
	re   *regexp.Regexp
}

// lazyRegexp returns a lazyRE for pattern; the pattern is checked by the
// package's tests (TestLazyRegexpsCompile), since a typo would otherwise
// panic only when a provider first needs it.
func lazyRegexp(pattern string) *lazyRE {
	l := &lazyRE{pat: pattern}
	allLazy = append(allLazy, l)
	return l
}

// allLazy holds every lazyRE made at package init, for the test.
var allLazy []*lazyRE

func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pat) })
	return l.re
}

func (l *lazyRE) MatchString(s string) bool              { return l.get().MatchString(s) }
func (l *lazyRE) FindStringSubmatch(s string) []string   { return l.get().FindStringSubmatch(s) }
func (l *lazyRE) FindStringSubmatchIndex(s string) []int { return l.get().FindStringSubmatchIndex(s) }
func (l *lazyRE) FindAllString(s string, n int) []string { return l.get().FindAllString(s, n) }
func (l *lazyRE) FindString(s string) string             { return l.get().FindString(s) }
func (l *lazyRE) ReplaceAllString(s, repl string) string { return l.get().ReplaceAllString(s, repl) }
func (l *lazyRE) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *lazyRE) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}

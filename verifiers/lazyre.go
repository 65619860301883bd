package verifiers

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// LazyRE is a regexp compiled on first use. Most runs never verify (a
// pre-commit hook, a plain scan), and compiling every provider's pairing
// patterns at start-up cost `scan staged` several milliseconds.
type LazyRE struct {
	once sync.Once
	pat  string
	re   *regexp.Regexp
}

// LazyRegexp returns a LazyRE for pattern, for a package-level variable.
// Every pattern made so is checked by CompileLazyRegexps, which the
// providers' tests run, since a typo would otherwise panic only when a
// provider first needs it.
func LazyRegexp(pattern string) *LazyRE {
	l := &LazyRE{pat: pattern}
	lazyMu.Lock()
	allLazy = append(allLazy, l)
	lazyMu.Unlock()
	return l
}

var (
	lazyMu sync.Mutex
	// allLazy holds every LazyRE made, for CompileLazyRegexps.
	allLazy []*LazyRE
)

// CompileLazyRegexps compiles every pattern made with LazyRegexp so far
// (in the packages linked in) and returns how many there are, or the
// errors of those that do not compile.
func CompileLazyRegexps() (int, error) {
	lazyMu.Lock()
	defer lazyMu.Unlock()
	var errs []error
	for _, l := range allLazy {
		if _, err := regexp.Compile(l.pat); err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", l.pat, err))
		}
	}
	return len(allLazy), errors.Join(errs...)
}

func (l *LazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pat) })
	return l.re
}

func (l *LazyRE) MatchString(s string) bool              { return l.get().MatchString(s) }
func (l *LazyRE) FindStringSubmatch(s string) []string   { return l.get().FindStringSubmatch(s) }
func (l *LazyRE) FindStringSubmatchIndex(s string) []int { return l.get().FindStringSubmatchIndex(s) }
func (l *LazyRE) FindAllString(s string, n int) []string { return l.get().FindAllString(s, n) }
func (l *LazyRE) FindString(s string) string             { return l.get().FindString(s) }
func (l *LazyRE) ReplaceAllString(s, repl string) string { return l.get().ReplaceAllString(s, repl) }
func (l *LazyRE) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *LazyRE) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}

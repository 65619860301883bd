package rules

import (
	"bytes"
	"fmt"
	"go/format"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
	"regexp"
)

// The built-in rules (gitleaks' defaults merged with the NHI pack) are
// parsed from TOML at build time, by `go generate`, into Go data
// (builtin_gen.go): start-up then compiles regular expressions only, and
// only those of the rules a caller keeps (see Options.ForText). The TOML
// stays the source; TestGeneratedMatchesTOML checks the two agree.

//go:generate go run ./internal/rulegen -o builtin_gen.go

// ruleSpec is a gitleaks rule before compilation.
type ruleSpec struct {
	ID, Description string
	Regex, Path     string
	Entropy         float64
	SecretGroup     int
	Keywords, Tags  []string
	Allowlists      []allowSpec
	Required        []requiredSpec
	SkipReport      bool
}

type requiredSpec struct {
	ID                         string
	WithinLines, WithinColumns *int
}

// allowSpec is a gitleaks allowlist before compilation.
type allowSpec struct {
	Description string
	And         bool
	Commits     []string
	Paths       []string
	RegexTarget string
	Regexes     []string
	StopWords   []string
}

// builtinSpec is the whole built-in configuration.
type builtinSpec struct {
	Rules      []ruleSpec
	Allowlists []allowSpec
	// Noisy are the global allowlist's paths that nhiscan scans anyway and
	// marks as vendored or generated (see reviewGlobalAllowlists).
	Noisy []string
}

func specOfAllowlist(a *config.Allowlist) allowSpec {
	// gitleaks' Validate dedups commits and stop words through a map:
	// sorted, the generated data is stable.
	s := allowSpec{Description: a.Description, And: a.MatchCondition == config.AllowlistMatchAnd,
		Commits: sorted(a.Commits), RegexTarget: a.RegexTarget, StopWords: sorted(a.StopWords)}
	for _, p := range a.Paths {
		s.Paths = append(s.Paths, p.String())
	}
	for _, r := range a.Regexes {
		s.Regexes = append(s.Regexes, r.String())
	}
	return s
}

// specOf converts a compiled configuration back to specs.
func specOf(c config.Config, noisy []*regexp.Regexp) builtinSpec {
	var s builtinSpec
	for _, id := range c.OrderedRules {
		r := c.Rules[id]
		rs := ruleSpec{ID: r.RuleID, Description: r.Description, Entropy: r.Entropy, SecretGroup: r.SecretGroup,
			Keywords: r.Keywords, Tags: r.Tags, SkipReport: r.SkipReport}
		if r.Regex != nil {
			rs.Regex = r.Regex.String()
		}
		if r.Path != nil {
			rs.Path = r.Path.String()
		}
		for _, a := range r.Allowlists {
			rs.Allowlists = append(rs.Allowlists, specOfAllowlist(a))
		}
		for _, q := range r.RequiredRules {
			rs.Required = append(rs.Required, requiredSpec{ID: q.RuleID, WithinLines: q.WithinLines, WithinColumns: q.WithinColumns})
		}
		s.Rules = append(s.Rules, rs)
	}
	for _, a := range c.Allowlists {
		s.Allowlists = append(s.Allowlists, specOfAllowlist(a))
	}
	for _, p := range noisy {
		s.Noisy = append(s.Noisy, p.String())
	}
	return s
}

func sorted(ss []string) []string {
	if ss == nil {
		return nil
	}
	return slices.Sorted(slices.Values(ss))
}

func compileAll(srcs []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, src := range srcs {
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

func (s allowSpec) build() (*config.Allowlist, error) {
	a := &config.Allowlist{Description: s.Description, Commits: s.Commits, RegexTarget: s.RegexTarget, StopWords: s.StopWords}
	if s.And {
		a.MatchCondition = config.AllowlistMatchAnd
	}
	var err error
	if a.Paths, err = compileAll(s.Paths); err != nil {
		return nil, err
	}
	if a.Regexes, err = compileAll(s.Regexes); err != nil {
		return nil, err
	}
	return a, a.Validate()
}

func (s ruleSpec) build() (config.Rule, error) {
	r := config.Rule{RuleID: s.ID, Description: s.Description, Entropy: s.Entropy, SecretGroup: s.SecretGroup,
		Keywords: s.Keywords, Tags: s.Tags, SkipReport: s.SkipReport}
	var err error
	if s.Regex != "" {
		if r.Regex, err = regexp.Compile(s.Regex); err != nil {
			return r, fmt.Errorf("rule %s: %w", s.ID, err)
		}
	}
	if s.Path != "" {
		if r.Path, err = regexp.Compile(s.Path); err != nil {
			return r, fmt.Errorf("rule %s: %w", s.ID, err)
		}
	}
	for _, a := range s.Allowlists {
		al, err := a.build()
		if err != nil {
			return r, fmt.Errorf("rule %s: %w", s.ID, err)
		}
		r.Allowlists = append(r.Allowlists, al)
	}
	for _, q := range s.Required {
		r.RequiredRules = append(r.RequiredRules, &config.Required{RuleID: q.ID, WithinLines: q.WithinLines, WithinColumns: q.WithinColumns})
	}
	return r, r.Validate()
}

// buildConfig compiles the rules keep accepts (all when keep is nil), and
// the rules they require, on every core.
func buildConfig(s *builtinSpec, keep func(*ruleSpec) bool) (config.Config, error) {
	want := make([]bool, len(s.Rules))
	index := make(map[string]int, len(s.Rules))
	for i := range s.Rules {
		index[s.Rules[i].ID] = i
	}
	var mark func(i int)
	mark = func(i int) {
		if want[i] {
			return
		}
		want[i] = true
		for _, q := range s.Rules[i].Required {
			if j, ok := index[q.ID]; ok {
				mark(j)
			}
		}
	}
	for i := range s.Rules {
		if keep == nil || keep(&s.Rules[i]) {
			mark(i)
		}
	}
	built := make([]config.Rule, len(s.Rules))
	errs := make([]error, len(s.Rules))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				built[i], errs[i] = s.Rules[i].build()
			}
		}()
	}
	for i := range s.Rules {
		if want[i] {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	c := config.Config{Rules: map[string]config.Rule{}, Keywords: map[string]struct{}{}}
	for i := range s.Rules {
		if !want[i] {
			continue
		}
		if errs[i] != nil {
			return config.Config{}, errs[i]
		}
		r := built[i]
		c.Rules[r.RuleID] = r
		c.OrderedRules = append(c.OrderedRules, r.RuleID)
		for _, k := range r.Keywords {
			c.Keywords[strings.ToLower(k)] = struct{}{}
		}
	}
	for _, a := range s.Allowlists {
		al, err := a.build()
		if err != nil {
			return config.Config{}, fmt.Errorf("[[allowlists]]: %w", err)
		}
		c.Allowlists = append(c.Allowlists, al)
	}
	return c, nil
}

// keepFor returns a selector of the rules that could match in text: those
// without keywords and those with a keyword in text (lower-cased).
func keepFor(text []byte) func(*ruleSpec) bool {
	low := bytes.ToLower(text)
	return func(r *ruleSpec) bool {
		if len(r.Keywords) == 0 {
			return true
		}
		for _, k := range r.Keywords {
			if bytes.Contains(low, []byte(strings.ToLower(k))) {
				return true
			}
		}
		return false
	}
}

var (
	specIndexOnce sync.Once
	specIndex     map[string]*ruleSpec
)

// builtinSpecRule returns the generated spec of a built-in rule.
func builtinSpecRule(id string) (*ruleSpec, bool) {
	specIndexOnce.Do(func() {
		specIndex = make(map[string]*ruleSpec, len(generatedBuiltin.Rules))
		for i := range generatedBuiltin.Rules {
			specIndex[generatedBuiltin.Rules[i].ID] = &generatedBuiltin.Rules[i]
		}
	})
	r, ok := specIndex[id]
	return r, ok
}

// WriteGenerated parses the built-in TOML and writes builtin_gen.go to w
// (for `go generate`).
func WriteGenerated(w io.Writer) error {
	c, noisy, err := builtinFromTOML()
	if err != nil {
		return err
	}
	s := specOf(c, noisy)
	var b bytes.Buffer
	b.WriteString("// Code generated by rules/internal/rulegen from rules/nhi.toml and gitleaks' default config; DO NOT EDIT.\n\npackage rules\n\n")
	b.WriteString("var generatedBuiltin = builtinSpec{\nRules: []ruleSpec{\n")
	for _, r := range s.Rules {
		fmt.Fprintf(&b, "{ID: %q, Description: %q, Regex: %q, Path: %q, Entropy: %s, SecretGroup: %d, Keywords: %s, Tags: %s, SkipReport: %t,\n",
			r.ID, r.Description, r.Regex, r.Path, strconv.FormatFloat(r.Entropy, 'g', -1, 64), r.SecretGroup, strs(r.Keywords), strs(r.Tags), r.SkipReport)
		if len(r.Allowlists) > 0 {
			b.WriteString("Allowlists: []allowSpec{\n")
			for _, a := range r.Allowlists {
				writeAllow(&b, a)
			}
			b.WriteString("},\n")
		}
		if len(r.Required) > 0 {
			return fmt.Errorf("rule %s: required rules are not supported in the generated data", r.ID)
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\nAllowlists: []allowSpec{\n")
	for _, a := range s.Allowlists {
		writeAllow(&b, a)
	}
	fmt.Fprintf(&b, "},\nNoisy: %s,\n}\n", strs(s.Noisy))
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Write(src)
	return err
}

func writeAllow(b *bytes.Buffer, a allowSpec) {
	fmt.Fprintf(b, "{Description: %q, And: %t, Commits: %s, Paths: %s, RegexTarget: %q, Regexes: %s, StopWords: %s},\n",
		a.Description, a.And, strs(a.Commits), strs(a.Paths), a.RegexTarget, strs(a.Regexes), strs(a.StopWords))
}

func strs(ss []string) string {
	if ss == nil {
		return "nil"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

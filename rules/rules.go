// Package rules owns what nhiscan looks for: gitleaks' default rule set,
// nhiscan's embedded NHI rules on top of it, per-rule metadata (provider,
// severity, remediation hint, tags) and the loading of a user's gitleaks-format
// config file that extends or replaces them. It knows nothing about
// verification.
package rules

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/mitchellh/mapstructure"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

//go:embed nhi.toml
var nhiRules string

// Meta is what nhiscan adds to a gitleaks rule.
type Meta struct {
	Provider    string   // registry key for verifiers and remediators ("" = none)
	Severity    string   // critical, high, medium, low
	Remediation string   // one-line hint shown in reports
	Tags        []string // e.g. OWASP NHI Top 10 ids
	// Weak rules are broad fallbacks (a credential file's password line, a
	// URL with a password, a bare prefix where gitleaks wants a keyword): on
	// the same line, a finding of another rule holding the same secret wins,
	// so a secret is reported once, under the most specific rule id. They
	// are also the rules dropped in noisy paths (see NoisyPath).
	Weak bool
}

// Ruleset is a validated gitleaks config plus nhiscan metadata. It is
// immutable after Load and safe for concurrent use.
type Ruleset struct {
	Config config.Config
	meta   map[string]Meta
	// Source says where the rules came from, for --help and reports.
	Source string
}

// Options choose the rules.
type Options struct {
	// ConfigPath is a gitleaks-format TOML file. With `[extend] useDefault =
	// true` its rules are added to the built-in set (gitleaks defaults + NHI
	// pack); without an [extend] table it replaces them, as in gitleaks.
	ConfigPath string
	// EnableRules, when not empty, keeps only these rule ids.
	EnableRules []string
	// ForText, when not nil and no ConfigPath is given, builds only the
	// built-in rules that could match in it: those with a keyword in it,
	// and those without keywords. A pre-commit hook scans a few lines that
	// most rules can never match; compiling every rule would be most of its
	// time. The text must include what decoding would reveal (see
	// scanner.StagedDiff.RuleText).
	ForText []byte
}

// Load builds the rule set. Errors name the file, the rule and the field.
func Load(opts Options) (*Ruleset, error) {
	var base config.Config
	if opts.ForText != nil && opts.ConfigPath == "" && len(opts.EnableRules) == 0 {
		c, err := buildConfig(&generatedBuiltin, keepFor(opts.ForText))
		if err != nil {
			return nil, err
		}
		base = c
	} else {
		shared, err := builtinOnce()
		if err != nil {
			return nil, err
		}
		base = copyConfig(shared)
	}
	rs := &Ruleset{Config: base, Source: "built-in (gitleaks defaults + nhiscan NHI pack)"}
	if opts.ConfigPath != "" {
		cfg, err := loadUserConfig(opts.ConfigPath, base, 0)
		if err != nil {
			return nil, err
		}
		rs.Config = cfg
		rs.Source = opts.ConfigPath
	}
	if len(opts.EnableRules) > 0 {
		keep := map[string]bool{}
		for _, id := range opts.EnableRules {
			if _, ok := rs.Config.Rules[id]; !ok {
				return nil, fmt.Errorf("--enable-rule %q: no such rule", id)
			}
			keep[id] = true
		}
		rs.Config = Subset(rs.Config, func(id string) bool { return keep[id] })
	}
	rs.meta = metaFor(rs.Config)
	return rs, nil
}

// Meta returns the metadata of a rule (derived defaults when the rule has
// no explicit entry).
func (r *Ruleset) Meta(ruleID string) Meta {
	if m, ok := r.meta[ruleID]; ok {
		return m
	}
	return deriveMeta(ruleID)
}

// IDs lists the rule ids in a stable order.
func (r *Ruleset) IDs() []string {
	ids := make([]string, 0, len(r.Config.Rules))
	for id := range r.Config.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

var (
	defaultOnce sync.Once
	defaultCfg  parsed
	defaultErr  error
)

func gitleaksDefault() (parsed, error) {
	defaultOnce.Do(func() { defaultCfg, defaultErr = parseDoc(config.DefaultConfig, "gitleaks default config", true) })
	return defaultCfg, defaultErr
}

// IsBuiltinRegex reports whether rule id's regex is exactly the one nhiscan
// ships (gitleaks' default or the NHI pack). Matching shortcuts that depend
// on a regex's shape are only safe for those.
func IsBuiltinRegex(id, regex string) bool {
	r, ok := builtinSpecRule(id)
	return ok && r.Regex != "" && r.Regex == regex
}

var (
	builtinDo  sync.Once
	builtinCfg config.Config
	builtinErr error
)

// builtinOnce is builtin, computed once. The Config is shared: callers copy
// before changing its maps.
func builtinOnce() (config.Config, error) {
	builtinDo.Do(func() { builtinCfg, builtinErr = builtin() })
	return builtinCfg, builtinErr
}

// copyConfig returns c with its own maps and slices (the rules' compiled
// regexes are immutable and shared).
func copyConfig(c config.Config) config.Config {
	out := c
	out.Rules = make(map[string]config.Rule, len(c.Rules))
	for id, r := range c.Rules {
		out.Rules[id] = r
	}
	out.OrderedRules = append([]string(nil), c.OrderedRules...)
	out.Keywords = make(map[string]struct{}, len(c.Keywords))
	for k := range c.Keywords {
		out.Keywords[k] = struct{}{}
	}
	out.Allowlists = append(c.Allowlists[:0:0], c.Allowlists...)
	return out
}

// builtin returns gitleaks' default config extended by the NHI pack, with
// the global allowlist reviewed (see globalAllowlists), from the data
// generated at build time.
func builtin() (config.Config, error) { return buildConfig(&generatedBuiltin, nil) }

// builtinFromTOML is builtin parsed from the TOML sources (go generate and
// the test that the generated data matches), with the noisy paths moved
// out of the global allowlist.
func builtinFromTOML() (config.Config, []*regexp.Regexp, error) {
	// The two documents are independent: parse them at once (start-up).
	type result struct {
		p   parsed
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := parseDoc(nhiRules, "rules/nhi.toml", true)
		ch <- result{p, err}
	}()
	def, err := gitleaksDefault()
	nr := <-ch
	if err != nil {
		return config.Config{}, nil, err
	}
	nhi, err := nr.p, nr.err
	if err != nil {
		return config.Config{}, nil, err
	}
	c := merge(def.cfg, nhi.cfg, nil)
	var noisy []*regexp.Regexp
	c.Allowlists, noisy = reviewGlobalAllowlists(c.Allowlists)
	return c, noisy, nil
}

type parsed struct {
	cfg    config.Config
	extend config.Extend
}

// parse reads one gitleaks TOML document without gitleaks' own [extend]
// handling (which keeps process-global state and panics on bad regexes):
// regexes are checked first so a bad one is reported with its rule and
// field, then gitleaks translates and validates the rest.
func parse(doc, name string) (parsed, error) { return parseDoc(doc, name, false) }

// parseDoc is parse; trusted skips the regex precheck for the configs
// nhiscan ships (they are tested, and compiling every regex twice would
// double the start-up time of `scan staged`).
func parseDoc(doc, name string, trusted bool) (p parsed, err error) {
	vc, err := decode(doc, !trusted)
	if err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	if !trusted {
		if err := precheck(&vc); err != nil {
			return p, fmt.Errorf("%s: %w", name, err)
		}
	}
	p.extend = vc.Extend
	extending := vc.Extend.UseDefault || vc.Extend.Path != ""
	if extending {
		// An [extend] file may override parts of a base rule without
		// repeating its regex; gitleaks validates after merging, so stand
		// a placeholder in until merge keeps the base's regex.
		for i := range vc.Rules {
			if vc.Rules[i].Regex == "" && vc.Rules[i].Path == "" {
				vc.Rules[i].Regex = noRegexPlaceholder
			}
		}
	}
	vc.Extend = config.Extend{}
	cfg, err := translate(vc)
	if err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	for id, r := range cfg.Rules {
		if r.Regex != nil && r.Regex.String() == noRegexPlaceholder {
			r.Regex = nil
			cfg.Rules[id] = r
		}
	}
	p.cfg = cfg
	return p, nil
}

// decode reads a gitleaks TOML document as viper does for gitleaks. The
// configs nhiscan ships use TOML arrays and no durations, so viper's
// string-to-slice and duration hooks have nothing to do there: decoding
// without them (hooks false) takes a fraction of the time, which is most of
// `scan staged`'s start-up. User configs keep the hooks (a string where a
// list is expected still works). TestDecodeWithoutHooks checks both ways
// agree on the shipped configs.
func decode(doc string, hooks bool) (vc config.ViperConfig, err error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(doc)); err != nil {
		return vc, cleanTOMLError(err)
	}
	var opts []viper.DecoderConfigOption
	if !hooks {
		opts = append(opts, func(c *mapstructure.DecoderConfig) { c.DecodeHook = nil })
	}
	err = v.Unmarshal(&vc, opts...)
	return vc, err
}

// translate is gitleaks' Translate (which compiles every regex), run on two
// halves of the rules at once when there are many: compiling gitleaks'
// default rules is most of `scan staged`'s start-up. A panic inside gitleaks
// becomes an error.
func translate(vc config.ViperConfig) (cfg config.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid config: %v", r)
		}
	}()
	if len(vc.Rules) < 64 || hasRequired(vc) {
		return vc.Translate()
	}
	half := len(vc.Rules) / 2
	second := config.ViperConfig{Rules: vc.Rules[half:]}
	vc.Rules = vc.Rules[:half:half]
	var (
		c2   config.Config
		err2 error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				err2 = fmt.Errorf("invalid config: %v", r)
			}
		}()
		c2, err2 = second.Translate()
	}()
	cfg, err = vc.Translate()
	<-done
	if err != nil {
		return cfg, err
	}
	if err2 != nil {
		return cfg, err2
	}
	for _, id := range c2.OrderedRules {
		if _, dup := cfg.Rules[id]; dup {
			return cfg, fmt.Errorf("rule %s: defined twice", id)
		}
		cfg.Rules[id] = c2.Rules[id]
		cfg.OrderedRules = append(cfg.OrderedRules, id)
	}
	for k := range c2.Keywords {
		cfg.Keywords[k] = struct{}{}
	}
	return cfg, nil
}

// hasRequired reports rules or allowlists that name other rules (composite
// rules, targeted allowlists), which must be translated together.
func hasRequired(vc config.ViperConfig) bool {
	for _, r := range vc.Rules {
		if len(r.Required) > 0 {
			return true
		}
	}
	for _, a := range vc.Allowlists {
		if len(a.TargetRules) > 0 {
			return true
		}
	}
	return false
}

func cleanTOMLError(err error) error {
	// viper wraps the TOML error in a generic message; keep the useful part.
	var pe viper.ConfigParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("invalid TOML: %s", strings.TrimPrefix(pe.Error(), "While parsing config: "))
	}
	return err
}

// precheck compiles every regular expression so that an error names the rule
// and the field instead of panicking inside gitleaks.
func precheck(vc *config.ViperConfig) error {
	seen := map[string]bool{}
	for i, r := range vc.Rules {
		id := r.ID
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("rule #%d: field id is missing", i+1)
		}
		if seen[id] {
			return fmt.Errorf("rule %s: defined twice", id)
		}
		seen[id] = true
		if r.Regex != "" {
			if _, err := regexp.Compile(r.Regex); err != nil {
				return fmt.Errorf("rule %s: field regex: %w", id, err)
			}
		}
		if r.Path != "" {
			if _, err := regexp.Compile(r.Path); err != nil {
				return fmt.Errorf("rule %s: field path: %w", id, err)
			}
		}
		if r.Entropy < 0 || r.Entropy > 8 {
			return fmt.Errorf("rule %s: field entropy: %v is outside 0..8", id, r.Entropy)
		}
		if r.SecretGroup < 0 {
			return fmt.Errorf("rule %s: field secretGroup: must not be negative", id)
		}
		als := r.Allowlists
		if r.AllowList != nil {
			als = append(als, r.AllowList)
		}
		for j, a := range als {
			if err := precheckAllowlist(a.Regexes, a.Paths); err != nil {
				return fmt.Errorf("rule %s: allowlist #%d: %w", id, j+1, err)
			}
		}
	}
	gals := vc.Allowlists
	if vc.AllowList != nil {
		if err := precheckAllowlist(vc.AllowList.Regexes, vc.AllowList.Paths); err != nil {
			return fmt.Errorf("[allowlist]: %w", err)
		}
	}
	for j, a := range gals {
		if err := precheckAllowlist(a.Regexes, a.Paths); err != nil {
			return fmt.Errorf("[[allowlists]] #%d: %w", j+1, err)
		}
	}
	return nil
}

func precheckAllowlist(regexes, paths []string) error {
	for _, s := range regexes {
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Errorf("field regexes: %w", err)
		}
	}
	for _, s := range paths {
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Errorf("field paths: %w", err)
		}
	}
	return nil
}

// noRegexPlaceholder marks a rule override that sets no regex of its own.
const noRegexPlaceholder = `\x00nhiscan: no regex\x00`

const maxExtendDepth = 2

func loadUserConfig(path string, base config.Config, depth int) (config.Config, error) {
	if depth > maxExtendDepth {
		return config.Config{}, fmt.Errorf("%s: [extend] nested more than %d levels", path, maxExtendDepth)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return config.Config{}, fmt.Errorf("config: %w", err)
	}
	p, err := parse(string(doc), path)
	if err != nil {
		return config.Config{}, err
	}
	p.cfg.Path = path
	switch {
	case p.extend.UseDefault && p.extend.Path != "":
		return config.Config{}, fmt.Errorf("%s: [extend] sets both useDefault and path; choose one", path)
	case p.extend.UseDefault:
		return checked(withPath(merge(base, p.cfg, p.extend.DisabledRules), path))
	case p.extend.Path != "":
		parent := p.extend.Path
		if !filepath.IsAbs(parent) {
			parent = filepath.Join(filepath.Dir(path), parent)
		}
		pc, err := loadUserConfig(parent, base, depth+1)
		if err != nil {
			return config.Config{}, err
		}
		return checked(withPath(merge(pc, p.cfg, p.extend.DisabledRules), path))
	case p.extend.URL != "":
		return config.Config{}, fmt.Errorf("%s: [extend] url is not supported (nhiscan never fetches rules from the network)", path)
	}
	if len(p.cfg.Rules) == 0 {
		return config.Config{}, fmt.Errorf("%s: no [[rules]] and no [extend]; add `[extend]\\nuseDefault = true` to add to the built-in rules", path)
	}
	return p.cfg, nil
}

// checked rejects rules left with neither regex nor path after merging (an
// override of a rule the base does not have).
func checked(c config.Config) (config.Config, error) {
	for _, id := range c.OrderedRules {
		r := c.Rules[id]
		if r.Regex == nil && r.Path == nil {
			return config.Config{}, fmt.Errorf("%s: rule %s: field regex (or path) is missing, and no built-in rule of that id provides one", c.Path, id)
		}
	}
	return c, nil
}

func withPath(c config.Config, path string) config.Config {
	c.Path = path
	return c
}

// merge lays ext over base the way gitleaks' [extend] does: new rules are
// added; a rule with an existing id overrides the fields it sets and adds its
// keywords, tags and allowlists; disabled rules of base are dropped; global
// allowlists add up.
func merge(base, ext config.Config, disabled []string) config.Config {
	off := map[string]bool{}
	for _, id := range disabled {
		off[id] = true
	}
	out := config.Config{
		Title:       ext.Title,
		Description: ext.Description,
		Path:        ext.Path,
		Rules:       map[string]config.Rule{},
		Keywords:    map[string]struct{}{},
	}
	for _, id := range base.OrderedRules {
		if off[id] {
			continue
		}
		out.Rules[id] = base.Rules[id]
		out.OrderedRules = append(out.OrderedRules, id)
	}
	for _, id := range ext.OrderedRules {
		r := ext.Rules[id]
		b, ok := out.Rules[id]
		if !ok {
			out.Rules[id] = r
			out.OrderedRules = append(out.OrderedRules, id)
			continue
		}
		if r.Description != "" {
			b.Description = r.Description
		}
		if r.Entropy != 0 {
			b.Entropy = r.Entropy
		}
		if r.SecretGroup != 0 {
			b.SecretGroup = r.SecretGroup
		}
		if r.Regex != nil {
			b.Regex = r.Regex
		}
		if r.Path != nil {
			b.Path = r.Path
		}
		b.Tags = append(append([]string{}, b.Tags...), r.Tags...)
		b.Keywords = append(append([]string{}, b.Keywords...), r.Keywords...)
		b.Allowlists = append(append(b.Allowlists[:0:0], b.Allowlists...), r.Allowlists...)
		out.Rules[id] = b
	}
	for _, r := range out.Rules {
		for _, k := range r.Keywords {
			out.Keywords[strings.ToLower(k)] = struct{}{}
		}
	}
	out.Allowlists = append(append(out.Allowlists, base.Allowlists...), ext.Allowlists...)
	return out
}

// Subset returns c with only the rules keep accepts (global allowlists
// kept).
func Subset(c config.Config, keep func(string) bool) config.Config {
	out := c
	out.Rules = map[string]config.Rule{}
	out.OrderedRules = nil
	out.Keywords = map[string]struct{}{}
	for _, id := range c.OrderedRules {
		if !keep(id) {
			continue
		}
		r := c.Rules[id]
		out.Rules[id] = r
		out.OrderedRules = append(out.OrderedRules, id)
		for _, k := range r.Keywords {
			out.Keywords[strings.ToLower(k)] = struct{}{}
		}
	}
	return out
}

package rules

import (
	"regexp"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaks' default global allowlist skips whole paths. Reviewed entry by
// entry, most of them hide real leaks: a token committed under vendor/ or
// node_modules/, in a lockfile's resolved URL, or in a vendored library's
// copy is still leaked. nhiscan keeps silent only the paths whose content is
// binary or cannot hold a credential as text:
//
//	images, fonts, office documents and executables   binary formats; kept
//	(?:^|/)\.git$                                       a gitfile pointer; kept
//
// Every other path entry (gitleaks.toml, go.mod/go.sum, vendor/modules.txt,
// vendor/<go module hosts>/, gradlew, mvnw, the Maven wrapper downloader,
// node_modules/, bower_components/, npm/yarn/pnpm/deno lockfiles, Pipfile and
// poetry locks, minified jQuery/Bootstrap/… bundles, javascript.json,
// virtualenv and Python lib trees, *.dist-info, vendor/bundle and
// vendor/ruby, *.gem, verification-metadata.xml, Database.refactorlog)
// becomes a noisy path: findings there are still reported, one severity
// level lower and tagged, and only the broad fallback rules (generic-api-key
// and the rules marked Weak) are dropped there, because in generated and
// vendored text they match hashes and test data, not credentials.
//
// The global regexes and stopwords (true/false/null, ${VAR}, {{ tmpl }},
// %VAR%, repeated characters, example paths) are placeholders, never
// credentials: all of them are kept.

// keptPathSources are the gitleaks global allowlist paths kept silent.
var keptPathSources = map[string]bool{
	`(?i)\.(?:bmp|gif|jpe?g|png|svg|tiff?)$`:                                    true,
	`(?i)\.(?:eot|[ot]tf|woff2?)$`:                                              true,
	`(?i)\.(?:docx?|xlsx?|pdf|bin|socket|vsidx|v2|suo|wsuo|.dll|pdb|exe|gltf)$`: true,
	`(?:^|/)\.git$`: true,
}

var (
	noisyOnce  sync.Once
	noisyPaths []*regexp.Regexp
)

// reviewGlobalAllowlists returns the global allowlists with the path entries
// that would hide credentials moved to the noisy-path list.
func reviewGlobalAllowlists(als []*config.Allowlist) ([]*config.Allowlist, []*regexp.Regexp) {
	out := make([]*config.Allowlist, 0, len(als))
	var moved []*regexp.Regexp
	for _, a := range als {
		if len(a.Paths) == 0 {
			out = append(out, a)
			continue
		}
		// A fresh Allowlist: gitleaks compiles Paths into a matcher once,
		// in Validate.
		c := &config.Allowlist{Description: a.Description, MatchCondition: a.MatchCondition, Commits: a.Commits,
			RegexTarget: a.RegexTarget, Regexes: a.Regexes, StopWords: a.StopWords}
		for _, p := range a.Paths {
			if keptPathSources[p.String()] {
				c.Paths = append(c.Paths, p)
			} else {
				moved = append(moved, p)
			}
		}
		if len(c.Paths) == 0 && len(c.Regexes) == 0 && len(c.StopWords) == 0 && len(c.Commits) == 0 {
			continue
		}
		if err := c.Validate(); err != nil {
			out = append(out, a) // cannot happen: a validated before
			continue
		}
		out = append(out, c)
	}
	return out, moved
}

// NoisyPath reports whether path is vendored, generated or a lockfile (one
// of the paths gitleaks' default allowlist skips and nhiscan still scans).
func NoisyPath(path string) bool {
	if path == "" {
		return false
	}
	noisyOnce.Do(func() {
		// Compiled on first use: most scans never ask.
		noisyPaths, _ = compileAll(generatedBuiltin.Noisy)
		noisyPaths = append(noisyPaths, vendoredPaths()...)
	})
	for _, re := range noisyPaths {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// severities from high to low.
var severities = []string{"critical", "high", "medium", "low"}

// LowerSeverity returns the severity one level below sev ("low" stays low).
func LowerSeverity(sev string) string {
	for i, s := range severities {
		if s == sev && i+1 < len(severities) {
			return severities[i+1]
		}
	}
	return sev
}

// NoisyPathTag marks findings whose every location is a noisy path
// (vendored, a dependency cache, generated or a lockfile); reports group
// findings by it.
const NoisyPathTag = "vendored"

// vendoredPathSources are dependency caches and vendored trees that
// gitleaks' default allowlist does not name: a committed Go module cache
// (…/pkg/mod/…@v…/), Python site-packages and virtualenvs, any vendor/ or
// third_party/ tree, and minified or hashed bundles.
var vendoredPathSources = []string{
	`(?:^|/)pkg/mod/(?:[^/]+/)*[^/]+@v[^/]*/`,
	`(?:^|/)(?:site|dist)-packages/`,
	`(?:^|/)\.?venv[\w.-]*/`,
	`(?:^|/)virtualenvs?/`,
	`(?:^|/)vendor/`,
	`(?:^|/)third[_-]party/`,
	`(?i)\.min\.(?:js|mjs|css)(?:\.map)?$`,
	`(?i)(?:^|[/.-])(?:bundle|chunk|vendors?)[.-][0-9a-f]{6,}(?:\.min)?\.js$`,
}

// vendoredPaths compiles vendoredPathSources (once, with the built-in rules).
func vendoredPaths() []*regexp.Regexp {
	out := make([]*regexp.Regexp, 0, len(vendoredPathSources))
	for _, s := range vendoredPathSources {
		out = append(out, regexp.MustCompile(s))
	}
	return out
}

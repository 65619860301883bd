// Command accuracy scores recall and precision of nhiscan, and of gitleaks
// when present, on the synthetic corpus of fixtures/corpus (BENCHMARKS.md §3):
//
//	go run ./bench/accuracy [-gitleaks /tmp/peers/bin/gitleaks] [-keep DIR] [-seed N]
//
// It builds the corpus in a temp dir (or DIR/repo with -keep, which also
// keeps the reports there), builds ./cmd/scan, runs
// `scan git REPO --format json --report nh.json --show-secrets` and
// `gitleaks git REPO --report-format json --report-path gl.json --no-banner`,
// and matches every reported secret against the planted ones: a planted
// positive is found when a reported secret equals it, contains it, or is a
// substantial part of it (at least half of it), or equals its Alias (the
// private_key_id of a GCP service-account key). Reported secrets that match
// no planted positive are false positives. Secrets are printed redacted to
// their first 4 characters. It exits 0 whatever the scores.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"nhiscan/fixtures/corpus"
)

// pathOnlyMark prefixes the path of a path-only finding (no secret).
const pathOnlyMark = "file:"

// reported is one unique secret a tool reported.
type reported struct {
	secret, provider, rule, path string
	// parts are the credential's other parts (nhiscan reports a multi-part
	// credential once): a planted value equal to one is found, but a part
	// that matches nothing planted is no false positive.
	parts    []string
	severity string
	tags     []string
}

type tool struct {
	name  string
	found []reported
	ran   bool
	note  string
}

// score is a tool's result on the corpus.
type score struct {
	hit      []bool // per planted positive
	hitBy    []reported
	tpCat    []string // per reported secret that matched: the category it counts for
	fp       []reported
	fpWhy    []string // the planted negative an FP matched, or ""
	tpRep    int      // reported secrets that matched a positive
	byProvFP map[string]int
}

func main() {
	glPath := flag.String("gitleaks", "/tmp/peers/bin/gitleaks", "gitleaks binary (skipped when absent)")
	keep := flag.String("keep", "", "build the corpus and write the reports in this directory, and keep them")
	seed := flag.Uint64("seed", 1, "corpus seed")
	flag.Parse()

	work := *keep
	if work == "" {
		d, err := os.MkdirTemp("", "nhiscan-accuracy-")
		must(err)
		defer os.RemoveAll(d)
		work = d
	} else {
		must(os.MkdirAll(work, 0o755))
	}
	work, _ = filepath.Abs(work)
	repo := filepath.Join(work, "repo")
	truth, err := corpus.Build(repo, *seed)
	must(err)
	fmt.Printf("corpus: seed %d, %d planted positives, %d planted negatives, in %s\n\n", *seed, len(truth.Positives), len(truth.Negatives), repo)

	tools := []*tool{runNhiscan(work, repo)}
	if _, err := os.Stat(*glPath); err == nil {
		tools = append(tools, runGitleaks(*glPath, work, repo))
	} else {
		fmt.Printf("gitleaks: %s not found, skipped\n\n", *glPath)
	}

	var scores []*score
	for _, t := range tools {
		s := scoreTool(truth, t)
		scores = append(scores, s)
		printTool(truth, t, s)
	}
	printSideBySide(truth, tools, scores)
	printCategories(truth, tools, scores)
	if *keep != "" {
		fmt.Printf("\nkept corpus and reports in %s\n", work)
	}
}

func runNhiscan(work, repo string) *tool {
	t := &tool{name: "nhiscan"}
	bin := filepath.Join(work, "scan")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scan")
	build.Dir = moduleRoot()
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.note = "go build ./cmd/scan failed: " + err.Error()
		return t
	}
	report := filepath.Join(work, "nh.json")
	_ = os.Remove(report)
	cmd := exec.Command(bin, "git", repo, "--format", "json", "--report", report, "--show-secrets")
	out, err := cmd.CombinedOutput()
	var rep struct {
		Findings []struct {
			RuleID    string            `json:"rule_id"`
			Provider  string            `json:"provider"`
			Secret    string            `json:"secret"`
			Severity  string            `json:"severity"`
			Tags      []string          `json:"tags"`
			Parts     map[string]string `json:"parts"`
			Locations []struct {
				Path string `json:"path"`
			} `json:"locations"`
		} `json:"findings"`
	}
	if rerr := readJSON(report, &rep); rerr != nil {
		t.note = fmt.Sprintf("no report (%v; exit %v): %s", rerr, err, firstLine(string(out)))
		return t
	}
	t.ran = true
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if len(f.Locations) > 0 && (f.Secret == "" || f.Secret == f.Locations[0].Path) {
			// A path-only rule (the file is the finding).
			f.Secret = pathOnlyMark + f.Locations[0].Path
		}
		if f.Secret == "" || seen[f.Secret] {
			continue
		}
		seen[f.Secret] = true
		r := reported{secret: f.Secret, provider: f.Provider, rule: f.RuleID, severity: f.Severity, tags: f.Tags}
		for _, v := range f.Parts { // one credential, several planted values (an AWS key id and its secret)
			r.parts = append(r.parts, v)
		}
		if r.provider == "" {
			r.provider = "(" + f.RuleID + ")"
		}
		if len(f.Locations) > 0 {
			r.path = f.Locations[0].Path
		}
		t.found = append(t.found, r)
	}
	return t
}

func runGitleaks(bin, work, repo string) *tool {
	t := &tool{name: "gitleaks"}
	report := filepath.Join(work, "gl.json")
	_ = os.Remove(report)
	cmd := exec.Command(bin, "git", repo, "--report-format", "json", "--report-path", report, "--no-banner")
	out, err := cmd.CombinedOutput()
	var rep []struct {
		RuleID, Secret, File string
	}
	if rerr := readJSON(report, &rep); rerr != nil {
		t.note = fmt.Sprintf("no report (%v; exit %v): %s", rerr, err, firstLine(string(out)))
		return t
	}
	t.ran = true
	seen := map[string]bool{}
	for _, f := range rep {
		if f.Secret == "" || seen[f.Secret] {
			continue
		}
		seen[f.Secret] = true
		t.found = append(t.found, reported{secret: f.Secret, provider: gitleaksProvider(f.RuleID), rule: f.RuleID, path: f.File})
	}
	return t
}

// gitleaksProvider maps a gitleaks rule id to a provider id the way
// rules/meta.go does for the rules nhiscan shares with gitleaks.
func gitleaksProvider(rule string) string {
	switch {
	case strings.HasPrefix(rule, "private-key"), rule == "pkcs12-file":
		return "privatekey"
	case strings.HasPrefix(rule, "hashicorp-tf"):
		return "terraform"
	case strings.HasPrefix(rule, "new-relic"):
		return "newrelic"
	}
	first, _, _ := strings.Cut(rule, "-")
	switch first {
	case "generic", "jwt", "curl", "kubernetes":
		return "(" + rule + ")"
	}
	return first
}

// norm drops whitespace and JSON "\n" escapes, so a PEM block matches its
// JSON-embedded or re-wrapped form.
func norm(s string) string {
	s = strings.ReplaceAll(s, `\n`, "")
	if strings.Contains(s, "%") {
		// A percent-encoded value (a SAS signature in a URL) and its
		// decoded form are the same secret.
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return strings.Join(strings.Fields(s), "")
}

// matches reports whether a reported secret r (normalized) stands for the
// planted value v (normalized): equal, containing it, or being at least
// half of it.
func matches(r, v string) bool {
	if r == "" || v == "" {
		return false
	}
	return strings.Contains(r, v) || (len(r) >= 8 && 2*len(r) >= len(v) && strings.Contains(v, r))
}

func scoreTool(truth *corpus.Truth, t *tool) *score {
	s := &score{hit: make([]bool, len(truth.Positives)), hitBy: make([]reported, len(truth.Positives)), byProvFP: map[string]int{}}
	type planted struct{ secret, literal, alias string }
	pos := make([]planted, len(truth.Positives))
	for i, p := range truth.Positives {
		pos[i] = planted{norm(p.Secret), norm(p.Literal), norm(p.Alias)}
	}
	for _, r := range t.found {
		if strings.HasPrefix(r.secret, pathOnlyMark) {
			// A path-only rule reported a file: it finds the planted
			// positives of that file that are path-only.
			matched := false
			for i, p := range truth.Positives {
				if p.PathOnly && pathOnlyMark+p.Path == r.secret {
					s.hit[i] = true
					matched = true
				}
			}
			if matched {
				s.tpRep++
				s.tpCat = append(s.tpCat, pathCategory(truth, r.path))
			} else {
				s.fp = append(s.fp, r)
				s.fpWhy = append(s.fpWhy, "")
				s.byProvFP[r.provider]++
			}
			continue
		}
		nr := norm(r.secret)
		matched, cat := false, ""
		for i, p := range pos {
			partHit := false
			for _, v := range r.parts {
				if nv := norm(v); len(nv) >= 8 && (nv == p.secret || nv == p.literal || (p.alias != "" && nv == p.alias)) {
					partHit = true
				}
			}
			if partHit || matches(nr, p.secret) || matches(nr, p.literal) || (p.alias != "" && nr == p.alias) {
				if !s.hit[i] {
					s.hitBy[i] = r
				}
				s.hit[i] = true
				if !matched {
					cat = category(truth.Positives[i])
				}
				matched = true
			}
		}
		if matched {
			s.tpRep++
			s.tpCat = append(s.tpCat, cat)
			continue
		}
		why := ""
		for _, n := range truth.Negatives {
			if nn := norm(n.Value); strings.Contains(nr, nn) || (len(nr) >= 4 && strings.Contains(nn, nr)) {
				why = n.Why
				break
			}
		}
		s.fp = append(s.fp, r)
		s.fpWhy = append(s.fpWhy, why)
		s.byProvFP[r.provider]++
	}
	return s
}

func (s *score) recall() (tp, n int) {
	for _, h := range s.hit {
		if h {
			tp++
		}
	}
	return tp, len(s.hit)
}

func pct(a, b int) string {
	if b == 0 {
		return "  n/a"
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(a)/float64(b))
}

// redact keeps the first 4 characters.
func redact(s string) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) > 4 {
		r = r[:4]
	}
	return fmt.Sprintf("%q…(%d)", string(r), len(s))
}

func printTool(truth *corpus.Truth, t *tool, s *score) {
	fmt.Printf("== %s ==\n", t.name)
	if !t.ran {
		fmt.Printf("did not run: %s\n\n", t.note)
		return
	}
	hows, byHow := []string{}, map[string][2]int{}
	for i, p := range truth.Positives {
		c, ok := byHow[p.How]
		if !ok {
			hows = append(hows, p.How)
		}
		c[1]++
		if s.hit[i] {
			c[0]++
		}
		byHow[p.How] = c
	}
	fmt.Printf("%-20s %7s %5s %5s %7s\n", "planted as", "planted", "TP", "FN", "recall")
	for _, h := range hows {
		c := byHow[h]
		fmt.Printf("%-20s %7d %5d %5d %7s\n", h, c[1], c[0], c[1]-c[0], pct(c[0], c[1]))
	}
	tp, n := s.recall()
	fmt.Printf("%-20s %7d %5d %5d %7s\n", "total", n, tp, n-tp, pct(tp, n))
	onNeg := 0
	for _, w := range s.fpWhy {
		if w != "" {
			onNeg++
		}
	}
	fmt.Printf("reported unique secrets %d: %d match a planted positive, %d false positives (%d on planted negatives)\n",
		len(t.found), s.tpRep, len(s.fp), onNeg)
	fmt.Printf("RECALL %s   PRECISION %s\n", strings.TrimSpace(pct(tp, n)), strings.TrimSpace(pct(s.tpRep, len(t.found))))
	if len(s.fp) > 0 {
		fmt.Println("false positives:")
		for i, r := range s.fp {
			why := "not a planted value"
			if s.fpWhy[i] != "" {
				why = "planted negative: " + s.fpWhy[i]
			}
			fmt.Printf("  %-16s %-28s %-22s %-40s %s\n", r.provider, r.rule, redact(r.secret), r.path, why)
		}
	}
	if tp < n {
		fmt.Println("misses:")
		for i, p := range truth.Positives {
			if !s.hit[i] {
				fmt.Printf("  %-13s %-20s %-24s %s\n", p.Provider, p.How, p.Kind, p.Path)
			}
		}
	}
	fmt.Println()
}

func printSideBySide(truth *corpus.Truth, tools []*tool, scores []*score) {
	type cnt struct{ tp, fn, fp int }
	provSet := map[string]bool{}
	per := make([]map[string]*cnt, len(tools))
	for ti := range tools {
		per[ti] = map[string]*cnt{}
	}
	get := func(ti int, p string) *cnt {
		provSet[p] = true
		c := per[ti][p]
		if c == nil {
			c = &cnt{}
			per[ti][p] = c
		}
		return c
	}
	for ti, s := range scores {
		for i, p := range truth.Positives {
			c := get(ti, p.Provider)
			if s.hit[i] {
				c.tp++
			} else {
				c.fn++
			}
		}
		for p, n := range s.byProvFP {
			get(ti, p).fp += n
		}
	}
	provs := make([]string, 0, len(provSet))
	for p := range provSet {
		provs = append(provs, p)
	}
	sort.Strings(provs)
	fmt.Println("== per provider (TP FN FP) ==")
	fmt.Printf("%-34s", "provider")
	for _, t := range tools {
		fmt.Printf(" | %-14s", t.name)
	}
	fmt.Println()
	for _, p := range provs {
		fmt.Printf("%-34s", p)
		for ti, t := range tools {
			if !t.ran {
				fmt.Printf(" | %-14s", "-")
				continue
			}
			c := get(ti, p)
			fmt.Printf(" | %4d %4d %4d", c.tp, c.fn, c.fp)
		}
		fmt.Println()
	}
	fmt.Printf("%-34s", "RECALL / PRECISION")
	for ti, t := range tools {
		if !t.ran {
			fmt.Printf(" | %-14s", "-")
			continue
		}
		tp, n := scores[ti].recall()
		fmt.Printf(" | %s %s", pct(tp, n), pct(scores[ti].tpRep, len(t.found)))
	}
	fmt.Println()
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errors.New("empty report")
	}
	return json.Unmarshal(b, v)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "accuracy:", err)
		os.Exit(2)
	}
}

// category is the group a positive is scored in: its Category, or "core:"
// and how it was planted for the provider-format positives.
func category(p corpus.Positive) string {
	if p.Category != "" {
		return p.Category
	}
	return "core:" + p.How
}

// fpCategory is the category a false positive counts against: the planted
// negative it matched, else the category of what was planted at its path.
func fpCategory(truth *corpus.Truth, r reported, why string) string {
	if why != "" {
		for _, n := range truth.Negatives {
			if n.Why == why && n.Path == r.path && n.Category != "" {
				return n.Category
			}
		}
	}
	return pathCategory(truth, r.path)
}

func pathCategory(truth *corpus.Truth, path string) string {
	for _, n := range truth.Negatives {
		if n.Path == path {
			if n.Category != "" {
				return n.Category
			}
			return "core:negatives"
		}
	}
	for _, p := range truth.Positives {
		if p.Path == path {
			return category(p)
		}
	}
	return "other"
}

// printCategories prints recall and precision per category for every tool,
// and for nhiscan how many vendored positives were reported as vendored
// (tagged, severity lowered).
func printCategories(truth *corpus.Truth, tools []*tool, scores []*score) {
	type cnt struct{ planted, tp, tpRep, fp int }
	var cats []string
	per := make([]map[string]*cnt, len(tools))
	get := func(ti int, c string) *cnt {
		if per[ti] == nil {
			per[ti] = map[string]*cnt{}
		}
		x := per[ti][c]
		if x == nil {
			x = &cnt{}
			per[ti][c] = x
			if ti == 0 {
				cats = append(cats, c)
			}
		}
		return x
	}
	for ti, s := range scores {
		for i, p := range truth.Positives {
			c := get(ti, category(p))
			c.planted++
			if s.hit[i] {
				c.tp++
			}
		}
		for _, n := range truth.Negatives {
			if n.Category != "" {
				get(ti, n.Category)
			}
		}
		for _, c := range s.tpCat {
			get(ti, c).tpRep++
		}
		for i, r := range s.fp {
			get(ti, fpCategory(truth, r, s.fpWhy[i])).fp++
		}
	}
	for ti := range tools {
		for _, c := range cats {
			get(ti, c)
		}
	}
	fmt.Println("\n== per category (recall over planted positives; precision over reported unique secrets) ==")
	fmt.Printf("%-28s %7s", "category", "planted")
	for _, t := range tools {
		fmt.Printf(" | %-8s %6s %6s %3s", t.name, "recall", "prec", "FP")
	}
	fmt.Println()
	for _, c := range cats {
		fmt.Printf("%-28s %7d", c, get(0, c).planted)
		for ti, t := range tools {
			if !t.ran {
				fmt.Printf(" | %-8s %6s %6s %3s", "", "-", "-", "-")
				continue
			}
			x := get(ti, c)
			fmt.Printf(" | %-8s %6s %6s %3d", "", ratio(x.tp, x.planted), ratio(x.tpRep, x.tpRep+x.fp), x.fp)
		}
		fmt.Println()
	}
	fmt.Printf("%-28s %7d", "TOTAL", len(truth.Positives))
	for ti, t := range tools {
		if !t.ran {
			fmt.Printf(" | %-8s %6s %6s %3s", "", "-", "-", "-")
			continue
		}
		tp, n := scores[ti].recall()
		fmt.Printf(" | %-8s %6s %6s %3d", "", ratio(tp, n), ratio(scores[ti].tpRep, len(t.found)), len(scores[ti].fp))
	}
	fmt.Println()
	if len(tools) > 0 && tools[0].ran {
		s := scores[0]
		n, tagged := 0, 0
		for i, p := range truth.Positives {
			if !p.Vendored || !s.hit[i] {
				continue
			}
			n++
			for _, tg := range s.hitBy[i].tags {
				if tg == "vendored" {
					tagged++
					break
				}
			}
		}
		fmt.Printf("%s: %d of %d found vendored positives tagged \"vendored\" (severity one level lower)\n", tools[0].name, tagged, n)
	}
}

func ratio(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

package rules

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/fixtures"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, opts Options) *Ruleset {
	t.Helper()
	rs, err := Load(opts)
	if err != nil {
		t.Fatalf("Load(%+v): %v", opts, err)
	}
	return rs
}

func TestLoadBuiltin(t *testing.T) {
	rs := mustLoad(t, Options{})
	if n := len(rs.Config.Rules); n <= 200 {
		t.Fatalf("built-in rule set has %d rules, want > 200", n)
	}
	if len(rs.Config.OrderedRules) != len(rs.Config.Rules) {
		t.Errorf("%d ordered rules for %d rules", len(rs.Config.OrderedRules), len(rs.Config.Rules))
	}
	for _, id := range []string{"github-pat", "aws-access-token", "slack-bot-token", "private-key", "generic-api-key", "aws-secret-access-key", "dockerhub-pat"} {
		if _, ok := rs.Config.Rules[id]; !ok {
			t.Errorf("rule %s missing", id)
		}
	}
	for _, id := range rs.IDs() {
		m := rs.Meta(id)
		if m.Severity == "" || m.Remediation == "" || len(m.Tags) == 0 {
			t.Errorf("rule %s: incomplete metadata %+v", id, m)
		}
		for k := range keywordsOf(rs, id) {
			if _, ok := rs.Config.Keywords[k]; !ok {
				t.Errorf("rule %s: keyword %q missing from Config.Keywords", id, k)
			}
		}
	}
	if rs.Source == "" {
		t.Error("empty Source")
	}
}

func keywordsOf(rs *Ruleset, id string) map[string]bool {
	out := map[string]bool{}
	for _, k := range rs.Config.Rules[id].Keywords {
		out[strings.ToLower(k)] = true
	}
	return out
}

const customRule = `
[[rules]]
id = "acme-api-key"
description = "ACME key"
regex = '''\b(acme_[a-z0-9]{24})\b'''
secretGroup = 1
keywords = ["acme_"]
`

func TestLoadUserConfig(t *testing.T) {
	base := len(mustLoad(t, Options{}).Config.Rules)
	cases := []struct {
		name    string
		config  string
		enable  []string
		wantN   int // -1: not checked
		has     []string
		hasNot  []string
		checkFn func(t *testing.T, rs *Ruleset)
	}{
		{
			name:   "extend useDefault adds a rule",
			config: "[extend]\nuseDefault = true\n" + customRule,
			wantN:  base + 1, has: []string{"acme-api-key", "github-pat", "dockerhub-pat"},
		},
		{
			name:   "no [extend] replaces the built-in rules",
			config: "title = \"mine\"\n" + customRule,
			wantN:  1, has: []string{"acme-api-key"}, hasNot: []string{"github-pat"},
		},
		{
			name:   "disabledRules removes a rule",
			config: "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\", \"no-such-rule\"]\n",
			wantN:  base - 1, hasNot: []string{"github-pat"}, has: []string{"github-fine-grained-pat"},
		},
		{
			name:   "same id overrides fields and adds keywords",
			config: "[extend]\nuseDefault = true\n[[rules]]\nid = \"github-pat\"\ndescription = \"mine\"\nregex = '''ghp_[0-9a-zA-Z]{36}'''\nkeywords = [\"extra_kw\"]\n",
			wantN:  base, has: []string{"github-pat"},
			checkFn: func(t *testing.T, rs *Ruleset) {
				r := rs.Config.Rules["github-pat"]
				if r.Description != "mine" || r.Regex == nil || !keywordsOf(rs, "github-pat")["extra_kw"] || !keywordsOf(rs, "github-pat")["ghp_"] {
					t.Errorf("override not merged: %+v", r)
				}
				if _, ok := rs.Config.Keywords["extra_kw"]; !ok {
					t.Errorf("new keyword missing from Config.Keywords")
				}
			},
		},
		{
			name:   "extend path to another file",
			config: "[extend]\npath = \"parent.toml\"\n[[rules]]\nid = \"child-rule\"\nregex = '''child_[a-z]{10}'''\nkeywords = [\"child_\"]\n",
			wantN:  2, has: []string{"acme-api-key", "child-rule"},
		},
		{
			name:   "EnableRules keeps only the listed rules",
			config: "", enable: []string{"github-pat", "private-key"},
			wantN: 2, has: []string{"github-pat", "private-key"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{EnableRules: tc.enable}
			if tc.config != "" {
				opts.ConfigPath = writeConfig(t, tc.config)
				if err := os.WriteFile(filepath.Join(filepath.Dir(opts.ConfigPath), "parent.toml"), []byte(customRule), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			rs := mustLoad(t, opts)
			if tc.wantN >= 0 && len(rs.Config.Rules) != tc.wantN {
				t.Errorf("%d rules, want %d", len(rs.Config.Rules), tc.wantN)
			}
			for _, id := range tc.has {
				if _, ok := rs.Config.Rules[id]; !ok {
					t.Errorf("rule %s missing", id)
				}
			}
			for _, id := range tc.hasNot {
				if _, ok := rs.Config.Rules[id]; ok {
					t.Errorf("rule %s present", id)
				}
			}
			if tc.checkFn != nil {
				tc.checkFn(t, rs)
			}
			if len(rs.Config.OrderedRules) != len(rs.Config.Rules) {
				t.Errorf("%d ordered rules for %d rules", len(rs.Config.OrderedRules), len(rs.Config.Rules))
			}
		})
	}
}

func TestLoadBadConfig(t *testing.T) {
	cases := []struct {
		name   string
		config string // "" with missing=true: no file at all
		// every string must appear in the error
		want      []string
		missing   bool
		enable    []string
		otherFile bool // the error names another file than the config
	}{
		{name: "invalid TOML", config: "[[rules]\nid = \"x\"\n", want: []string{"TOML"}},
		{name: "bad regex", config: "[[rules]]\nid = \"bad-regex-rule\"\nregex = \"(\"\n", want: []string{"bad-regex-rule", "regex"}},
		{name: "bad path regex", config: "[[rules]]\nid = \"bad-path-rule\"\npath = \"[z-a]\"\n", want: []string{"bad-path-rule", "path"}},
		{name: "negative secretGroup", config: "[[rules]]\nid = \"neg-group\"\nregex = \"a(b)\"\nsecretGroup = -1\n", want: []string{"neg-group", "secretGroup"}},
		{name: "secretGroup beyond the groups", config: "[[rules]]\nid = \"big-group\"\nregex = \"a(b)\"\nsecretGroup = 3\n", want: []string{"big-group"}},
		{name: "entropy out of range", config: "[[rules]]\nid = \"hot\"\nregex = \"ab\"\nentropy = 9.5\n", want: []string{"hot", "entropy"}},
		{name: "missing id", config: "[[rules]]\nregex = \"abc\"\n", want: []string{"id"}},
		{name: "blank id", config: "[[rules]]\nid = \"  \"\nregex = \"abc\"\n", want: []string{"id"}},
		{name: "duplicate id", config: "[[rules]]\nid = \"twice\"\nregex = \"a\"\n[[rules]]\nid = \"twice\"\nregex = \"b\"\n", want: []string{"twice"}},
		{name: "rule without regex or path", config: "[[rules]]\nid = \"empty-rule\"\ndescription = \"nothing\"\n", want: []string{"empty-rule"}},
		{name: "bad allowlist regex", config: "[[rules]]\nid = \"al-rule\"\nregex = \"abc\"\n[[rules.allowlists]]\nregexes = [\"(\"]\n", want: []string{"al-rule", "regexes"}},
		{name: "bad global allowlist path", config: "[extend]\nuseDefault = true\n[allowlist]\npaths = [\"(\"]\n", want: []string{"allowlist", "paths"}},
		{name: "extend url", config: "[extend]\nurl = \"https://example.com/gitleaks.toml\"\n", want: []string{"url"}},
		{name: "extend both useDefault and path", config: "[extend]\nuseDefault = true\npath = \"x.toml\"\n", want: []string{"useDefault", "path"}},
		{name: "extend path missing", config: "[extend]\npath = \"nope.toml\"\n", want: []string{"nope.toml"}, otherFile: true},
		{name: "extend path to itself", config: "[extend]\npath = \"rules.toml\"\n", want: []string{"extend"}},
		{name: "no rules and no extend", config: "title = \"empty\"\n", want: []string{"[[rules]]"}},
		{name: "wrong type", config: "[[rules]]\nid = 5\nregex = [1, 2]\n", want: []string{"rules.toml"}},
		{name: "missing file", missing: true, want: []string{"does-not-exist.toml"}},
		{name: "unknown enabled rule", enable: []string{"no-such-rule"}, want: []string{"no-such-rule"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{EnableRules: tc.enable}
			switch {
			case tc.missing:
				opts.ConfigPath = filepath.Join(t.TempDir(), "does-not-exist.toml")
			case tc.config != "":
				opts.ConfigPath = writeConfig(t, tc.config)
			}
			rs, err := Load(opts)
			if err == nil {
				t.Fatalf("no error; %d rules", len(rs.Config.Rules))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if opts.ConfigPath != "" && !tc.otherFile && !strings.Contains(err.Error(), filepath.Base(opts.ConfigPath)) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// gitleaks validates rules after [extend] has merged them, so a rule that
// only adds to a built-in one (an allowlist, keywords, a description) is
// valid: it is how gitleaks' docs suggest tuning generic-api-key.
func TestLoadPartialOverrideOfBuiltinRule(t *testing.T) {
	cases := []struct{ name, rule string }{
		{"allowlist only", "[[rules]]\nid = \"generic-api-key\"\n[[rules.allowlists]]\nregexes = ['''^dummy''']\n"},
		{"description and keywords", "[[rules]]\nid = \"github-pat\"\ndescription = \"mine\"\nkeywords = [\"extra_kw\"]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustLoad(t, Options{ConfigPath: writeConfig(t, "[extend]\nuseDefault = true\n"+tc.rule)})
			for id, r := range rs.Config.Rules {
				if r.Regex == nil && r.Path == nil {
					t.Errorf("rule %s lost its regex", id)
				}
			}
		})
	}
}

func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		"", customRule, "[extend]\nuseDefault = true\n" + customRule,
		"[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\"]\n",
		"[[rules]]\nid = \"x\"\nregex = \"(\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"a(b)\"\nsecretGroup = 7\n",
		"[[rules]]\nid = \"x\"\npath = \"a\"\n[[rules.allowlists]]\nregexTarget = \"line\"\nregexes = [\"b\"]\ncondition = \"AND\"\n",
		"[allowlist]\nstopwords = [\"x\"]\n[[rules]]\nid = \"y\"\nregex = \"z\"\nkeywords = []\n",
		"[extend]\npath = \"rules.toml\"\n",
		"[[rules]]\nid = \"x\"\nregex = \"abc\"\n[[rules.allowlists]]\ncommits = [\"abc\"]\n",
		"[[rules]]\nid = \"x\"\nregex = \"abc\"\n[[rules.required]]\nid = \"y\"\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		p := filepath.Join(dir, "rules.toml")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := Load(Options{ConfigPath: p})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if rs == nil || len(rs.Config.Rules) == 0 {
			t.Fatalf("no error and no rules")
		}
	})
}

// Every rule of the NHI pack has a true positive generated at run time and
// false positives, each checked against a detector holding only that rule.
func TestNHIRules(t *testing.T) {
	g := fixtures.NewGen(31)
	_, awsSecret := g.AWSKeyPair()
	dockerPAT := g.DockerHubPAT()
	pgURL := g.PostgresURL()
	pgPass := strings.TrimSuffix(strings.TrimPrefix(pgURL, "postgres://user:"), "@db.internal.example:5432/app")
	hook := g.DiscordWebhook()
	hookToken := hook[strings.LastIndex(hook, "/")+1:]
	gcp := g.GCPServiceAccountJSON()
	gcpKeyID := regexp.MustCompile(`"private_key_id": "([a-f0-9]{40})"`).FindStringSubmatch(gcp)
	if gcpKeyID == nil {
		t.Fatal("generated service-account JSON has no private_key_id")
	}
	cases := []nhiCase{
		{
			id: "aws-secret-access-key",
			tps: []tp{
				{"aws_secret_access_key = " + awsSecret + "\n", awsSecret},
				{`AWS_SECRET_ACCESS_KEY="` + awsSecret + `"` + "\n", awsSecret},
				{"  awsSecretKey: '" + awsSecret + "'\n", awsSecret},
			},
			fps: []string{
				"aws_secret_access_key = " + strings.Repeat("a", 40) + "\n",   // no entropy
				"aws_secret_access_key = " + awsSecret[:39] + "\n",            // too short
				"aws_secret_access_key = " + awsSecret + "XYZ\n",              // too long
				"some_secret_value = " + awsSecret + "\n",                     // not an AWS name
				"aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n",          // a reference
				"aws_region = eu-west-1 # " + strings.Repeat("ab", 20) + "\n", // no key name
			},
		},
		{
			id:  "gcp-service-account-key",
			tps: []tp{{gcp, gcpKeyID[1]}},
			fps: []string{
				`"private_key_id": "` + strings.ToUpper(gcpKeyID[1]) + `"` + "\n",
				`"private_key_id": "` + gcpKeyID[1][:39] + `"` + "\n",
				`"key_id": "` + gcpKeyID[1] + `"` + "\n",
			},
		},
		{
			id:  "dockerhub-pat",
			tps: []tp{{"DOCKER_TOKEN=" + dockerPAT + "\n", dockerPAT}, {"docker login -p " + dockerPAT + " -u ci\n", dockerPAT}},
			fps: []string{
				"dckr_pat_short\n",
				"DOCKER_TOKEN=" + dockerPAT + strings.Repeat("x", 10) + "\n", // body too long
				"dckr_xxx_" + dockerPAT[9:] + "\n",
			},
		},
		{
			id: "discord-webhook-url",
			tps: []tp{
				{"WEBHOOK=" + hook + "\n", hook},
				{`{"url": "` + strings.Replace(hook, "discord.com", "discordapp.com", 1) + `"}` + "\n", strings.Replace(hook, "discord.com", "discordapp.com", 1)},
			},
			fps: []string{
				"https://discord.com/api/webhooks/123/" + hookToken + "\n",                // id too short
				"https://discord.com/api/webhooks/123456789012345678/short-token\n",       // token too short
				"https://example.com/api/webhooks/123456789012345678/" + hookToken + "\n", // not discord
			},
		},
		{
			id:  "database-url-password",
			tps: []tp{{"DATABASE_URL=" + pgURL + "\n", pgPass}, {"url: mysql://app:" + pgPass + "@mysql.internal:3306/db\n", pgPass}},
			fps: []string{
				"DATABASE_URL=postgres://user:password@db.example/app\n",
				"DATABASE_URL=postgres://user:changeme@localhost/app\n",
				"DATABASE_URL=postgres://user:${DB_PASSWORD}@db.example/app\n",
				"DATABASE_URL=postgres://user@db.example/app\n",
				"see https://user:" + pgPass + "@example.com\n",
			},
		},
	}
	cases = append(cases, moreNHICases(t, fixtures.NewGen(32))...)
	cases = append(cases, realWorldCases(t, fixtures.NewGen(34))...)
	// Every rule of nhi.toml must have a case.
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.id] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^id = "([^"]+)"`).FindAllStringSubmatch(nhiRules, -1) {
		if !covered[m[1]] {
			t.Errorf("rule %s of nhi.toml has no table test", m[1])
		}
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			rs := mustLoad(t, Options{EnableRules: []string{tc.id}})
			if len(rs.Config.Rules) != 1 {
				t.Fatalf("%d rules, want 1", len(rs.Config.Rules))
			}
			d := detect.NewDetector(rs.Config)
			for i, p := range tc.tps {
				fs := d.DetectContext(context.Background(), detect.Fragment{Raw: p.text, FilePath: tc.path})
				if len(fs) != 1 || fs[0].RuleID != tc.id || fs[0].Secret != p.secret {
					var got []string
					for _, f := range fs {
						got = append(got, f.RuleID+":"+redact(f.Secret))
					}
					t.Errorf("true positive %d: got %v, want one %s finding of %s", i, got, tc.id, redact(p.secret))
				}
			}
			for i, fp := range tc.fps {
				if fs := d.DetectContext(context.Background(), detect.Fragment{Raw: fp, FilePath: tc.path}); len(fs) != 0 {
					t.Errorf("false positive %d %q: reported %s", i, fp, redact(fs[0].Secret))
				}
			}
		})
	}
}

func redact(s string) string {
	if len(s) > 8 {
		return s[:4] + "…"
	}
	return "…"
}

func TestIsBuiltinRegex(t *testing.T) {
	rs := mustLoad(t, Options{})
	cases := []struct {
		id, regex string
		want      bool
	}{
		{"generic-api-key", rs.Config.Rules["generic-api-key"].Regex.String(), true},
		{"github-pat", rs.Config.Rules["github-pat"].Regex.String(), true},
		{"github-pat", "ghp_[0-9a-zA-Z]{36}x", false},
		{"no-such-rule", "abc", false},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if got := IsBuiltinRegex(tc.id, tc.regex); got != tc.want {
				t.Errorf("IsBuiltinRegex = %v, want %v", got, tc.want)
			}
		})
	}
}

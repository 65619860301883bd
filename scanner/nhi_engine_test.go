package scanner

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/rules"
)

// hitsOf scans data as one file at path and returns rule -> secret -> line.
func hitsOf(t *testing.T, e *Engine, path, data string) map[string]map[string]int {
	t.Helper()
	tx := splitLines([]byte(data), nil)
	out := map[string]map[string]int{}
	for _, h := range dedupHits(e.scanLines(testCtx(t), tx, 0, tx.lines()-1, path, nil)) {
		if out[h.RuleID] == nil {
			out[h.RuleID] = map[string]int{}
		}
		out[h.RuleID][h.Secret] = h.StartLine
	}
	return out
}

// Kubernetes env lists and ECS task definitions put the variable's name on
// another line, or in a "name" field: rules that need the name still match,
// and the finding is on the value's line.
func TestEngineEnvPairs(t *testing.T) {
	e := testEngine(t)
	g := fixtures.NewGen(91)
	_, secret := g.AWSKeyPair()
	dd := g.DatadogAPIKey()
	mg := g.MailgunKey()
	cases := []struct {
		name, path, data, rule, secret string
		line                           int
	}{
		{"yaml pair", "deploy.yaml", "env:\n  - name: AWS_SECRET_ACCESS_KEY\n    value: \"" + secret + "\"\n", "aws-secret-access-key", secret, 3},
		{"yaml pair unquoted", "deploy.yaml", "env:\n- name: DD_API_KEY\n  value: " + dd + "\n", "datadog-api-key", dd, 3},
		{"json one line", "task.json", `{"environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "` + secret + `"}]}` + "\n", "aws-secret-access-key", secret, 1},
		{"json two lines", "task.json", "[\n  {\n    \"name\": \"MAILGUN_API_KEY\",\n    \"value\": \"" + mg + "\"\n  }\n]\n", "mailgun-private-api-token", mg, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := hitsOf(t, e, tc.path, tc.data)
			if l, ok := got[tc.rule][tc.secret]; !ok || l != tc.line {
				t.Errorf("%s: line %d found=%v, want line %d (all %v)", tc.rule, l, ok, tc.line, keys(got))
			}
		})
	}
	// A name that names nothing secret adds nothing.
	if got := hitsOf(t, e, "deploy.yaml", "env:\n  - name: LOG_LEVEL\n    value: \"debug\"\n"); len(got) != 0 {
		t.Errorf("LOG_LEVEL pair reported %v", keys(got))
	}
}

func keys(m map[string]map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A PuTTY key spans a dozen lines; its window reaches the Private-MAC line.
func TestEnginePuTTYKey(t *testing.T) {
	e := testEngine(t)
	ppk := fixtures.NewGen(92).PuTTYPrivateKey()
	got := hitsOf(t, e, "deploy.ppk", "# key\n"+ppk)
	if len(got["putty-private-key"]) != 1 {
		t.Fatalf("putty-private-key: %v", keys(got))
	}
}

// Weak rules yield to a specific rule on the same secret: a token in an
// .npmrc is reported once, as npm-access-token.
func TestEngineWeakRulesYield(t *testing.T) {
	e := testEngine(t)
	npm := fixtures.NewGen(93).NPMToken()
	got := hitsOf(t, e, ".npmrc", "//registry.npmjs.org/:_authToken="+npm+"\n")
	if _, ok := got["npm-access-token"][npm]; !ok || len(got["npmrc-auth"]) != 0 {
		t.Errorf("got %v, want only npm-access-token", keys(got))
	}
}

// gitleaks skips vendored and lock files entirely; nhiscan reports a
// credential there one severity lower, and drops only the generic rule.
func TestDirVendoredPaths(t *testing.T) {
	g := fixtures.NewGen(94)
	dir := t.TempDir()
	tok := g.GitHubToken("ghp_")
	files := map[string]string{
		"vendor/github.com/acme/sdk/config.go": "package sdk\nconst token = \"" + tok + "\"\n",
		"node_modules/pkg/config.js":           "module.exports = {api_key: \"Zq8xV2mN4pL7rT1wK9sD3fG6hJ\"}\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Scanner{Engine: NewEngine(rs, 5)}
	res, err := s.ScanDir(testCtx(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		var ids []string
		for _, f := range res.Findings {
			ids = append(ids, f.RuleID+" "+f.Locations[0].Path)
		}
		t.Fatalf("findings %v, want the vendored GitHub token only", ids)
	}
	f := res.Findings[0]
	want := rules.LowerSeverity(rs.Meta("github-pat").Severity)
	if f.RuleID != "github-pat" || f.Severity != want || !strings.Contains(strings.Join(f.Tags, ","), rules.NoisyPathTag) {
		t.Errorf("vendored finding %s severity %s tags %v, want severity %s and the %s tag", f.RuleID, f.Severity, f.Tags, want, rules.NoisyPathTag)
	}
}

// gitleaks' decoder skips base64 runs without a digit or + / - _; the
// engine decodes them: an AWS key id in a Kubernetes Secret is found.
func TestEngineLettersOnlyBase64(t *testing.T) {
	e := testEngine(t)
	var id, enc string
	g := fixtures.NewGen(95)
	for i := 0; i < 10000 && enc == ""; i++ {
		k, _, _ := g.AWSSessionCredentials()
		if b := base64.StdEncoding.EncodeToString([]byte(k)); !strings.ContainsAny(b, "0123456789+/-_") {
			id, enc = k, b
		}
	}
	if enc == "" {
		t.Skip("no letters-only encoding generated")
	}
	got := hitsOf(t, e, "secret.yaml", "kind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: "+enc+"\n")
	if l, ok := got["aws-access-token"][id]; !ok || l != 3 {
		t.Errorf("aws-access-token: line %d found=%v (all %v)", l, ok, keys(got))
	}
}

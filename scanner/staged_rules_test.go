package scanner

import (
	"encoding/base64"
	"net/url"
	"sort"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/rules"
)

// scan staged builds only the rules with a keyword in the staged text or
// in what decoding reveals: it finds what the full rule set finds, plain,
// base64-encoded (a Kubernetes Secret), percent-encoded, or not at all.
func TestStagedRuleSubsetFindsTheSame(t *testing.T) {
	g := fixtures.NewGen(11)
	id, secret := g.AWSKeyPair()
	tok := g.GitHubToken("ghp_")
	files := map[string]string{
		"app.env":     "GITHUB_TOKEN=" + tok + "\n",
		"secret.yaml": "apiVersion: v1\nkind: Secret\ndata:\n  creds: " + base64.StdEncoding.EncodeToString([]byte("aws_access_key_id="+id+"\naws_secret_access_key="+secret+"\n")) + "\n",
		"url.txt":     "https://example.com/?t=" + url.QueryEscape("slack_token="+g.SlackBotToken()) + "\n",
		"clean.go":    "package p\n\nfunc F() int { return 1 }\n",
	}
	r := fixtures.NewRepo(t)
	for p, c := range files {
		r.Stage(p, c)
	}
	d, err := ReadStaged(testCtx(t), r.Dir())
	if err != nil {
		t.Fatal(err)
	}
	sub, err := rules.Load(rules.Options{ForText: d.RuleText(5)})
	if err != nil {
		t.Fatal(err)
	}
	full := testEngine(t)
	if n, m := len(sub.Config.Rules), len(full.Rules().Config.Rules); n >= m {
		t.Errorf("%d of %d rules built: the subset should be smaller", n, m)
	}
	found := func(e *Engine) []string {
		res, err := (&Scanner{Engine: e}).ScanStagedDiff(testCtx(t), d)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range res.Findings {
			out = append(out, f.RuleID+" "+f.Secret)
		}
		sort.Strings(out)
		return out
	}
	want, got := found(full), found(NewEngine(sub, 5))
	if len(want) < 3 {
		t.Fatalf("the full rule set found only %v", want)
	}
	if len(got) != len(want) {
		t.Fatalf("subset found %d, full rules %d:\n%v\n%v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("subset found %q, full rules %q", got[i], want[i])
		}
	}
}

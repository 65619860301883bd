package scanner

import (
	"context"
	"fmt"
	"testing"

	"nhiscan/fixtures"
	"nhiscan/rules"
)

func TestExplore(t *testing.T) {
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Scanner{Engine: NewEngine(rs, 5), Workers: 2}
	g := fixtures.NewGen(1)
	r := fixtures.NewRepo(t)
	tok := g.GitHubToken("ghp_")
	id, _ := g.AWSKeyPair()
	r.CommitFiles("a", map[string]string{"a.txt": "hello\nGITHUB_TOKEN=" + tok + "\n", "b.txt": "aws = " + id + "\nslack: " + g.SlackBotToken() + "\n", "k.pem": g.RSAPrivateKeyPEM()})
	for i := 0; i < 3; i++ {
		r.WriteFile("a.txt", fmt.Sprintf("hello %d\nGITHUB_TOKEN=%s\n", i, tok))
		r.Commit("edit")
	}
	res, err := s.ScanHistory(context.Background(), r.Dir(), HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		fmt.Printf("%s %s %v %+v\n", f.RuleID, f.Redacted, f.InHead, f.Locations)
	}
	fmt.Printf("%+v\n", res.Stats)
}

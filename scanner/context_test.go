package scanner

import (
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

// A finding carries the text around its first sighting, so a verifier can
// find a companion value (here the AWS key id beside its secret), in every
// scan mode.
func TestFindingContext(t *testing.T) {
	g := fixtures.NewGen(7)
	id, secret := g.AWSKeyPair()
	body := "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\nregion = eu-west-1\n"
	r := fixtures.NewRepo(t)
	r.CommitFiles("add", map[string]string{"creds": body})
	s := newTestScanner(t)
	check := func(t *testing.T, res *finding.Result) {
		t.Helper()
		seen := 0
		for _, f := range res.Findings {
			if f.Secret != secret && f.Secret != id {
				continue
			}
			seen++
			if !strings.Contains(f.Context, id) || !strings.Contains(f.Context, secret) {
				t.Errorf("%s: context lacks the pair: %q", f.RuleID, f.Context)
			}
		}
		if seen != 2 {
			t.Fatalf("found %d of the 2 AWS values", seen)
		}
	}
	t.Run("history", func(t *testing.T) { check(t, mustScanHistory(t, s, r.Dir(), HistoryOptions{})) })
	t.Run("dir", func(t *testing.T) {
		res, err := s.ScanDir(testCtx(t), r.Dir())
		if err != nil {
			t.Fatal(err)
		}
		check(t, res)
	})
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/internal/store"
)

// opener opens a fresh, empty store for one test; the test's cleanup closes
// and removes it.
type opener func(t *testing.T) store.Store

var t0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func sampleFinding(secret, rule, provider string, inHead bool, locs ...finding.Location) finding.Finding {
	return finding.Finding{
		Fingerprint: finding.Fingerprint(rule, secret),
		RuleID:      rule,
		Provider:    provider,
		Severity:    "high",
		Secret:      secret,
		Redacted:    finding.Redact(secret),
		Locations:   locs,
		InHead:      inHead,
	}
}

func loc(commit, path string, line int) finding.Location {
	return finding.Location{Commit: commit, Path: path, Line: line, Column: 3, Author: "A", Email: "a@example.test", Date: t0}
}

// runConformance is the contract of store.Store, run against every backend.
func runConformance(t *testing.T, open opener) {
	ctx := context.Background()
	gen := fixtures.NewGen(7)

	t.Run("runs begin, resume and finish", func(t *testing.T) {
		s := open(t)
		r1, err := s.BeginRun(ctx, "org:a", t0)
		if err != nil {
			t.Fatal(err)
		}
		if r1.ID == 0 || r1.Resumed || r1.PrevFinished != 0 {
			t.Fatalf("first run = %+v", r1)
		}
		again, err := s.BeginRun(ctx, "org:a", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != r1.ID || !again.Resumed {
			t.Fatalf("unfinished run not resumed: %+v", again)
		}
		other, err := s.BeginRun(ctx, "org:b", t0)
		if err != nil {
			t.Fatal(err)
		}
		if other.ID == r1.ID || other.Resumed {
			t.Fatalf("other scope shares a run: %+v", other)
		}
		if err := s.FinishRun(ctx, r1.ID, store.RunCounts{ReposTotal: 3, NewSecrets: 2}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		r2, err := s.BeginRun(ctx, "org:a", t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if r2.ID == r1.ID || r2.Resumed || r2.PrevFinished != r1.ID {
			t.Fatalf("second run = %+v, want new with PrevFinished %d", r2, r1.ID)
		}
		runs, err := s.Runs(ctx, "org:a", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].ID != r2.ID || runs[1].Counts.ReposTotal != 3 || !runs[1].FinishedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("runs = %+v", runs)
		}
		if err := s.FinishRun(ctx, 99999, store.RunCounts{}, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("finish unknown run: %v", err)
		}
	})

	t.Run("commit repo scan: new, reappeared, idempotent", func(t *testing.T) {
		s := open(t)
		run, _ := s.BeginRun(ctx, "org:a", t0)
		tok, key := gen.GitHubToken("ghp_"), gen.StripeSecretKey()
		a := sampleFinding(tok, "github-pat", "github", true, loc("c1", "a.env", 1))
		b := sampleFinding(key, "stripe-access-token", "stripe", false, loc("c1", "b.env", 2), loc("c2", "b.env", 2))
		rs := store.RepoScan{RunID: run.ID, Repo: store.Repo{URL: "https://git.example/o/r1.git", Name: "o/r1", DefaultBranch: "main",
			Tips: map[string]string{"refs/heads/main": "c2"}}, Findings: []finding.Finding{a, b}, At: t0}
		d, err := s.CommitRepoScan(ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(d.New)
		want := []string{a.Fingerprint, b.Fingerprint}
		sort.Strings(want)
		if fmt.Sprint(d.New) != fmt.Sprint(want) || len(d.Reappeared) != 0 || d.Locations != 3 {
			t.Fatalf("delta = %+v", d)
		}
		d, err = s.CommitRepoScan(ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.New)+len(d.Reappeared)+d.Locations != 0 {
			t.Fatalf("second commit of the same scan changed something: %+v", d)
		}
		rp, err := s.Repo(ctx, rs.Repo.URL)
		if err != nil {
			t.Fatal(err)
		}
		if rp.Tips["refs/heads/main"] != "c2" || rp.State != store.RepoOK || rp.DefaultBranch != "main" || !rp.ScannedAt.Equal(t0) {
			t.Fatalf("repo = %+v", rp)
		}
		sec, err := s.Secret(ctx, a.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if sec.Status != store.StatusUnverified || sec.SecretHash != store.SecretHash(tok) || sec.Redacted != a.Redacted ||
			!sec.InHead || sec.FirstRun != run.ID || !sec.FirstSeen.Equal(t0) || fmt.Sprint(sec.Repos) != "[https://git.example/o/r1.git]" {
			t.Fatalf("secret = %+v", sec)
		}
		if sec.SecretHash == tok || sec.Redacted == tok {
			t.Fatal("the store kept the raw secret")
		}
		// Next run: b again at a new place in another repo, a unchanged.
		s.FinishRun(ctx, run.ID, store.RunCounts{}, t0.Add(time.Hour))
		run2, _ := s.BeginRun(ctx, "org:a", t0.Add(24*time.Hour))
		d, err = s.CommitRepoScan(ctx, store.RepoScan{RunID: run2.ID, Repo: store.Repo{URL: "https://git.example/o/r2.git"},
			Findings: []finding.Finding{b, a}, At: t0.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.New) != 0 || len(d.Reappeared) != 2 {
			t.Fatalf("delta in a second repo = %+v", d)
		}
		sec, _ = s.Secret(ctx, b.Fingerprint)
		if !sec.FirstSeen.Equal(t0) || !sec.LastSeen.Equal(t0.Add(24*time.Hour)) || len(sec.Repos) != 2 {
			t.Fatalf("after reappearance: %+v", sec)
		}
		locs, err := s.Locations(ctx, b.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if len(locs) != 4 || locs[0].Commit != "c1" || locs[0].Line != 2 || locs[0].Column != 3 || locs[0].Author != "A" || !locs[0].Date.Equal(t0) {
			t.Fatalf("locations = %+v", locs)
		}
		inR2, err := s.RepoLocations(ctx, "https://git.example/o/r2.git")
		if err != nil || len(inR2) != 3 || inR2[0].Repo != "https://git.example/o/r2.git" {
			t.Fatalf("locations in r2 = %+v, %v", inR2, err)
		}
		all, err := s.RepoLocations(ctx)
		if err != nil || len(all) != 6 || all[0].Fingerprint > all[5].Fingerprint {
			t.Fatalf("all locations = %+v, %v", all, err)
		}
		changes, err := s.Changes(ctx, "org:a", run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 2 || changes[0].Reason != store.ChangeReappeared {
			t.Fatalf("changes since run 1 = %+v", changes)
		}
		changes, _ = s.Changes(ctx, "org:a", 0)
		if len(changes) != 2 || changes[0].Reason != store.ChangeNew || changes[1].Reason != store.ChangeNew {
			t.Fatalf("changes since ever = %+v", changes)
		}
		if _, err := s.Secret(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown secret: %v", err)
		}
		if _, err := s.Repo(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown repo: %v", err)
		}
		list, err := s.Secrets(ctx, store.SecretFilter{Repo: "https://git.example/o/r1.git", Provider: "stripe"})
		if err != nil || len(list) != 1 || list[0].Fingerprint != b.Fingerprint || len(list[0].Repos) != 2 {
			t.Fatalf("filtered secrets = %+v, %v", list, err)
		}
	})

	t.Run("mark repo keeps tips", func(t *testing.T) {
		s := open(t)
		u := "https://git.example/o/gone.git"
		if _, err := s.CommitRepoScan(ctx, store.RepoScan{Repo: store.Repo{URL: u, Tips: map[string]string{"refs/heads/main": "abc"}}, At: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRepo(ctx, u, store.RepoDeleted, "404 upstream", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRepo(ctx, "https://git.example/o/new.git", store.RepoError, "clone: 500", t0); err != nil {
			t.Fatal(err)
		}
		repos, err := s.Repos(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(repos) != 2 || repos[0].State != store.RepoDeleted || repos[0].Tips["refs/heads/main"] != "abc" ||
			repos[1].State != store.RepoError || repos[1].Error != "clone: 500" {
			t.Fatalf("repos = %+v", repos)
		}
	})

	t.Run("verification history, live again, time to dead", func(t *testing.T) {
		s := open(t)
		run, _ := s.BeginRun(ctx, "org:a", t0)
		f := sampleFinding(gen.SlackBotToken(), "slack-bot-token", "slack", true, loc("c1", "x", 1))
		g := sampleFinding(gen.OpenAIKey(), "openai-api-key", "openai", true, loc("c1", "y", 1))
		if _, err := s.CommitRepoScan(ctx, store.RepoScan{RunID: run.ID, Repo: store.Repo{URL: "u1"}, Findings: []finding.Finding{f, g}, At: t0}); err != nil {
			t.Fatal(err)
		}
		live := finding.Verification{Status: finding.StatusLive, CheckedAt: t0.Add(time.Hour), Identity: map[string]string{"team": "T1"},
			Privileges: finding.Privileges{Level: "admin", Scopes: []string{"chat:write"}}, Endpoint: "POST https://slack.com/api/auth.test"}
		prev, err := s.RecordVerification(ctx, run.ID, f.Fingerprint, live)
		if err != nil || prev != store.StatusUnverified {
			t.Fatalf("first verification: prev %q, %v", prev, err)
		}
		sec, _ := s.Secret(ctx, f.Fingerprint)
		if sec.Status != store.StatusLive || sec.Identity["team"] != "T1" || sec.Privilege.Level != "admin" || !sec.VerifiedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after live: %+v", sec)
		}
		if err := s.FinishRun(ctx, run.ID, store.RunCounts{}, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		run2, _ := s.BeginRun(ctx, "org:a", t0.Add(24*time.Hour))
		dead := finding.Verification{Status: finding.StatusDead, CheckedAt: t0.Add(48 * time.Hour)}
		if prev, err = s.RecordVerification(ctx, run2.ID, f.Fingerprint, dead); err != nil || prev != store.StatusLive {
			t.Fatalf("dead: prev %q, %v", prev, err)
		}
		if _, err = s.RecordVerification(ctx, run2.ID, g.Fingerprint, finding.Verification{Status: finding.StatusUnknown, Reason: "429"}); err != nil {
			t.Fatal(err)
		}
		sum, err := s.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Secrets != 2 || sum.ByStatus["dead"] != 1 || sum.ByStatus["unknown"] != 1 || sum.DeadSecrets != 1 || sum.MeanTimeToDead != 48*time.Hour {
			t.Fatalf("summary = %+v", sum)
		}
		if err := s.FinishRun(ctx, run2.ID, store.RunCounts{}, t0.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
		run3, _ := s.BeginRun(ctx, "org:a", t0.Add(72*time.Hour))
		if _, err = s.RecordVerification(ctx, run3.ID, f.Fingerprint, finding.Verification{Status: finding.StatusUnknown, CheckedAt: t0.Add(72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err = s.RecordVerification(ctx, run3.ID, f.Fingerprint, live); err != nil {
			t.Fatal(err)
		}
		hist, err := s.Verifications(ctx, f.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, h := range hist {
			statuses = append(statuses, h.PrevStatus+">"+h.Status)
		}
		if fmt.Sprint(statuses) != "[unverified>live live>dead dead>unknown unknown>live]" || hist[0].Endpoint == "" || hist[0].Privilege.Scopes[0] != "chat:write" {
			t.Fatalf("history = %v", statuses)
		}
		changes, err := s.Changes(ctx, "org:a", run2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Fingerprint != f.Fingerprint || changes[0].Reason != store.ChangeLiveAgain || changes[0].RunID != run3.ID {
			t.Fatalf("changes = %+v", changes)
		}
		if err := s.FinishRun(ctx, run3.ID, store.RunCounts{NewSecrets: 0, Findings: 2}, t0.Add(73*time.Hour)); err != nil {
			t.Fatal(err)
		}
		trend, err := s.Trend(ctx, "org:a", 0)
		if err != nil {
			t.Fatal(err)
		}
		var lives []int
		for _, p := range trend {
			lives = append(lives, p.OpenLive)
		}
		if fmt.Sprint(lives) != "[1 0 1]" || !trend[0].Day.Equal(t0.Truncate(24*time.Hour)) || trend[2].Findings != 2 {
			t.Fatalf("trend = %+v", trend)
		}
		if trend, _ = s.Trend(ctx, "", 1); len(trend) != 1 || trend[0].RunID != run3.ID {
			t.Fatalf("trend limit 1 = %+v", trend)
		}
		sum, _ = s.Summary(ctx)
		if len(sum.LiveByProvider) != 1 || sum.LiveByProvider[0] != (store.Count{Key: "slack", N: 1}) || sum.LiveByRepo[0].Key != "u1" || sum.DeadSecrets != 0 {
			t.Fatalf("summary after live again = %+v", sum)
		}
		if _, err := s.RecordVerification(ctx, 0, "nope", live); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("verify unknown: %v", err)
		}
	})

	t.Run("verified findings recorded with the scan", func(t *testing.T) {
		s := open(t)
		run, _ := s.BeginRun(ctx, "org:a", t0)
		f := sampleFinding(gen.HuggingFaceToken(), "huggingface-access-token", "huggingface", true, loc("c1", "x", 1))
		f.Verification = &finding.Verification{Status: finding.StatusLive, CheckedAt: t0, Identity: map[string]string{"user": "bot"}}
		rs := store.RepoScan{RunID: run.ID, Repo: store.Repo{URL: "u"}, Findings: []finding.Finding{f}, At: t0}
		for i := 0; i < 2; i++ {
			if _, err := s.CommitRepoScan(ctx, rs); err != nil {
				t.Fatal(err)
			}
		}
		sec, _ := s.Secret(ctx, f.Fingerprint)
		hist, _ := s.Verifications(ctx, f.Fingerprint)
		if sec.Status != store.StatusLive || sec.Identity["user"] != "bot" || len(hist) != 1 || hist[0].RunID != run.ID {
			t.Fatalf("secret %+v, history %+v", sec, hist)
		}
	})

	t.Run("actions and tickets", func(t *testing.T) {
		s := open(t)
		id, err := s.RecordAction(ctx, store.Action{Fingerprint: "fp1", Kind: "revoke", Target: "key 1", PlannedAt: t0})
		if err != nil || id == 0 {
			t.Fatalf("record: %d, %v", id, err)
		}
		if _, err := s.RecordAction(ctx, store.Action{ID: id, AppliedAt: t0.Add(time.Minute), Outcome: "ok", Evidence: "204"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAction(ctx, store.Action{ID: id + 1000, Outcome: "ok"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update unknown action: %v", err)
		}
		id2, _ := s.RecordAction(ctx, store.Action{Fingerprint: "fp1", Kind: "ticket", PlannedAt: t0})
		acts, err := s.Actions(ctx, "fp1")
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 2 || acts[0].ID != id || acts[0].Outcome != "ok" || !acts[0].AppliedAt.Equal(t0.Add(time.Minute)) || acts[1].ID != id2 || !acts[1].AppliedAt.IsZero() {
			t.Fatalf("actions = %+v", acts)
		}
		if _, err := s.Ticket(ctx, "fp1", "jira"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing ticket: %v", err)
		}
		for _, state := range []string{"open", "closed"} {
			if err := s.PutTicket(ctx, store.Ticket{Fingerprint: "fp1", System: "jira", Key: "SEC-1", URL: "https://jira.example/SEC-1", State: state, UpdatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		tk, err := s.Ticket(ctx, "fp1", "jira")
		if err != nil || tk.State != "closed" || tk.Key != "SEC-1" || !tk.UpdatedAt.Equal(t0) {
			t.Fatalf("ticket = %+v, %v", tk, err)
		}
	})

	t.Run("older fingerprints adopted", func(t *testing.T) {
		// A store written by an earlier version holds a credential under
		// its per-rule fingerprints; the credential fingerprint takes over
		// its history, actions and ticket, and it is not new.
		s := open(t)
		run, _ := s.BeginRun(ctx, "org:alias", t0)
		tok := gen.GitHubToken("ghp_")
		old := sampleFinding(tok, "github-pat", "github", true, loc("c1", "a.env", 1))
		repo := store.Repo{URL: "https://git.example/o/alias.git", Name: "o/alias", DefaultBranch: "main"}
		if _, err := s.CommitRepoScan(ctx, store.RepoScan{RunID: run.ID, Repo: repo, Findings: []finding.Finding{old}, At: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAction(ctx, store.Action{Fingerprint: old.Fingerprint, Kind: "ticket", PlannedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutTicket(ctx, store.Ticket{Fingerprint: old.Fingerprint, System: "github", Key: "#7", State: "open", UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		cur := old
		cur.Fingerprint = finding.NewFingerprinter([]byte("store-test-key!!")).Of(tok)
		cur.Aliases = []string{old.Fingerprint, finding.Fingerprint("generic-api-key", tok)}
		cur.Locations = append(cur.Locations, loc("c2", "b.env", 4))
		run2, _ := s.BeginRun(ctx, "org:alias", t0.Add(time.Hour))
		d, err := s.CommitRepoScan(ctx, store.RepoScan{RunID: run2.ID, Repo: repo, Findings: []finding.Finding{cur}, At: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.New) != 0 || d.Locations != 1 {
			t.Fatalf("adopted credential counted as new: %+v", d)
		}
		if _, err := s.Secret(ctx, old.Fingerprint); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the old fingerprint's row is still there: %v", err)
		}
		if sec, err := s.Secret(ctx, cur.Fingerprint); err != nil || !sec.FirstSeen.Equal(t0) {
			t.Fatalf("credential row %+v, %v", sec, err)
		}
		if tk, err := s.Ticket(ctx, cur.Fingerprint, "github"); err != nil || tk.Key != "#7" {
			t.Fatalf("ticket not carried over: %+v, %v", tk, err)
		}
		if acts, err := s.Actions(ctx, cur.Fingerprint); err != nil || len(acts) != 1 {
			t.Fatalf("actions not carried over: %+v, %v", acts, err)
		}
	})

	t.Run("fingerprint key created once", func(t *testing.T) {
		s := open(t)
		k1, err := s.FingerprintKey(ctx)
		if err != nil || len(k1) < 16 {
			t.Fatalf("key %d bytes, %v", len(k1), err)
		}
		k2, err := s.FingerprintKey(ctx)
		if err != nil || string(k1) != string(k2) {
			t.Fatalf("a second call gave another key (%v)", err)
		}
	})

	t.Run("concurrent commits", func(t *testing.T) {
		s := open(t)
		run, _ := s.BeginRun(ctx, "org:a", t0)
		shared := sampleFinding(gen.NPMToken(), "npm-access-token", "npm", true, loc("c0", "shared", 1))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := sampleFinding(fmt.Sprintf("%s-%d", "x", i), "r", "p", false, loc("c", "f", i+1))
				_, err := s.CommitRepoScan(ctx, store.RepoScan{RunID: run.ID, Repo: store.Repo{URL: fmt.Sprintf("u%d", i)},
					Findings: []finding.Finding{f, shared}, At: t0})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		sum, err := s.Summary(ctx)
		if err != nil || sum.Secrets != 9 || sum.Repos != 8 {
			t.Fatalf("summary = %+v, %v", sum, err)
		}
	})

	t.Run("reopen keeps data and schema version", func(t *testing.T) {
		s := open(t)
		v, err := store.Version(ctx, s)
		if err != nil || v != store.SchemaVersion {
			t.Fatalf("version = %d, %v", v, err)
		}
	})
}

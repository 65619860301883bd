package remediate_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/internal/store"
	"nhiscan/remediate"
)

func TestStoreRecordsActionsAndTickets(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(ticketPolicy, "github", 3))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tok := fixtures.NewGen(90).SlackBotToken()
	h.api.AddLive("slack", tok, fakeapi.Account{})
	fs := []finding.Finding{h.finding("slack", "slack-bot-token", tok, true)}
	run := func() {
		p := h.planner()
		pl := p.Plan(fs)
		a := &remediate.Applier{Planner: p, Verifier: h.ver, Recorder: remediate.Recorders{h.audit, remediate.StoreRecorder{Store: st, System: "github"}}}
		if err := a.RecordPlan(context.Background(), pl); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(context.Background(), pl); err != nil {
			t.Fatal(err)
		}
	}
	run()
	fp := fs[0].Fingerprint
	tk, err := st.Ticket(context.Background(), fp, "github")
	if err != nil || tk.Key != "#1" || tk.State != "open" {
		t.Fatalf("ticket %+v, %v", tk, err)
	}
	h.api.Revoke(tok)
	run()
	tk, _ = st.Ticket(context.Background(), fp, "github")
	if tk.State != "closed" {
		t.Fatalf("ticket after dead: %+v", tk)
	}
	acts, err := st.Actions(context.Background(), fp)
	if err != nil || len(acts) != 4 {
		t.Fatalf("actions %d, %v", len(acts), err)
	}
	for _, a := range acts {
		if strings.Contains(a.Evidence+a.Target, tok) {
			t.Fatal("secret in the store")
		}
	}
	if acts[0].Outcome != "planned" || acts[1].Outcome != "done" || acts[1].AppliedAt.IsZero() {
		t.Fatalf("actions %+v", acts)
	}
}

func TestTicketUpdatedWhenStatusChanges(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(ticketPolicy, "github", 3))
	tok := fixtures.NewGen(91).SlackBotToken()
	h.api.AddLive("slack", tok, fakeapi.Account{})
	fs := []finding.Finding{h.finding("slack", "slack-bot-token", tok, true)}
	h.run(fs)
	// tonight Slack answers 503: unknown, the ticket says so
	h.api.SetFault("slack", fakeapi.ServerError(503))
	res := h.run(fs)
	is := h.tr.Issues()
	if outcomes(res) != "ticket:done" || len(is) != 1 || is[0].State != "open" || !strings.Contains(is[0].Body, "**unknown**") ||
		len(is[0].Comments) != 1 || !strings.Contains(is[0].Comments[0], "from live to unknown") {
		t.Fatalf("%s %+v", outcomes(res), is)
	}
}

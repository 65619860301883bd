package remediate

import (
	"context"
	"fmt"
	"strings"

	"nhiscan/internal/store"
)

// ActionStore is the part of the state store remediation writes to
// (internal/store.Store satisfies it).
type ActionStore interface {
	// RecordAction stores a planned or applied action and returns its id.
	RecordAction(ctx context.Context, a store.Action) (int64, error)
	// PutTicket creates or replaces the ticket of (fingerprint, system).
	PutTicket(ctx context.Context, t store.Ticket) error
}

// StoreRecorder writes audit records to the store: plan and apply records
// as actions, and the ticket of each ticket step. "call" records (rate
// budget bookkeeping) stay in the JSONL file only.
type StoreRecorder struct {
	Store  ActionStore
	System string // ticket system of the run (github, jira)
}

// Record implements Recorder.
func (s StoreRecorder) Record(ctx context.Context, r Record) error {
	if r.Phase != "plan" && r.Phase != "apply" {
		return nil
	}
	if err := checkFingerprint(r.Fingerprint); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	a := store.Action{Fingerprint: r.Fingerprint, Kind: string(r.Kind), Target: r.Target, PlannedAt: r.Time, Outcome: string(r.Outcome)}
	if r.Phase == "apply" {
		a.AppliedAt = r.Time
		ev := append([]string(nil), r.Evidence...)
		if r.Detail != "" {
			ev = append(ev, r.Detail)
		}
		a.Evidence = strings.Join(ev, "\n")
	} else {
		calls := make([]string, len(r.Calls))
		for i, c := range r.Calls {
			calls[i] = c.Method + " " + c.URL
		}
		a.Evidence = strings.Join(calls, "\n")
	}
	if _, err := s.Store.RecordAction(ctx, a); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if r.Kind == Ticket && r.TicketURL != "" && r.TicketKey != "" {
		t := store.Ticket{Fingerprint: r.Fingerprint, System: s.System, Key: r.TicketKey, URL: r.TicketURL, State: r.TicketState, UpdatedAt: r.Time}
		if err := s.Store.PutTicket(ctx, t); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

package remediate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"nhiscan/finding"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Record is one line of the audit trail: a planned or applied step, or one
// call to a rate-limited endpoint. It never holds a secret.
type Record struct {
	Time   time.Time `json:"time"`
	Run    string    `json:"run"`
	Phase  string    `json:"phase"`            // plan, progress (a step half-way), apply, call
	Policy string    `json:"policy,omitempty"` // source and hash of the policy
	Mode   string    `json:"mode,omitempty"`

	Fingerprint string `json:"fingerprint,omitempty"`
	Provider    string `json:"provider,omitempty"`
	Kind        Kind   `json:"kind,omitempty"`
	Target      string `json:"target,omitempty"` // redacted
	Rule        string `json:"rule,omitempty"`
	Why         string `json:"why,omitempty"`
	Calls       []Call `json:"calls,omitempty"`
	// Targets are the destination places a rotate step wrote (or would
	// write): a later run refuses to rotate another credential into them.
	Targets []string `json:"targets,omitempty"`
	Outcome Outcome  `json:"outcome,omitempty"`
	Detail  string   `json:"detail,omitempty"`

	Evidence  []string  `json:"evidence,omitempty"`
	RetryAt   time.Time `json:"retry_at,omitzero"`
	TicketURL string    `json:"ticket_url,omitempty"`
	TicketKey string    `json:"ticket_key,omitempty"`
	// TicketState is open or closed after the step.
	TicketState string                `json:"ticket_state,omitempty"`
	Before      *finding.Verification `json:"before,omitempty"`
	After       *finding.Verification `json:"after,omitempty"`

	// RateKey names the rate-limited endpoint of a "call" record.
	RateKey string `json:"rate_key,omitempty"`
}

// Recorder receives audit records: the JSONL file, the store.
type Recorder interface {
	// Record stores r durably before returning. It must not alter r.
	Record(ctx context.Context, r Record) error
}

// Audit is the JSONL audit trail. It is also the memory of earlier runs:
// deferred steps and the calls made to rate-limited endpoints.
type Audit struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	records []Record
}

// OpenAudit opens (or creates, mode 0600) the JSONL file at path for
// appending and reads the records already in it. It refuses a symbolic
// link. An empty path gives an in-memory audit.
func OpenAudit(path string) (*Audit, error) {
	a := &Audit{path: path}
	if path == "" {
		return a, nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("audit %s: is a symbolic link; refusing to write through it", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit %s:%d: %w", path, line, err)
		}
		if r.Fingerprint != "" && !ValidFingerprint(r.Fingerprint) {
			f.Close()
			return nil, fmt.Errorf("audit %s:%d: %w", path, line, checkFingerprint(r.Fingerprint))
		}
		a.records = append(a.records, r)
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit %s: %w", path, err)
	}
	a.f = f
	return a, nil
}

// Close closes the file.
func (a *Audit) Close() error {
	if a.f == nil {
		return nil
	}
	return a.f.Close()
}

// Record appends r as one JSON line and syncs the file. A record whose
// fingerprint is not a valid one is refused.
func (a *Audit) Record(_ context.Context, r Record) error {
	if r.Fingerprint != "" && !ValidFingerprint(r.Fingerprint) {
		return fmt.Errorf("audit: %w", checkFingerprint(r.Fingerprint))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f != nil {
		if _, err := a.f.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if err := a.f.Sync(); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	a.records = append(a.records, r)
	return nil
}

// Records returns a copy of every record, oldest first.
func (a *Audit) Records() []Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Record(nil), a.records...)
}

// Take implements Budget from "call" records (this run's and earlier runs').
func (a *Audit) Take(key string, limit int, per time.Duration) (bool, time.Time) {
	return a.take(key, limit, per, time.Now())
}

// TakeAt is Take at a given time (tests, replays).
func (a *Audit) TakeAt(key string, limit int, per time.Duration, now time.Time) (bool, time.Time) {
	return a.take(key, limit, per, now)
}

func (a *Audit) take(key string, limit int, per time.Duration, now time.Time) (bool, time.Time) {
	a.mu.Lock()
	var recent []time.Time
	for _, r := range a.records {
		if r.Phase == "call" && r.RateKey == key && now.Sub(r.Time) < per {
			recent = append(recent, r.Time)
		}
	}
	a.mu.Unlock()
	if len(recent) >= limit {
		oldest := recent[0]
		for _, t := range recent {
			if t.Before(oldest) {
				oldest = t
			}
		}
		return false, oldest.Add(per)
	}
	err := a.Record(context.Background(), Record{Time: now, Phase: "call", RateKey: key})
	return err == nil, time.Time{}
}

// Pending returns the steps whose latest applied outcome is deferred: work
// queued for a later run, never lost.
func (a *Audit) Pending() []Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	last := map[string]Record{}
	var order []string
	for _, r := range a.records {
		if r.Phase != "apply" {
			continue
		}
		k := r.Fingerprint + "/" + string(r.Kind)
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = r
	}
	var out []Record
	for _, k := range order {
		if last[k].Outcome == Deferred {
			out = append(out, last[k])
		}
	}
	return out
}

// LastApplied is the latest applied record of (fingerprint, kind).
func (a *Audit) LastApplied(fp string, kind Kind) (Record, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.records) - 1; i >= 0; i-- {
		r := a.records[i]
		if r.Phase == "apply" && r.Fingerprint == fp && r.Kind == kind {
			return r, true
		}
	}
	return Record{}, false
}

// RotatedInto returns the fingerprint of a credential other than fp that
// an earlier run rotated into target, if any.
func (a *Audit) RotatedInto(target, fp string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.records) - 1; i >= 0; i-- {
		r := a.records[i]
		if r.Phase == "apply" && r.Kind == Rotate && r.Outcome == Done && r.Fingerprint != fp &&
			slices.ContainsFunc(r.Targets, func(t string) bool { return targetsOverlap(t, target) }) {
			return r.Fingerprint, true
		}
	}
	return "", false
}

// Recorders fans a record out to several recorders; every one is tried and
// the errors joined.
type Recorders []Recorder

// Record implements Recorder.
func (rs Recorders) Record(ctx context.Context, r Record) error {
	var errs []error
	for _, x := range rs {
		if x == nil {
			continue
		}
		if err := x.Record(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Package store keeps nhiscan's state across runs: which repositories were
// scanned up to which ref tips, every secret ever found (by fingerprint, with
// a hash and a redacted form — never the secret itself), where it was found,
// what its provider said about it over time, what was done about it (actions,
// tickets) and one row per crawl run for since-last-run reports and trends.
//
// Two backends share one versioned schema: an SQLite file (pure Go,
// modernc.org/sqlite; the default, created 0600 in a 0700 folder) and
// Postgres (`postgres://…`), for several crawlers sharing the shards of one
// organisation. Open picks the backend from the location string. The store
// is never required for a one-off scan.
package store

import (
	"context"
	"errors"
	"fmt"
	"nhiscan/finding"
	"os"
	"path/filepath"
	"time"
)

// ErrNotFound is returned (wrapped) by the single-row getters when there is
// no such row.
var ErrNotFound = errors.New("store: not found")

// Secret statuses. A secret starts unverified; verification moves it between
// live, dead and unknown (the three answers of package verifiers).
const (
	StatusUnverified = "unverified"
	StatusLive       = "live"
	StatusDead       = "dead"
	StatusUnknown    = "unknown"
)

// Repo states.
const (
	RepoOK      = "ok"      // last scan committed
	RepoError   = "error"   // last attempt failed (Repo.Error says why); tips unchanged
	RepoDeleted = "deleted" // no longer listed upstream; its secrets are kept
)

// Store is the state of nhiscan across runs. Implementations are safe for
// concurrent use by several goroutines and, for Postgres, several processes.
// Every method honours ctx. Errors never contain a secret.
type Store interface {
	// BeginRun starts a crawl run for scope (for example "org:acme shard
	// 1/4"). When the newest run of that scope never finished (the crawl was
	// killed), that run is resumed: its row is returned and nothing it
	// recorded is lost. Otherwise a new run is created. Run.PrevFinished is
	// the id of the newest finished run of the scope before it (0 if none),
	// the "last run" of since-last-run reports.
	BeginRun(ctx context.Context, scope string, at time.Time) (Run, error)
	// FinishRun marks a run finished with its counters. It also records the
	// open-live count (secrets whose status is live at that moment) for
	// trends. Finishing a finished run overwrites its counters.
	FinishRun(ctx context.Context, runID int64, c RunCounts, at time.Time) error
	// Runs lists runs, newest first; scope "" lists every scope; limit <= 0
	// means all.
	Runs(ctx context.Context, scope string, limit int) ([]Run, error)

	// Repo returns one repository's state, ErrNotFound when never seen.
	Repo(ctx context.Context, url string) (Repo, error)
	// Repos lists every repository, ordered by URL.
	Repos(ctx context.Context) ([]Repo, error)
	// CommitRepoScan records one repository's scan atomically: either
	// everything (secrets upserted, locations added, the new tips and state
	// RepoOK) is committed, or nothing is, so a crawl killed mid-way rescans
	// that repository and loses nothing. Findings that carry a
	// Verification have it recorded (as RecordVerification does) in the
	// same transaction. It is idempotent: committing the same scan twice
	// adds nothing the second time. It reports which secrets were new to
	// the store and which known secrets reappeared at a new location.
	CommitRepoScan(ctx context.Context, s RepoScan) (Delta, error)
	// MarkRepo sets a repository's state (RepoError with a secret-free
	// message, or RepoDeleted) without touching its tips or secrets; it
	// creates the row if needed.
	MarkRepo(ctx context.Context, url, state, msg string, at time.Time) error

	// Secret returns one secret, ErrNotFound when unknown.
	Secret(ctx context.Context, fingerprint string) (Secret, error)
	// Secrets lists secrets matching f, ordered by first_seen then
	// fingerprint.
	Secrets(ctx context.Context, f SecretFilter) ([]Secret, error)
	// Locations lists a secret's locations ordered by repo, commit, path,
	// line.
	Locations(ctx context.Context, fingerprint string) ([]Location, error)
	// RepoLocations lists every location in the given repositories (by
	// URL; all repositories when none is given), ordered by fingerprint,
	// then as Locations.
	RepoLocations(ctx context.Context, repos ...string) ([]Location, error)

	// RecordVerification appends v to the secret's verification history
	// and sets its status, verified_at, identity and privilege. It returns
	// the status before (StatusUnverified for a first check). Unknown
	// fingerprints are ErrNotFound.
	RecordVerification(ctx context.Context, runID int64, fingerprint string, v finding.Verification) (prev string, err error)
	// Verifications lists a secret's verification history, oldest first.
	Verifications(ctx context.Context, fingerprint string) ([]VerificationRecord, error)

	// RecordAction stores a planned or applied remediation action and
	// returns its id. With a.ID set, it updates that action (applied_at,
	// outcome, evidence) instead; an unknown id is ErrNotFound.
	RecordAction(ctx context.Context, a Action) (int64, error)
	// Actions lists a secret's actions, oldest first.
	Actions(ctx context.Context, fingerprint string) ([]Action, error)
	// PutTicket creates or replaces the ticket of (fingerprint, system).
	PutTicket(ctx context.Context, t Ticket) error
	// Ticket returns the ticket of a secret in a ticket system,
	// ErrNotFound when none.
	Ticket(ctx context.Context, fingerprint, system string) (Ticket, error)

	// Changes lists what runs of scope after run afterRun found: secrets
	// new to the store, known secrets at new locations, and secrets that
	// became live again (dead before). Each secret appears once, with the
	// strongest reason: new, then live-again, then reappeared.
	Changes(ctx context.Context, scope string, afterRun int64) ([]Change, error)
	// Summary counts secrets by status, repository and provider, and the
	// mean time from first seen to dead.
	Summary(ctx context.Context) (Summary, error)
	// Trend lists one point per finished run of scope ("" for all),
	// oldest first, at most limit (<= 0: all) of the newest.
	Trend(ctx context.Context, scope string, limit int) ([]TrendPoint, error)

	// FingerprintKey returns the installation's fingerprint key (see
	// finding.Fingerprinter), creating a random one on first use; every
	// shard of a crawl that shares the store gets the same key.
	FingerprintKey(ctx context.Context) ([]byte, error)

	// Close releases the store.
	Close() error
}

// Run is one crawl run.
type Run struct {
	ID           int64
	Scope        string
	StartedAt    time.Time
	FinishedAt   time.Time // zero while running (or killed)
	Resumed      bool      // BeginRun resumed an unfinished run
	PrevFinished int64     // newest finished run of the scope before this one
	Counts       RunCounts
	OpenLive     int // secrets live when the run finished
}

// RunCounts are a run's counters.
type RunCounts struct {
	ReposTotal   int
	ReposScanned int // repositories with new commits scanned
	ReposSkipped int // repositories with nothing new
	ReposFailed  int
	Findings     int // findings of this run's scans (secrets seen)
	NewSecrets   int
	Reappeared   int
	LiveAgain    int
}

// Repo is a repository's crawl state.
type Repo struct {
	URL           string
	Name          string // owner/name
	DefaultBranch string
	// Tips maps each ref to the commit it pointed at when last scanned:
	// the next run scans only commits not reachable from these.
	Tips      map[string]string
	ScannedAt time.Time
	State     string // RepoOK, RepoError, RepoDeleted
	Error     string // secret-free reason of RepoError
	UpdatedAt time.Time
}

// RepoScan is one repository's scan to commit.
type RepoScan struct {
	RunID    int64
	Repo     Repo // URL, Name, DefaultBranch, Tips (the tips scanned)
	Findings []finding.Finding
	At       time.Time
}

// Delta is what a CommitRepoScan changed.
type Delta struct {
	New        []string // fingerprints first seen in this scan
	Reappeared []string // known fingerprints at a new location
	Locations  int      // locations added
}

// Secret is what the store keeps about one secret: never the secret itself.
type Secret struct {
	Fingerprint string
	RuleID      string
	Provider    string
	Severity    string
	Redacted    string
	// SecretHash is the hex SHA-256 of the secret (to match the same value
	// found by different rules); it cannot give the secret back.
	SecretHash string
	FirstSeen  time.Time
	LastSeen   time.Time
	FirstRun   int64
	Status     string // StatusUnverified, StatusLive, StatusDead, StatusUnknown
	VerifiedAt time.Time
	DeadAt     time.Time // when it was first found dead since it was last live; zero otherwise
	Identity   map[string]string
	Privilege  finding.Privileges
	InHead     bool // present at the tip of a default branch in some scan
	Repos      []string
}

// SecretFilter selects secrets; zero fields match all.
type SecretFilter struct {
	Status   string
	Provider string
	Repo     string // URL
	Limit    int
}

// Location is one place a secret was added.
type Location struct {
	Fingerprint string
	Repo        string // URL
	Commit      string
	Path        string
	Line        int
	Column      int
	Author      string
	Email       string
	Date        time.Time
	InHead      bool
	RunID       int64 // the run that recorded it
}

// VerificationRecord is one entry of a secret's verification history.
type VerificationRecord struct {
	RunID      int64
	Status     string
	PrevStatus string
	Reason     string
	CheckedAt  time.Time
	Identity   map[string]string
	Privilege  finding.Privileges
	Endpoint   string
}

// Action is a remediation step, planned then applied.
type Action struct {
	ID          int64
	Fingerprint string
	Kind        string // revoke, rotate, ticket, …
	Target      string // what it acts on (key id, ticket project), secret-free
	PlannedAt   time.Time
	AppliedAt   time.Time // zero until applied
	Outcome     string    // ok, failed, skipped, …
	Evidence    string    // secret-free evidence (API answer summary)
}

// Ticket is a ticket opened for a secret's owner.
type Ticket struct {
	Fingerprint string
	System      string // jira, github, …
	Key         string
	URL         string
	State       string
	UpdatedAt   time.Time
}

// Change reasons of Changes.
const (
	ChangeNew        = "new"
	ChangeLiveAgain  = "live-again"
	ChangeReappeared = "reappeared"
)

// Change is one secret that a since-last-run report shows.
type Change struct {
	Fingerprint string
	Reason      string
	RunID       int64
}

// Summary is the store at a glance, for reports.
type Summary struct {
	Secrets    int
	ByStatus   map[string]int
	ByRepo     []Count // secrets per repository (by URL), most first
	ByProvider []Count // secrets per provider, most first
	// LiveByRepo and LiveByProvider count only live secrets.
	LiveByRepo     []Count
	LiveByProvider []Count
	// MeanTimeToDead is the mean of DeadAt - FirstSeen over dead secrets
	// (DeadSecrets of them); 0 when none.
	MeanTimeToDead time.Duration
	DeadSecrets    int
	Repos          int
	ReposByState   map[string]int
}

// Count is a labelled count.
type Count struct {
	Key string
	N   int
}

// TrendPoint is one finished run, for charts.
type TrendPoint struct {
	RunID      int64
	Scope      string
	Day        time.Time // FinishedAt truncated to the UTC day
	FinishedAt time.Time
	OpenLive   int
	NewSecrets int
	Findings   int
}

// DefaultPath is the SQLite file used when --state is not given:
// $XDG_STATE_HOME/nhiscan/state.db, or ~/.local/state/nhiscan/state.db.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nhiscan", "state.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: no default state path: %w", err)
	}
	return filepath.Join(home, ".local", "state", "nhiscan", "state.db"), nil
}

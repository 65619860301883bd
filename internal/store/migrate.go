package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations are the schema versions, applied in order, each in its own
// transaction, recorded in schema_migrations. Never edit a released one:
// append a new version. {{id}} is the dialect's auto-increment primary key.
var migrations = []string{
	// 1: the initial schema.
	`CREATE TABLE runs (
		id {{id}},
		scope TEXT NOT NULL,
		started_at BIGINT NOT NULL,
		finished_at BIGINT NOT NULL DEFAULT 0,
		prev_finished BIGINT NOT NULL DEFAULT 0,
		repos_total INTEGER NOT NULL DEFAULT 0,
		repos_scanned INTEGER NOT NULL DEFAULT 0,
		repos_skipped INTEGER NOT NULL DEFAULT 0,
		repos_failed INTEGER NOT NULL DEFAULT 0,
		findings INTEGER NOT NULL DEFAULT 0,
		new_secrets INTEGER NOT NULL DEFAULT 0,
		reappeared INTEGER NOT NULL DEFAULT 0,
		live_again INTEGER NOT NULL DEFAULT 0,
		open_live INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX runs_scope ON runs (scope, id);
	CREATE TABLE repos (
		url TEXT PRIMARY KEY,
		name TEXT NOT NULL DEFAULT '',
		default_branch TEXT NOT NULL DEFAULT '',
		tips TEXT NOT NULL DEFAULT '{}',
		scanned_at BIGINT NOT NULL DEFAULT 0,
		state TEXT NOT NULL DEFAULT 'ok',
		error TEXT NOT NULL DEFAULT '',
		updated_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE secrets (
		fingerprint TEXT PRIMARY KEY,
		rule_id TEXT NOT NULL,
		provider TEXT NOT NULL DEFAULT '',
		severity TEXT NOT NULL DEFAULT '',
		redacted TEXT NOT NULL DEFAULT '',
		secret_hash TEXT NOT NULL DEFAULT '',
		first_seen BIGINT NOT NULL,
		last_seen BIGINT NOT NULL,
		first_run BIGINT NOT NULL DEFAULT 0,
		last_run BIGINT NOT NULL DEFAULT 0,
		status TEXT NOT NULL DEFAULT 'unverified',
		verified_at BIGINT NOT NULL DEFAULT 0,
		dead_at BIGINT NOT NULL DEFAULT 0,
		identity TEXT NOT NULL DEFAULT '{}',
		privilege TEXT NOT NULL DEFAULT '{}',
		in_head INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX secrets_status ON secrets (status);
	CREATE INDEX secrets_first_run ON secrets (first_run);
	CREATE TABLE locations (
		fingerprint TEXT NOT NULL REFERENCES secrets (fingerprint),
		repo TEXT NOT NULL,
		commit_sha TEXT NOT NULL,
		path TEXT NOT NULL,
		line INTEGER NOT NULL,
		col INTEGER NOT NULL,
		author TEXT NOT NULL DEFAULT '',
		email TEXT NOT NULL DEFAULT '',
		authored_at BIGINT NOT NULL DEFAULT 0,
		in_head INTEGER NOT NULL DEFAULT 0,
		run_id BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (fingerprint, repo, commit_sha, path, line, col)
	);
	CREATE INDEX locations_repo ON locations (repo);
	CREATE INDEX locations_run ON locations (run_id);
	CREATE TABLE verifications (
		id {{id}},
		fingerprint TEXT NOT NULL REFERENCES secrets (fingerprint),
		run_id BIGINT NOT NULL DEFAULT 0,
		status TEXT NOT NULL,
		prev_status TEXT NOT NULL,
		live_again INTEGER NOT NULL DEFAULT 0,
		reason TEXT NOT NULL DEFAULT '',
		checked_at BIGINT NOT NULL,
		identity TEXT NOT NULL DEFAULT '{}',
		privilege TEXT NOT NULL DEFAULT '{}',
		endpoint TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX verifications_fp ON verifications (fingerprint, id);
	CREATE INDEX verifications_run ON verifications (run_id);
	CREATE TABLE actions (
		id {{id}},
		fingerprint TEXT NOT NULL,
		kind TEXT NOT NULL,
		target TEXT NOT NULL DEFAULT '',
		planned_at BIGINT NOT NULL DEFAULT 0,
		applied_at BIGINT NOT NULL DEFAULT 0,
		outcome TEXT NOT NULL DEFAULT '',
		evidence TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX actions_fp ON actions (fingerprint, id);
	CREATE TABLE tickets (
		fingerprint TEXT NOT NULL,
		system TEXT NOT NULL,
		ticket_key TEXT NOT NULL DEFAULT '',
		url TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL DEFAULT '',
		updated_at BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY (fingerprint, system)
	)`,
	// 2: installation settings (the fingerprint key shared by a crawl's
	// shards).
	`CREATE TABLE settings (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate brings the schema up to SchemaVersion. On Postgres an advisory
// lock serialises crawlers that start together; on SQLite the immediate
// transaction does.
func (s *sqlStore) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for v := 1; v <= len(migrations); v++ {
		if err := s.apply(ctx, v); err != nil {
			return fmt.Errorf("store: migration %d: %w", v, err)
		}
	}
	return nil
}

func (s *sqlStore) apply(ctx context.Context, v int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7283001)`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		id := "INTEGER PRIMARY KEY AUTOINCREMENT"
		if s.postgres {
			id = "BIGSERIAL PRIMARY KEY"
		}
		for _, stmt := range strings.Split(strings.ReplaceAll(migrations[v-1], "{{id}}", id), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, tm(time.Now()))
		return err
	})
}

// Version returns the schema version of an open store (for tests and
// diagnostics).
func Version(ctx context.Context, st Store) (int, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return 0, fmt.Errorf("store: not an SQL store")
	}
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}

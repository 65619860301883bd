package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"nhiscan/finding"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" database/sql driver
	_ "modernc.org/sqlite"             // "sqlite" database/sql driver, pure Go
)

// IsPostgres reports whether a --state location names a Postgres database.
func IsPostgres(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// Open opens (creating and migrating as needed) the store at location: a
// postgres:// or postgresql:// URL, or an SQLite file path. A new SQLite
// file is created 0600 and its missing folders 0700; a symbolic link at the
// path is refused.
func Open(ctx context.Context, location string) (Store, error) {
	if IsPostgres(location) {
		return openPostgres(ctx, location)
	}
	return openSQLite(ctx, location)
}

// Redact hides the password of a Postgres URL, for logs and errors.
func Redact(location string) string {
	if !IsPostgres(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

func openSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, errors.New("store: empty SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		f.Close()
	case err != nil:
		return nil, fmt.Errorf("store: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("store: %s is a symbolic link; refusing to use it", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("store: %s is not a regular file", path)
	}
	dsn := "file:" + filepath.ToSlash(path) + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and this process never
	// waits on itself for the lock.
	db.SetMaxOpenConns(1)
	s := &sqlStore{db: db}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", Redact(dsn), err)
	}
	db.SetMaxOpenConns(8)
	s := &sqlStore{db: db, postgres: true}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w (%s)", err, Redact(dsn))
	}
	return s, nil
}

// sqlStore is the Store of both backends: the SQL is portable (upserts with
// ON CONFLICT, times as BIGINT microseconds since the epoch, booleans as
// 0/1), only placeholders and the auto-increment key differ.
type sqlStore struct {
	db       *sql.DB
	postgres bool
}

var _ Store = (*sqlStore)(nil)

func (s *sqlStore) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	return s.migrate(ctx)
}

func (s *sqlStore) Close() error { return s.db.Close() }

// q turns ? placeholders into $n for Postgres.
func (s *sqlStore) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *sqlStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func tm(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromTm(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// SecretHash is the hex SHA-256 of a secret, the only form of it the store
// keeps besides the redacted one.
func SecretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ---- runs ----

const runCols = `id, scope, started_at, finished_at, prev_finished, repos_total, repos_scanned, repos_skipped, repos_failed, findings, new_secrets, reappeared, live_again, open_live`

type scanner_ interface{ Scan(...any) error }

func scanRun(r scanner_) (Run, error) {
	var run Run
	var st, fin int64
	c := &run.Counts
	err := r.Scan(&run.ID, &run.Scope, &st, &fin, &run.PrevFinished, &c.ReposTotal, &c.ReposScanned, &c.ReposSkipped,
		&c.ReposFailed, &c.Findings, &c.NewSecrets, &c.Reappeared, &c.LiveAgain, &run.OpenLive)
	run.StartedAt, run.FinishedAt = fromTm(st), fromTm(fin)
	return run, err
}

func (s *sqlStore) BeginRun(ctx context.Context, scope string, at time.Time) (Run, error) {
	var run Run
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if s.postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7283002)`); err != nil {
				return err
			}
		}
		last, err := scanRun(tx.QueryRowContext(ctx, s.q(`SELECT `+runCols+` FROM runs WHERE scope = ? ORDER BY id DESC LIMIT 1`), scope))
		switch {
		case err == nil && last.FinishedAt.IsZero():
			run = last
			run.Resumed = true
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var prev sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(id) FROM runs WHERE scope = ? AND finished_at > 0`), scope).Scan(&prev); err != nil {
			return err
		}
		run = Run{Scope: scope, StartedAt: fromTm(tm(at)), PrevFinished: prev.Int64}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (scope, started_at, prev_finished) VALUES (?, ?, ?) RETURNING id`),
			scope, tm(at), prev.Int64).Scan(&run.ID)
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: begin run: %w", err)
	}
	return run, nil
}

func (s *sqlStore) FinishRun(ctx context.Context, runID int64, c RunCounts, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET finished_at = ?, repos_total = ?, repos_scanned = ?, repos_skipped = ?,
		repos_failed = ?, findings = ?, new_secrets = ?, reappeared = ?, live_again = ?,
		open_live = (SELECT COUNT(*) FROM secrets WHERE status = 'live') WHERE id = ?`),
		tm(at), c.ReposTotal, c.ReposScanned, c.ReposSkipped, c.ReposFailed, c.Findings, c.NewSecrets, c.Reappeared, c.LiveAgain, runID)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", runID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: finish run %d: %w", runID, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) Runs(ctx context.Context, scope string, limit int) ([]Run, error) {
	query, args := `SELECT `+runCols+` FROM runs`, []any{}
	if scope != "" {
		query += ` WHERE scope = ?`
		args = append(args, scope)
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- repos ----

const repoCols = `url, name, default_branch, tips, scanned_at, state, error, updated_at`

func scanRepo(r scanner_) (Repo, error) {
	var rp Repo
	var tips string
	var sc, up int64
	if err := r.Scan(&rp.URL, &rp.Name, &rp.DefaultBranch, &tips, &sc, &rp.State, &rp.Error, &up); err != nil {
		return Repo{}, err
	}
	rp.ScannedAt, rp.UpdatedAt = fromTm(sc), fromTm(up)
	rp.Tips = map[string]string{}
	if err := json.Unmarshal([]byte(tips), &rp.Tips); err != nil {
		return Repo{}, fmt.Errorf("tips of %s: %w", rp.URL, err)
	}
	return rp, nil
}

func (s *sqlStore) Repo(ctx context.Context, u string) (Repo, error) {
	rp, err := scanRepo(s.db.QueryRowContext(ctx, s.q(`SELECT `+repoCols+` FROM repos WHERE url = ?`), u))
	if errors.Is(err, sql.ErrNoRows) {
		return Repo{}, fmt.Errorf("store: repo %s: %w", u, ErrNotFound)
	}
	if err != nil {
		return Repo{}, fmt.Errorf("store: repo %s: %w", u, err)
	}
	return rp, nil
}

func (s *sqlStore) Repos(ctx context.Context) ([]Repo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+repoCols+` FROM repos ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("store: repos: %w", err)
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		rp, err := scanRepo(rows)
		if err != nil {
			return nil, fmt.Errorf("store: repos: %w", err)
		}
		out = append(out, rp)
	}
	return out, rows.Err()
}

func (s *sqlStore) MarkRepo(ctx context.Context, u, state, msg string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO repos (url, state, error, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET state = excluded.state, error = excluded.error, updated_at = excluded.updated_at`),
		u, state, msg, tm(at))
	if err != nil {
		return fmt.Errorf("store: mark repo %s: %w", u, err)
	}
	return nil
}

func (s *sqlStore) CommitRepoScan(ctx context.Context, rs RepoScan) (Delta, error) {
	var d Delta
	at := tm(rs.At)
	if at == 0 {
		at = tm(time.Now())
	}
	tips := rs.Repo.Tips
	if tips == nil {
		tips = map[string]string{}
	}
	// Rows are locked in fingerprint order, so two crawlers committing
	// scans that share secrets cannot deadlock (Postgres).
	order := make([]int, len(rs.Findings))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return rs.Findings[order[a]].Fingerprint < rs.Findings[order[b]].Fingerprint })
	err := s.tx(ctx, func(tx *sql.Tx) error {
		d = Delta{}
		for _, i := range order {
			f := &rs.Findings[i]
			if err := s.adoptAliases(ctx, tx, f.Fingerprint, f.Aliases); err != nil {
				return err
			}
			var firstRun int64
			existed := true
			err := tx.QueryRowContext(ctx, s.q(`SELECT first_run FROM secrets WHERE fingerprint = ?`), f.Fingerprint).Scan(&firstRun)
			if errors.Is(err, sql.ErrNoRows) {
				existed, firstRun = false, rs.RunID
			} else if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO secrets (fingerprint, rule_id, provider, severity, redacted, secret_hash,
				first_seen, last_seen, first_run, last_run, in_head) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen, last_run = excluded.last_run,
				in_head = CASE WHEN excluded.in_head > secrets.in_head THEN excluded.in_head ELSE secrets.in_head END`),
				f.Fingerprint, f.RuleID, f.Provider, f.Severity, f.Redacted, SecretHash(f.Secret),
				at, at, rs.RunID, rs.RunID, b2i(f.InHead)); err != nil {
				return err
			}
			added := 0
			for _, l := range f.Locations {
				res, err := tx.ExecContext(ctx, s.q(`INSERT INTO locations (fingerprint, repo, commit_sha, path, line, col, author, email,
					authored_at, in_head, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT (fingerprint, repo, commit_sha, path, line, col) DO NOTHING`),
					f.Fingerprint, rs.Repo.URL, l.Commit, l.Path, l.Line, l.Column, l.Author, l.Email, tm(l.Date), b2i(f.InHead), rs.RunID)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				added += int(n)
			}
			d.Locations += added
			if v := f.Verification; v != nil && v.Status != "" {
				if _, err := s.recordVerification(ctx, tx, rs.RunID, f.Fingerprint, *v); err != nil {
					return err
				}
			}
			switch {
			case !existed:
				d.New = append(d.New, f.Fingerprint)
			case added > 0 && firstRun != rs.RunID:
				d.Reappeared = append(d.Reappeared, f.Fingerprint)
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO repos (url, name, default_branch, tips, scanned_at, state, error, updated_at)
			VALUES (?, ?, ?, ?, ?, 'ok', '', ?)
			ON CONFLICT (url) DO UPDATE SET name = excluded.name, default_branch = excluded.default_branch, tips = excluded.tips,
			scanned_at = excluded.scanned_at, state = 'ok', error = '', updated_at = excluded.updated_at`),
			rs.Repo.URL, rs.Repo.Name, rs.Repo.DefaultBranch, jsonText(tips), at, at)
		return err
	})
	if err != nil {
		return Delta{}, fmt.Errorf("store: commit scan of %s: %w", rs.Repo.URL, err)
	}
	return d, nil
}

// ---- secrets ----

const secretCols = `fingerprint, rule_id, provider, severity, redacted, secret_hash, first_seen, last_seen, first_run, status,
	verified_at, dead_at, identity, privilege, in_head`

func scanSecret(r scanner_) (Secret, error) {
	var sc Secret
	var fs, ls, va, da int64
	var ident, priv string
	var inHead int
	if err := r.Scan(&sc.Fingerprint, &sc.RuleID, &sc.Provider, &sc.Severity, &sc.Redacted, &sc.SecretHash, &fs, &ls,
		&sc.FirstRun, &sc.Status, &va, &da, &ident, &priv, &inHead); err != nil {
		return Secret{}, err
	}
	sc.FirstSeen, sc.LastSeen, sc.VerifiedAt, sc.DeadAt = fromTm(fs), fromTm(ls), fromTm(va), fromTm(da)
	sc.InHead = inHead != 0
	_ = json.Unmarshal([]byte(ident), &sc.Identity)
	_ = json.Unmarshal([]byte(priv), &sc.Privilege)
	return sc, nil
}

func (s *sqlStore) reposOf(ctx context.Context, fp string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT repo FROM locations WHERE fingerprint = ? ORDER BY repo`), fp)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) Secret(ctx context.Context, fp string) (Secret, error) {
	sc, err := scanSecret(s.db.QueryRowContext(ctx, s.q(`SELECT `+secretCols+` FROM secrets WHERE fingerprint = ?`), fp))
	if errors.Is(err, sql.ErrNoRows) {
		return Secret{}, fmt.Errorf("store: secret %s: %w", fp, ErrNotFound)
	}
	if err == nil {
		sc.Repos, err = s.reposOf(ctx, fp)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("store: secret %s: %w", fp, err)
	}
	return sc, nil
}

func (s *sqlStore) Secrets(ctx context.Context, f SecretFilter) ([]Secret, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, `status = ?`), append(args, f.Status)
	}
	if f.Provider != "" {
		where, args = append(where, `provider = ?`), append(args, f.Provider)
	}
	if f.Repo != "" {
		where, args = append(where, `fingerprint IN (SELECT fingerprint FROM locations WHERE repo = ?)`), append(args, f.Repo)
	}
	query := `SELECT ` + secretCols + ` FROM secrets`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY first_seen, fingerprint`
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	out, err := func() ([]Secret, error) {
		rows, err := s.db.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []Secret
		for rows.Next() {
			sc, err := scanSecret(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, sc)
		}
		return out, rows.Err()
	}()
	if err == nil && len(out) > 0 {
		err = s.fillRepos(ctx, out, f.Repo)
	}
	if err != nil {
		return nil, fmt.Errorf("store: secrets: %w", err)
	}
	return out, nil
}

// fillRepos sets Repos of each secret; with repo set, only the secrets
// found in it are looked at (not the whole locations table).
func (s *sqlStore) fillRepos(ctx context.Context, secrets []Secret, repo string) error {
	idx := make(map[string]int, len(secrets))
	for i := range secrets {
		idx[secrets[i].Fingerprint] = i
	}
	query, args := `SELECT DISTINCT fingerprint, repo FROM locations ORDER BY fingerprint, repo`, []any{}
	if repo != "" {
		query = `SELECT DISTINCT fingerprint, repo FROM locations WHERE fingerprint IN
			(SELECT fingerprint FROM locations WHERE repo = ?) ORDER BY fingerprint, repo`
		args = append(args, repo)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var fp, repo string
		if err := rows.Scan(&fp, &repo); err != nil {
			return err
		}
		if i, ok := idx[fp]; ok {
			secrets[i].Repos = append(secrets[i].Repos, repo)
		}
	}
	return rows.Err()
}

const locationCols = `fingerprint, repo, commit_sha, path, line, col, author, email, authored_at, in_head, run_id`

func (s *sqlStore) Locations(ctx context.Context, fp string) ([]Location, error) {
	out, err := s.locations(ctx, `SELECT `+locationCols+` FROM locations WHERE fingerprint = ? ORDER BY repo, commit_sha, path, line, col`, fp)
	if err != nil {
		return nil, fmt.Errorf("store: locations: %w", err)
	}
	return out, nil
}

// maxInList bounds the placeholders of one IN list; past it the filter is
// applied here.
const maxInList = 1000

func (s *sqlStore) RepoLocations(ctx context.Context, repos ...string) ([]Location, error) {
	query := `SELECT ` + locationCols + ` FROM locations`
	var args []any
	if len(repos) > 0 && len(repos) <= maxInList {
		query += ` WHERE repo IN (?` + strings.Repeat(`, ?`, len(repos)-1) + `)`
		for _, r := range repos {
			args = append(args, r)
		}
	}
	query += ` ORDER BY fingerprint, repo, commit_sha, path, line, col`
	out, err := s.locations(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: locations: %w", err)
	}
	if len(repos) > maxInList {
		keep := make(map[string]bool, len(repos))
		for _, r := range repos {
			keep[r] = true
		}
		kept := out[:0]
		for _, l := range out {
			if keep[l.Repo] {
				kept = append(kept, l)
			}
		}
		out = kept
	}
	return out, nil
}

func (s *sqlStore) locations(ctx context.Context, query string, args ...any) ([]Location, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Location
	for rows.Next() {
		var l Location
		var date int64
		var inHead int
		if err := rows.Scan(&l.Fingerprint, &l.Repo, &l.Commit, &l.Path, &l.Line, &l.Column, &l.Author, &l.Email, &date, &inHead, &l.RunID); err != nil {
			return nil, err
		}
		l.Date, l.InHead = fromTm(date), inHead != 0
		out = append(out, l)
	}
	return out, rows.Err()
}

// ---- verification ----

func (s *sqlStore) RecordVerification(ctx context.Context, runID int64, fp string, v finding.Verification) (string, error) {
	var prev string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		prev, err = s.recordVerification(ctx, tx, runID, fp, v)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: record verification of %s: %w", fp, err)
	}
	return prev, nil
}

// recordVerification is RecordVerification inside tx. An answer equal to
// the last one recorded (status and check time) is not recorded again.
func (s *sqlStore) recordVerification(ctx context.Context, tx *sql.Tx, runID int64, fp string, v finding.Verification) (string, error) {
	checked := v.CheckedAt
	if checked.IsZero() {
		checked = time.Now()
	}
	var prev string
	var deadAt int64
	err := tx.QueryRowContext(ctx, s.q(`SELECT status, dead_at FROM secrets WHERE fingerprint = ?`), fp).Scan(&prev, &deadAt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	var lastAt int64
	var lastStatus string
	err = tx.QueryRowContext(ctx, s.q(`SELECT checked_at, status FROM verifications WHERE fingerprint = ? ORDER BY id DESC LIMIT 1`),
		fp).Scan(&lastAt, &lastStatus)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if err == nil && lastAt == tm(checked) && lastStatus == string(v.Status) {
		return prev, nil // this very answer is the last one recorded
	}
	liveAgain := v.Status == StatusLive && deadAt != 0
	switch v.Status {
	case StatusLive:
		deadAt = 0
	case StatusDead:
		if deadAt == 0 {
			deadAt = tm(checked)
		}
	}
	ident, priv := jsonText(v.Identity), jsonText(v.Privileges)
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO verifications (fingerprint, run_id, status, prev_status, live_again, reason,
		checked_at, identity, privilege, endpoint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		fp, runID, v.Status, prev, b2i(liveAgain), v.Reason, tm(checked), ident, priv, v.Endpoint); err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE secrets SET status = ?, verified_at = ?, dead_at = ?, identity = ?, privilege = ?
		WHERE fingerprint = ?`), v.Status, tm(checked), deadAt, ident, priv, fp)
	return prev, err
}

func (s *sqlStore) Verifications(ctx context.Context, fp string) ([]VerificationRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, status, prev_status, reason, checked_at, identity, privilege, endpoint
		FROM verifications WHERE fingerprint = ? ORDER BY id`), fp)
	if err != nil {
		return nil, fmt.Errorf("store: verifications: %w", err)
	}
	defer rows.Close()
	var out []VerificationRecord
	for rows.Next() {
		var v VerificationRecord
		var at int64
		var ident, priv string
		if err := rows.Scan(&v.RunID, &v.Status, &v.PrevStatus, &v.Reason, &at, &ident, &priv, &v.Endpoint); err != nil {
			return nil, fmt.Errorf("store: verifications: %w", err)
		}
		v.CheckedAt = fromTm(at)
		_ = json.Unmarshal([]byte(ident), &v.Identity)
		_ = json.Unmarshal([]byte(priv), &v.Privilege)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ---- actions and tickets ----

func (s *sqlStore) RecordAction(ctx context.Context, a Action) (int64, error) {
	if a.ID != 0 {
		res, err := s.db.ExecContext(ctx, s.q(`UPDATE actions SET applied_at = ?, outcome = ?, evidence = ? WHERE id = ?`),
			tm(a.AppliedAt), a.Outcome, a.Evidence, a.ID)
		if err != nil {
			return 0, fmt.Errorf("store: update action %d: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, fmt.Errorf("store: update action %d: %w", a.ID, ErrNotFound)
		}
		return a.ID, nil
	}
	planned := a.PlannedAt
	if planned.IsZero() {
		planned = time.Now()
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO actions (fingerprint, kind, target, planned_at, applied_at, outcome, evidence)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.Fingerprint, a.Kind, a.Target, tm(planned), tm(a.AppliedAt), a.Outcome, a.Evidence).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: record action: %w", err)
	}
	return id, nil
}

func (s *sqlStore) Actions(ctx context.Context, fp string) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, fingerprint, kind, target, planned_at, applied_at, outcome, evidence
		FROM actions WHERE fingerprint = ? ORDER BY id`), fp)
	if err != nil {
		return nil, fmt.Errorf("store: actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var p, ap int64
		if err := rows.Scan(&a.ID, &a.Fingerprint, &a.Kind, &a.Target, &p, &ap, &a.Outcome, &a.Evidence); err != nil {
			return nil, fmt.Errorf("store: actions: %w", err)
		}
		a.PlannedAt, a.AppliedAt = fromTm(p), fromTm(ap)
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *sqlStore) PutTicket(ctx context.Context, t Ticket) error {
	up := t.UpdatedAt
	if up.IsZero() {
		up = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tickets (fingerprint, system, ticket_key, url, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint, system) DO UPDATE SET ticket_key = excluded.ticket_key, url = excluded.url,
		state = excluded.state, updated_at = excluded.updated_at`),
		t.Fingerprint, t.System, t.Key, t.URL, t.State, tm(up))
	if err != nil {
		return fmt.Errorf("store: put ticket: %w", err)
	}
	return nil
}

func (s *sqlStore) Ticket(ctx context.Context, fp, system string) (Ticket, error) {
	var t Ticket
	var up int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT fingerprint, system, ticket_key, url, state, updated_at FROM tickets
		WHERE fingerprint = ? AND system = ?`), fp, system).Scan(&t.Fingerprint, &t.System, &t.Key, &t.URL, &t.State, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, fmt.Errorf("store: ticket %s/%s: %w", fp, system, ErrNotFound)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("store: ticket: %w", err)
	}
	t.UpdatedAt = fromTm(up)
	return t, nil
}

// ---- reports ----

func (s *sqlStore) Changes(ctx context.Context, scope string, afterRun int64) ([]Change, error) {
	runs := `(SELECT id FROM runs WHERE scope = ? AND id > ?)`
	queries := []struct {
		reason, query string
	}{
		{ChangeNew, `SELECT fingerprint, first_run FROM secrets WHERE first_run IN ` + runs},
		{ChangeLiveAgain, `SELECT fingerprint, MAX(run_id) FROM verifications WHERE live_again = 1 AND run_id IN ` + runs + ` GROUP BY fingerprint`},
		{ChangeReappeared, `SELECT l.fingerprint, MAX(l.run_id) FROM locations l JOIN secrets s ON s.fingerprint = l.fingerprint
			WHERE l.run_id IN ` + runs + ` AND s.first_run NOT IN ` + runs + ` GROUP BY l.fingerprint`},
	}
	seen := map[string]bool{}
	var out []Change
	for _, qq := range queries {
		args := []any{scope, afterRun}
		if qq.reason == ChangeReappeared {
			args = append(args, scope, afterRun)
		}
		var batch []Change
		err := func() error {
			rows, err := s.db.QueryContext(ctx, s.q(qq.query), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				c := Change{Reason: qq.reason}
				if err := rows.Scan(&c.Fingerprint, &c.RunID); err != nil {
					return err
				}
				batch = append(batch, c)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("store: changes: %w", err)
		}
		sort.Slice(batch, func(i, j int) bool { return batch[i].Fingerprint < batch[j].Fingerprint })
		for _, c := range batch {
			if !seen[c.Fingerprint] {
				seen[c.Fingerprint] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func (s *sqlStore) counts(ctx context.Context, query string) ([]Count, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func toMap(cs []Count) map[string]int {
	m := make(map[string]int, len(cs))
	for _, c := range cs {
		m[c.Key] = c.N
	}
	return m
}

func (s *sqlStore) Summary(ctx context.Context) (Summary, error) {
	var sum Summary
	err := func() error {
		byStatus, err := s.counts(ctx, `SELECT status, COUNT(*) FROM secrets GROUP BY status ORDER BY status`)
		if err != nil {
			return err
		}
		sum.ByStatus = toMap(byStatus)
		for _, c := range byStatus {
			sum.Secrets += c.N
		}
		if sum.ByRepo, err = s.counts(ctx, `SELECT repo, COUNT(DISTINCT fingerprint) FROM locations GROUP BY repo ORDER BY 2 DESC, 1`); err != nil {
			return err
		}
		if sum.ByProvider, err = s.counts(ctx, `SELECT provider, COUNT(*) FROM secrets GROUP BY provider ORDER BY 2 DESC, 1`); err != nil {
			return err
		}
		if sum.LiveByRepo, err = s.counts(ctx, `SELECT l.repo, COUNT(DISTINCT l.fingerprint) FROM locations l JOIN secrets s
			ON s.fingerprint = l.fingerprint WHERE s.status = 'live' GROUP BY l.repo ORDER BY 2 DESC, 1`); err != nil {
			return err
		}
		if sum.LiveByProvider, err = s.counts(ctx, `SELECT provider, COUNT(*) FROM secrets WHERE status = 'live' GROUP BY provider ORDER BY 2 DESC, 1`); err != nil {
			return err
		}
		byState, err := s.counts(ctx, `SELECT state, COUNT(*) FROM repos GROUP BY state ORDER BY state`)
		if err != nil {
			return err
		}
		sum.ReposByState = toMap(byState)
		for _, c := range byState {
			sum.Repos += c.N
		}
		rows, err := s.db.QueryContext(ctx, `SELECT first_seen, dead_at FROM secrets WHERE status = 'dead' AND dead_at > 0`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var fs, da int64
			if err := rows.Scan(&fs, &da); err != nil {
				return err
			}
			if d := time.Duration(da-fs) * time.Microsecond; d > 0 {
				total += d
			}
			sum.DeadSecrets++
		}
		if sum.DeadSecrets > 0 {
			sum.MeanTimeToDead = total / time.Duration(sum.DeadSecrets)
		}
		return rows.Err()
	}()
	if err != nil {
		return Summary{}, fmt.Errorf("store: summary: %w", err)
	}
	return sum, nil
}

func (s *sqlStore) Trend(ctx context.Context, scope string, limit int) ([]TrendPoint, error) {
	query, args := `SELECT id, scope, finished_at, open_live, new_secrets, findings FROM runs WHERE finished_at > 0`, []any{}
	if scope != "" {
		query += ` AND scope = ?`
		args = append(args, scope)
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: trend: %w", err)
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var p TrendPoint
		var fin int64
		if err := rows.Scan(&p.RunID, &p.Scope, &fin, &p.OpenLive, &p.NewSecrets, &p.Findings); err != nil {
			return nil, fmt.Errorf("store: trend: %w", err)
		}
		p.FinishedAt = fromTm(fin)
		p.Day = p.FinishedAt.Truncate(24 * time.Hour)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: trend: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// FingerprintKey implements Store: 32 random bytes, stored hex encoded in
// settings on first use; concurrent first uses agree on the one inserted
// first.
func (s *sqlStore) FingerprintKey(ctx context.Context) ([]byte, error) {
	var v string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
			"fingerprint_key", hex.EncodeToString(b)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), "fingerprint_key").Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("store: fingerprint key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, errors.New("store: fingerprint key: the stored value is not a key")
	}
	return key, nil
}

// adoptAliases moves what the store holds under a credential's older
// fingerprints (per-rule forms written by earlier versions, or the
// fingerprints of parts now assembled into one credential) to its
// fingerprint fp, so its history, actions and tickets carry over and it is
// not reported as new.
func (s *sqlStore) adoptAliases(ctx context.Context, tx *sql.Tx, fp string, aliases []string) error {
	for _, a := range aliases {
		if a == fp || a == "" {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM secrets WHERE fingerprint = ?`), a).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		var have int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM secrets WHERE fingerprint = ?`), fp).Scan(&have); err != nil {
			return err
		}
		stmts := []string{
			`UPDATE verifications SET fingerprint = ? WHERE fingerprint = ?`,
			`UPDATE actions SET fingerprint = ? WHERE fingerprint = ?`,
			`UPDATE tickets SET fingerprint = ? WHERE fingerprint = ? AND system NOT IN (SELECT system FROM tickets WHERE fingerprint = ?)`,
		}
		// The first alias found becomes the credential's row (a copy under
		// fp: rows of other tables refer to it); the locations of every
		// alias join it.
		pre := []string{}
		if have == 0 {
			pre = append(pre, `INSERT INTO secrets (fingerprint, rule_id, provider, severity, redacted, secret_hash, first_seen, last_seen,
				first_run, last_run, status, verified_at, dead_at, identity, privilege, in_head)
				SELECT ?, rule_id, provider, severity, redacted, secret_hash, first_seen, last_seen,
				first_run, last_run, status, verified_at, dead_at, identity, privilege, in_head FROM secrets WHERE fingerprint = ?`)
		}
		pre = append(pre, `INSERT INTO locations (fingerprint, repo, commit_sha, path, line, col, author, email, authored_at, in_head, run_id)
				SELECT ?, repo, commit_sha, path, line, col, author, email, authored_at, in_head, run_id FROM locations WHERE fingerprint = ?
				ON CONFLICT (fingerprint, repo, commit_sha, path, line, col) DO NOTHING`)
		stmts = append(pre, stmts...)
		for _, q := range stmts {
			args := []any{fp, a}
			if strings.Count(q, "?") == 3 {
				args = append(args, fp)
			}
			if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
				return fmt.Errorf("adopting an older fingerprint: %w", err)
			}
		}
		for _, q := range []string{`DELETE FROM locations WHERE fingerprint = ?`, `DELETE FROM tickets WHERE fingerprint = ?`, `DELETE FROM secrets WHERE fingerprint = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), a); err != nil {
				return fmt.Errorf("adopting an older fingerprint: %w", err)
			}
		}
	}
	return nil
}

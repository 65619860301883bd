package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/internal/store"
)

func TestSQLiteConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state", "nhiscan.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestPostgresConformance runs the same suite against the Postgres DSN in
// NHISCAN_TEST_POSTGRES (.ci/run starts a server and sets it), each test in
// its own schema.
func TestPostgresConformance(t *testing.T) {
	dsn := os.Getenv("NHISCAN_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("NHISCAN_TEST_POSTGRES is not set on CI")
		}
		t.Skip("NHISCAN_TEST_POSTGRES not set")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	runConformance(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		b := make([]byte, 6)
		rand.Read(b)
		schema := "nhiscan_test_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		s, err := store.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		})
		return s
	})
}

func TestSQLiteFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "state.db")
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	secret := fixtures.NewGen(3).GitHubToken("ghp_")
	f := finding.Finding{Fingerprint: finding.Fingerprint("r", secret), RuleID: "r", Secret: secret, Redacted: finding.Redact(secret),
		Context: "token = " + secret, Locations: []finding.Location{{Commit: "c", Path: "p", Line: 1}}}
	if _, err := s.CommitRepoScan(context.Background(), store.RepoScan{Repo: store.Repo{URL: "u"}, Findings: []finding.Finding{f}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o700}, {filepath.Dir(dir), 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.mode {
			t.Errorf("%s: mode %o, want %o", c.path, got, c.mode)
		}
	}
	// No file of the store holds the secret.
	matches, _ := filepath.Glob(path + "*")
	for _, m := range matches {
		data, _ := os.ReadFile(m)
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the raw secret", m)
		}
		if fi, _ := os.Stat(m); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %o readable by others", m, fi.Mode().Perm())
		}
	}
}

func TestSQLiteRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.db")
	os.WriteFile(target, nil, 0o600)
	link := filepath.Join(dir, "state.db")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if _, err := store.Open(context.Background(), link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:hunter2@db:5432/x", "postgres://u:xxxxx@db:5432/x"},
		{"/var/lib/state.db", "/var/lib/state.db"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := store.Redact(c.in); got != c.want {
				t.Fatalf("Redact = %q, want %q", got, c.want)
			}
		})
	}
}

// TestSQLiteTwoWriters: two stores on one file (two crawlers, or a report
// reading while a crawl writes) wait for each other instead of failing.
func TestSQLiteTwoWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	var stores []store.Store
	for i := 0; i < 2; i++ {
		s, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	errs := make(chan error, 40)
	done := make(chan struct{})
	for w, s := range stores {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 20; i++ {
				secret := fmt.Sprintf("writer-%d-secret-%d", w, i)
				f := finding.Finding{Fingerprint: finding.Fingerprint("r", secret), RuleID: "r", Secret: secret,
					Locations: []finding.Location{{Commit: "c", Path: "p", Line: i + 1}}}
				_, err := s.CommitRepoScan(ctx, store.RepoScan{Repo: store.Repo{URL: fmt.Sprintf("u%d-%d", w, i)}, Findings: []finding.Finding{f}})
				errs <- err
				if _, err := s.Summary(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	<-done
	<-done
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sum, err := stores[0].Summary(ctx)
	if err != nil || sum.Secrets != 40 || sum.Repos != 40 {
		t.Fatalf("summary = %+v, %v", sum, err)
	}
}

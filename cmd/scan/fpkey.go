package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"nhiscan/finding"
	"nhiscan/internal/store"
)

// The fingerprint key makes a credential's fingerprint a keyed hash, so a
// weak secret (a short password) cannot be guessed back from a fingerprint
// that travels to SARIF, annotations, ticket titles or tracker labels.
//
// Where it comes from, first found wins:
//   - NHISCAN_FINGERPRINT_KEY: the key itself (any text of 16 bytes or
//     more). A team sets the same one on developer machines and in CI so
//     that fingerprints, baselines and ignore files agree everywhere.
//   - NHISCAN_FINGERPRINT_KEY_FILE: a file holding it.
//   - scan org --state: the store's own key, created on first use and
//     shared by every shard of the crawl.
//   - the installation's key file, $XDG_CONFIG_HOME/nhiscan/fingerprint.key
//     (0600), created on first use.
const (
	envFingerprintKey     = "NHISCAN_FINGERPRINT_KEY"
	envFingerprintKeyFile = "NHISCAN_FINGERPRINT_KEY_FILE"
	minFingerprintKey     = 16
)

// fingerprinter returns the run's Fingerprinter (see above); st may be nil.
func (g *globalOpts) fingerprinter(ctx context.Context, st store.Store) (finding.Fingerprinter, error) {
	if g.fpSet {
		return g.fp, nil
	}
	key, err := fingerprintKey(ctx, st)
	if err != nil {
		return finding.Fingerprinter{}, err
	}
	g.fp, g.fpSet = finding.NewFingerprinter(key), true
	return g.fp, nil
}

func fingerprintKey(ctx context.Context, st store.Store) ([]byte, error) {
	if v := os.Getenv(envFingerprintKey); v != "" {
		if len(v) < minFingerprintKey {
			return nil, fmt.Errorf("%s: a key needs at least %d characters", envFingerprintKey, minFingerprintKey)
		}
		return []byte(v), nil
	}
	if p := os.Getenv(envFingerprintKeyFile); p != "" {
		return readKeyFile(p)
	}
	if st != nil {
		return st.FingerprintKey(ctx)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: no configuration folder (%v): set %s", err, envFingerprintKey)
	}
	p := filepath.Join(dir, "nhiscan", "fingerprint.key")
	key, err := readKeyFile(p)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createKeyFile(p)
}

func readKeyFile(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if len(v) < minFingerprintKey {
		return nil, fmt.Errorf("fingerprint key %s: a key needs at least %d characters", p, minFingerprintKey)
	}
	return []byte(v), nil
}

// createKeyFile writes a new random key to p (0600, its folder 0700),
// whole or not at all: it is written to a temporary file that is then
// linked into place. When another process created p first, that key is
// used.
func createKeyFile(p string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("fingerprint key: %w (or set %s)", err, envFingerprintKey)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	key := hex.EncodeToString(b)
	tmp, err := os.CreateTemp(filepath.Dir(p), ".fingerprint.key.*")
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w (or set %s)", err, envFingerprintKey)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(key + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("fingerprint key: %w", werr)
	}
	if err := os.Link(tmp.Name(), p); errors.Is(err, fs.ErrExist) {
		return readKeyFile(p)
	} else if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	return []byte(key), nil
}

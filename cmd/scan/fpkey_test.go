package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

// TestFingerprintKey: fingerprints are keyed hashes. Without a configured
// key, the installation's key file is created once (0600) and reused, so
// fingerprints are stable within an installation; a weak secret cannot be
// guessed back from a fingerprint by hashing candidates without the key;
// a per-rule fingerprint of an earlier version still suppresses the secret
// in an ignore file.
func TestFingerprintKey(t *testing.T) {
	t.Setenv(envFingerprintKey, "")
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	weak := "Winter2024!"
	repo := fixtures.NewRepo(t)
	repo.CommitFiles("db", map[string]string{"config/db.env": "DATABASE_URL=postgres://app:" + weak + "@db.internal:5432/app\n"})
	scanFP := func() string {
		t.Helper()
		out, code := runCLI(t, "git", repo.Dir(), "--format", "json", "--quiet")
		if code != 1 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		var rep struct {
			Findings []struct {
				Fingerprint string   `json:"fingerprint"`
				Aliases     []string `json:"aliases"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil || len(rep.Findings) != 1 {
			t.Fatalf("report: %v\n%s", err, out)
		}
		return rep.Findings[0].Fingerprint
	}
	first := scanFP()
	keyFile := filepath.Join(cfg, "nhiscan", "fingerprint.key")
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if second := scanFP(); second != first {
		t.Fatalf("fingerprint changed between two runs of one installation: %s, %s", first, second)
	}
	// Guessing: hash a list of candidate passwords the unkeyed ways.
	for _, cand := range []string{"password", "Summer2024!", weak, "Winter2025!"} {
		sum := sha256.Sum256([]byte(cand))
		for _, guess := range []string{hex.EncodeToString(sum[:16]), finding.Fingerprint("database-url-password", cand), (finding.Fingerprinter{}).Of(cand)} {
			if guess == first {
				t.Fatalf("the fingerprint of %q was recovered without the key", cand)
			}
		}
	}
	// Another installation (another key) gives another fingerprint.
	t.Setenv(envFingerprintKey, "another-installation-key")
	if other := scanFP(); other == first {
		t.Fatal("two keys gave one fingerprint")
	}
	// An earlier version's per-rule fingerprint in .gitleaksignore still
	// suppresses the secret.
	ignore := filepath.Join(t.TempDir(), ".gitleaksignore")
	if err := os.WriteFile(ignore, []byte(finding.Fingerprint("database-url-password", weak)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runCLI(t, "git", repo.Dir(), "--gitleaks-ignore-path", ignore, "--quiet"); code != 0 {
		t.Fatalf("old-form fingerprint did not suppress the secret: exit %d\n%s", code, out)
	}
}

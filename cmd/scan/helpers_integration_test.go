package main

import (
	"nhiscan/finding"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// testFingerprintKey is the fingerprint key of every run in these tests
// (the CLI's and the built binary's, through the environment).
const testFingerprintKey = "nhiscan-test-fingerprint-key"

// testFP is the fingerprint the CLI gives a credential in these tests.
func testFP(secret string) string {
	return finding.NewFingerprinter([]byte(testFingerprintKey)).Of(secret)
}

func TestMain(m *testing.M) {
	os.Setenv(envFingerprintKey, testFingerprintKey)
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildScan builds this command once per test binary as a file named `scan`
// and returns its absolute path, for tests that run it as git hooks do.
func buildScan(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "nhiscan-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "scan")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("building scan: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// moduleRoot is the folder holding go.mod (tests run in cmd/scan).
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}

// isolateGitConfig keeps the machine's git configuration (a global
// core.hooksPath, say) out of tests that run git through the scan command.
func isolateGitConfig(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", empty)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

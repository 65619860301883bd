package scanner

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"nhiscan/fixtures"
)

// Hostile inputs: content crafted to make the scanner slow or hungry. The
// tests check what is found and that cancellation is honoured; how the cost
// grows with the input is measured by BenchmarkHostile (never by a timed
// test).

// hostileInput builds one of the crafted inputs with n secrets in it.
func hostileInput(kind string, n int) []byte {
	r := rand.New(rand.NewSource(int64(n)))
	tok := func() string {
		const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := make([]byte, 32)
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		return string(b)
	}
	var sb strings.Builder
	switch kind {
	case "minified-tokens": // one line of {"token":"…","token":"…",…}
		sb.WriteString("{")
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `"token":"%s"`, tok())
		}
		sb.WriteString("}")
	case "api-key-line": // one line of api_key=…; assignments
		for range n {
			fmt.Fprintf(&sb, "api_key=%s; ", tok())
		}
	case "nested-base64": // text with n secrets, base64-encoded five times
		for i := range n {
			fmt.Fprintf(&sb, "line %d password = \"%s\" with some padding text\n", i, tok())
		}
		b := []byte(sb.String())
		for range 5 {
			b = []byte(base64.StdEncoding.EncodeToString(b))
		}
		return b
	default:
		panic(kind)
	}
	return []byte(sb.String())
}

var hostileKinds = []string{"minified-tokens", "api-key-line", "nested-base64"}

// Every secret of a hostile input is still found (once, at its place).
func TestHostileInputsFound(t *testing.T) {
	e := testEngine(t)
	for _, kind := range hostileKinds {
		t.Run(kind, func(t *testing.T) {
			const n = 300
			data := hostileInput(kind, n)
			tx := splitLines(data, nil)
			hits := dedupHits(e.scanLines(testCtx(t), tx, 0, tx.lines()-1, "data.txt", nil))
			secrets := map[string]bool{}
			for _, h := range hits {
				secrets[h.Secret] = true
				if len(h.Context) > 2*contextBytes+len(h.Match)+2 {
					t.Errorf("context of %d bytes: bounded around the match, not the line", len(h.Context))
				}
			}
			// The generic rule drops a few random values (entropy); nearly
			// all must be there.
			if len(secrets) < n*9/10 {
				t.Errorf("%d distinct secrets found, want about %d", len(secrets), n)
			}
		})
	}
}

// A scan stops inside a blob once its context is cancelled, and reports
// the cancellation instead of a partial result.
func TestHostileInputCancelled(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range hostileKinds {
		if err := os.WriteFile(filepath.Join(dir, kind+".txt"), hostileInput(kind, 2000), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestScanner(t)
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.ScanDir(ctx, dir); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("inside a blob", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var windows atomic.Int64
		dumpHook = func(string, string) {
			if windows.Add(1) == 3 {
				cancel()
			}
		}
		defer func() { dumpHook = nil }()
		if _, err := s.ScanDir(ctx, dir); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// Each file has thousands of windows: stopping after the first few
		// means cancellation reached inside the blobs.
		if n := windows.Load(); n > 1000 {
			t.Errorf("%d windows scanned after cancellation", n)
		}
	})
	t.Run("history", func(t *testing.T) {
		r := fixtures.NewRepo(t)
		r.CommitFiles("add", map[string]string{"min.json": string(hostileInput("minified-tokens", 2000))})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var windows atomic.Int64
		dumpHook = func(string, string) {
			if windows.Add(1) == 3 {
				cancel()
			}
		}
		defer func() { dumpHook = nil }()
		if _, err := s.ScanHistory(ctx, r.Dir(), HistoryOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// BenchmarkHostile measures the crafted inputs at doubling sizes: linear
// cost shows as a constant ns/byte and B/byte across sizes.
//
//	go test ./scanner -run '^$' -bench Hostile -benchmem
func BenchmarkHostile(b *testing.B) {
	e := testEngine(b)
	for _, kind := range hostileKinds {
		for _, n := range []int{1000, 2000, 4000, 8000} {
			data := hostileInput(kind, n)
			b.Run(fmt.Sprintf("%s/%dKB", kind, len(data)>>10), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var found int
				for b.Loop() {
					tx := splitLines(data, nil)
					found = len(dedupHits(e.scanLines(context.Background(), tx, 0, tx.lines()-1, "data.txt", nil)))
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(data)), "ns/byte")
				b.ReportMetric(float64(found), "hits")
			})
		}
	}
}

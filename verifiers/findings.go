package verifiers

import (
	"context"

	"golang.org/x/sync/errgroup"

	"nhiscan/scanner"
)

// VerifyFindings verifies every finding of fs that has a provider with a
// verifier and sets its Verification; findings without one are left nil
// (not verified). At most parallel checks run at once (default 16); each
// unique secret is still sent only once (see Checker). Secrets are never
// copied into the result.
func (k *Checker) VerifyFindings(ctx context.Context, fs []scanner.Finding, parallel int) {
	if parallel <= 0 {
		parallel = 16
	}
	var g errgroup.Group
	g.SetLimit(parallel)
	for i := range fs {
		f := &fs[i]
		if f.Secret == "" || f.Provider == "" {
			continue
		}
		if _, ok := k.reg.Lookup(f.Provider); !ok {
			continue
		}
		g.Go(func() error {
			r := k.Verify(ctx, f.Provider, f.Secret)
			f.Verification = ToFinding(r)
			return nil
		})
	}
	_ = g.Wait()
}

// ToFinding converts a Result to the scanner model.
func ToFinding(r Result) *scanner.Verification {
	return &scanner.Verification{
		Status:    r.Status.String(),
		Reason:    r.Reason,
		CheckedAt: r.CheckedAt,
		Identity:  r.Identity,
		Privileges: scanner.Privileges{
			Level: r.Privileges.Level, Scopes: r.Privileges.Scopes, Flags: r.Privileges.Flags,
		},
		Endpoint: r.Endpoint,
	}
}

package remediate

import (
	"context"

	"nhiscan/finding"
	"nhiscan/verifiers"
)

// FreshVerifier re-verifies through package verifiers with a new Checker
// for every call, so an answer cached before a revocation is never reused.
func FreshVerifier(reg *verifiers.Registry, c *verifiers.Client) Verifier {
	return VerifierFunc(func(ctx context.Context, f *finding.Finding) *finding.Verification {
		if _, ok := reg.Lookup(f.Provider); !ok {
			return nil
		}
		fs := []finding.Finding{*f}
		fs[0].Verification = nil
		verifiers.NewChecker(reg, c).VerifyFindings(ctx, fs, 1)
		return fs[0].Verification
	})
}

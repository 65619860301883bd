package main

import (
	"context"
	"errors"

	"nhiscan/finding"
	"nhiscan/internal/intake"
	"nhiscan/rules"
	"nhiscan/verifiers"
)

// takeIn treats the findings of an earlier report as untrusted input (see
// package intake) for scan verify and scan remediate. For each finding it
// checks the report's claims, takes its secret from the report or re-reads
// it from src (--repo), checks the secret against the claims, and finds
// the credential's parts around it. refused holds, by index, the findings
// that failed a check (nothing may be sent or done for them); missing
// those whose secret could not be had.
func (g *globalOpts) takeIn(ctx context.Context, rs *rules.Ruleset, reg *verifiers.Registry, src *secretSource, fs []finding.Finding) (refused, missing map[int]string, err error) {
	fp, err := g.fingerprinter(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	ck := &intake.Checker{Rules: rs, Shapes: reg, Fingerprints: fp}
	refused, missing = map[int]string{}, map[int]string{}
	for i := range fs {
		f := &fs[i]
		f.Context, f.Parts = "", nil // never taken from a report
		if err := ck.Claims(f); err != nil {
			refused[i] = reason(err)
			f.Secret = ""
			continue
		}
		// With --repo the secret is read again where it was found, even when
		// the report holds it: the text around it gives the credential's
		// parts (a key file's client_email, an AWS key id).
		secret, reread := f.Secret, false
		if src != nil && f.Fingerprint != "" {
			s, around, err := src.recoverWithContext(ctx, rs, f, func(s string) bool { ok, _ := ck.FingerprintOf(f, s); return ok })
			switch {
			case err == nil:
				secret, reread, f.Context = s, true, around
			case secret == "":
				missing[i] = err.Error()
				continue
			}
		}
		if secret == "" {
			switch {
			case f.Fingerprint == "":
				missing[i] = "the report has neither the secret nor its fingerprint (a redacted gitleaks report?)"
			case src == nil:
				missing[i] = "the report holds no secret (redacted): pass --repo PATH to re-read it from the repository, or use a report written with --show-secrets"
			}
			continue
		}
		if err := ck.Secret(f, secret, reread); err != nil {
			refused[i] = reason(err)
			f.Secret, f.Context = "", ""
			continue
		}
		f.Secret, f.Redacted = secret, finding.Redact(secret)
		if _, parts, ok := reg.CredentialParts(f, nil); ok {
			f.Parts = parts
		}
	}
	return refused, missing, nil
}

func reason(err error) string {
	var r *intake.Refusal
	if errors.As(err, &r) {
		return "refused: " + r.Reason
	}
	return err.Error()
}

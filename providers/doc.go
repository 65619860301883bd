// Package providers is where each provider nhiscan knows lives, one
// package per provider: providers/<id>/<id>.go, where <id> is the
// provider id of rules/meta.go ("github", "aws", "atlassian"…).
//
// A provider package holds everything about its provider, on one type
// named Provider:
//
//   - its shape check, Owns (verifiers.Shaper): whether a string has the
//     form of its credentials, offline; a report's claim is re-derived
//     from it before any secret is sent;
//   - its parts, Pair (verifiers.Pairer, optional): the companions found
//     beside the secret (an AWS key id, an Azure tenant and client id);
//   - its verification, Hosts and Verify (verifiers.Verifier): a free,
//     read-only identity call on its fixed official hosts, or on the
//     self-hosted hosts of the operator's config;
//   - its remediation, Remediation (remediate.Remediator, optional):
//     revoke and rotate actions, a re-check, and the manual steps a
//     ticket gives when there is no API;
//   - the helpers only it needs.
//
// Layering (imports point down only):
//
//	cmd/scan
//	providers/all          the one list of providers
//	providers/<id>         one provider
//	verifiers, remediate   the engines, and the kits providers are written with
//	internal/egress        the one guarded HTTP client; finding, the model
//
// A provider package imports the kits (verifiers, remediate), never
// another provider, and registers nothing itself: providers/all lists it
// once. Its fake API is one file under fixtures/fakeapi, its conformance
// specs are lines in providers/providertest, and providers/all's
// TestParity fails when a declared capability has no spec or fake route.
// docs/adding-a-provider.md walks through adding one.
package providers

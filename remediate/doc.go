// Package remediate closes the gap a leaked credential opens: it revokes the
// credential at its provider, rotates it (a new credential written to a
// configured destination before the old one is disabled) or opens a ticket
// for its owner.
//
// Work is always planned first. Plan has no side effect at any provider: it
// reads the findings (with their verification), the Policy and the audit
// trail, and returns a readable list of exactly which API calls each action
// would make and why. Apply executes a plan: it is idempotent (an already
// revoked credential, an existing ticket, a step already done are
// recognised), re-verifies each credential afterwards through package
// verifiers, and records every planned and applied action with its evidence
// in the audit trail (a 0600 JSONL file, and the store when one is wired).
//
// Each provider declares what it supports (revoke, rotate, re-check, manual
// steps) as a Registration in its own package (providers/<name>, written
// with this package's kit: Simple, StatusMap, HTTPCheck, Header, Blocked…);
// providers/all lists them and the caller puts the Registry in the Env. All
// traffic to providers goes through Client,
// which, like verifiers.Client, allows only HTTPS to the provider's fixed
// official hosts, or to the one host an operator configured for self-hosted
// services (GitLab self-managed, Vault, Jira, GitHub Enterprise). Nothing read
// from scanned content can add a host. Secrets never appear in a plan, a log
// line, an error, an audit record or a ticket.
package remediate

package docgen

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"nhiscan/providers/all"
	"nhiscan/rules"
	"nhiscan/verifiers"
)

// ProvidersSection is the name of the generated section of
// docs/providers.md.
const ProvidersSection = "provider table"

// providerRow is one provider as the registries describe it.
type providerRow struct {
	Provider string
	Rules    []string // rule ids whose findings carry this provider id
	Hosts    []string // the fixed hosts its verifier may call
	Extra    []string // hosts it may call only beside a configured one
	Verify   bool     // a verifier is registered
	Offline  bool     // verified offline: no host at all
	Operator bool     // also hosts named in the operator's verify config
	Revoke   bool     // remediate has a revocation API call
	Rotate   bool     // remediate has a rotation
	Manual   string   // how a person revokes it
}

// configuredHost stands for an operator-configured host while the
// registries are read; it is never shown.
const configuredHost = "configured.invalid"

// providerRows reads the rule, verifier and remediation registries. It is
// the only function here that knows their APIs.
func providerRows() ([]providerRow, error) {
	rows := map[string]*providerRow{}
	row := func(p string) *providerRow {
		if rows[p] == nil {
			rows[p] = &providerRow{Provider: p}
		}
		return rows[p]
	}
	rs, err := rules.Load(rules.Options{})
	if err != nil {
		return nil, err
	}
	for _, id := range rs.IDs() {
		if p := rs.Meta(id).Provider; p != "" {
			row(p).Rules = append(row(p).Rules, id)
		}
	}
	cfg := verifiers.Config{Hosts: map[string][]string{}}
	for _, p := range verifiers.SelfHosted {
		cfg.Hosts[p] = []string{configuredHost}
	}
	configured, err := all.Registry(cfg)
	if err != nil {
		return nil, err
	}
	def := all.Default()
	for _, p := range def.Providers() {
		r := row(p)
		r.Verify = true
		v, _ := def.Lookup(p)
		cv, _ := configured.Lookup(p)
		r.Hosts = slices.Clone(v.Hosts())
		for _, h := range cv.Hosts() {
			if h == configuredHost {
				r.Operator = true
			} else if !slices.Contains(r.Hosts, h) {
				r.Extra = append(r.Extra, h)
			}
		}
		r.Offline = len(r.Hosts) == 0 && !r.Operator
	}
	rem := all.RemediationRegistry()
	for _, entry := range rem.Providers() {
		p, _, _ := strings.Cut(entry, ":")
		reg, ok := rem.Lookup(p)
		if !ok {
			continue
		}
		r := row(p)
		r.Revoke, r.Rotate, r.Manual = reg.Revoke != nil, reg.Rotate != nil, reg.Manual
	}
	out := make([]providerRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// ProviderTable renders the provider table from the registries: the
// providers nhiscan can verify or remediate, then those it only detects.
func ProviderTable() ([]byte, error) {
	rows, err := providerRows()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("| provider | rules | verified at | revoke | rotate | by hand |\n|---|---|---|---|---|---|\n")
	var detected []providerRow
	for _, r := range rows {
		if !r.Verify && !r.Revoke && !r.Rotate && r.Manual == "" {
			detected = append(detected, r)
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n",
			r.Provider, codeList(r.Rules), verifiedAt(r), yes(r.Revoke), yes(r.Rotate), manual(r.Manual))
	}
	b.WriteString("\nDetected, but neither verified nor remediated (the finding names the provider and the rule's fix):\n\n")
	b.WriteString("| provider | rules |\n|---|---|\n")
	for _, r := range detected {
		fmt.Fprintf(&b, "| `%s` | %s |\n", r.Provider, codeList(r.Rules))
	}
	return b.Bytes(), nil
}

func verifiedAt(r providerRow) string {
	switch {
	case !r.Verify:
		return "not verified"
	case r.Offline:
		return "offline analysis only"
	}
	if !r.Operator {
		return codeList(r.Hosts)
	}
	s := "configured hosts only"
	if len(r.Hosts) > 0 {
		s = codeList(r.Hosts) + " and configured hosts"
	}
	if len(r.Extra) > 0 {
		s += " (with one: also " + codeList(r.Extra) + ")"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "—"
}

func manual(s string) string {
	if s == "" {
		return "—"
	}
	return cell(s)
}

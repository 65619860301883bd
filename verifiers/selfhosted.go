package verifiers

import "slices"

// SelfHostedPair is the Pair of a product reached only on hosts of the
// operator's config: the configured host the context names (or the only
// one configured) becomes the "host" companion.
func SelfHostedPair(s Sighting, configured []string) Credential {
	return Credential{Secret: s.Secret, Companions: Companions("host", ConfiguredHost(s.Context, s.Secret, configured, true))}
}

// SelfHostedHost returns the credential's host when the operator's config
// names it, or an Unknown result saying why nothing is sent.
func SelfHostedHost(product string, cred Credential, configured []string) (string, *Result) {
	h := cred.Companions["host"]
	switch {
	case len(configured) == 0:
		r := UnknownResult(product + ": no configured host (verify.hosts." + product + ")")
		return "", &r
	case h == "":
		r := UnknownResult(product + ": the context names none of the configured hosts")
		return "", &r
	case !slices.Contains(configured, h):
		r := UnknownResult(product + ": host " + Quote(h) + " is not configured")
		return "", &r
	}
	return h, nil
}

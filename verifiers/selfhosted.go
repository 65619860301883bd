package verifiers

import "slices"

// selfHostedPair is the Pair of a product reached only on hosts of the
// operator's config: the configured host the context names (or the only
// one configured) becomes the "host" companion.
func selfHostedPair(s Sighting, configured []string) Credential {
	return Credential{Secret: s.Secret, Companions: companions("host", configuredHost(s.Context, s.Secret, configured, true))}
}

// selfHostedHost returns the credential's host when the operator's config
// names it, or an Unknown result saying why nothing is sent.
func selfHostedHost(product string, cred Credential, configured []string) (string, *Result) {
	h := cred.Companions["host"]
	switch {
	case len(configured) == 0:
		r := unknown(product + ": no configured host (verify.hosts." + product + ")")
		return "", &r
	case h == "":
		r := unknown(product + ": the context names none of the configured hosts")
		return "", &r
	case !slices.Contains(configured, h):
		r := unknown(product + ": host " + quote(h) + " is not configured")
		return "", &r
	}
	return h, nil
}

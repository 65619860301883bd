// Package database is nhiscan's database URL provider: the shape of its credentials,
// their parts, their verification (see package providers).
package database

import (
	"context"
	"net"
	"net/url"
	"nhiscan/verifiers"
	"strings"
)

// Provider analyses database and broker URLs offline (scheme, host, port,
// user, database, and whether the host is private). It never connects:
// a login attempt on a third-party host is an access attempt and may lock
// the account. The status is always Unknown, "offline analysis only".
type Provider struct{}

var _ verifiers.Verifier = (*Provider)(nil)
var _ verifiers.Pairer = (*Provider)(nil)

func (*Provider) Provider() string { return "database" }

// Hosts is empty: this verifier makes no request.
func (*Provider) Hosts() []string { return nil }

var dbURL = verifiers.LazyRegexp(`(?i)\b((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)://[^\s'"<>]+)`)

// Pair finds the URL that holds the password the rule reported and keeps
// its parts (never the password) as companions.
func (*Provider) Pair(s verifiers.Sighting) verifiers.Credential {
	cand := []string{s.Secret}
	for _, m := range dbURL.FindAllStringSubmatch(s.Context, -1) {
		cand = append(cand, m[1])
	}
	for _, raw := range cand {
		u, err := url.Parse(strings.TrimRight(raw, ".,;)"))
		if err != nil || u.User == nil || u.Host == "" {
			continue
		}
		pw, ok := u.User.Password()
		if !ok || (pw != s.Secret && raw != s.Secret) {
			continue
		}
		return verifiers.Credential{Secret: pw, Companions: verifiers.Companions("scheme", strings.ToLower(u.Scheme), "host", u.Hostname(),
			"port", u.Port(), "user", u.User.Username(), "database", strings.TrimPrefix(u.Path, "/"))}
	}
	return verifiers.Credential{Secret: s.Secret}
}

func (*Provider) Verify(_ context.Context, _ *verifiers.Client, cred verifiers.Credential) (verifiers.Result, error) {
	r := verifiers.Result{Status: verifiers.Unknown, Reason: verifiers.OfflineOnly, Privileges: verifiers.Privileges{Level: "unknown"}}
	if cred.Companions["host"] == "" {
		r.Reason = verifiers.OfflineOnly + ": no database URL around it (host, user and database unknown)"
		return r, nil
	}
	r.Identity = map[string]string{}
	for k, v := range cred.Companions {
		r.Identity[k] = v
	}
	if privateHost(cred.Companions["host"]) {
		r.Privileges.Flags = []string{"private-host"}
	}
	return r, nil
}

// privateHost reports loopback, RFC 1918, link-local and internal names.
func privateHost(h string) bool {
	h = strings.ToLower(h)
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
	}
	return h == "localhost" || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal") || strings.HasSuffix(h, ".localhost") || !strings.Contains(h, ".")
}

// databaseShapes are the forms of Database credentials (see Shaper): strong
// identifies the provider, weak is merely possible.
var databaseShapes = [2]*verifiers.LazyRE{nil, verifiers.LazyRegexp(`^[^\s]{1,256}$`)}

// Owns implements Shaper.
func (*Provider) Owns(secret string) verifiers.Shape {
	return verifiers.ShapeOf(secret, databaseShapes[0], databaseShapes[1])
}

var _ verifiers.Shaper = (*Provider)(nil)

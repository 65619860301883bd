package verifiers

import (
	"context"
	"net"
	"net/url"
	"strings"
)

// Database analyses database and broker URLs offline (scheme, host, port,
// user, database, and whether the host is private). It never connects:
// a login attempt on a third-party host is an access attempt and may lock
// the account. The status is always Unknown, "offline analysis only".
type Database struct{}

var _ Verifier = (*Database)(nil)
var _ Pairer = (*Database)(nil)

func (*Database) Provider() string { return "database" }

// Hosts is empty: this verifier makes no request.
func (*Database) Hosts() []string { return nil }

var dbURL = lazyRegexp(`(?i)\b((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)://[^\s'"<>]+)`)

// Pair finds the URL that holds the password the rule reported and keeps
// its parts (never the password) as companions.
func (*Database) Pair(s Sighting) Credential {
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
		return Credential{Secret: pw, Companions: companions("scheme", strings.ToLower(u.Scheme), "host", u.Hostname(),
			"port", u.Port(), "user", u.User.Username(), "database", strings.TrimPrefix(u.Path, "/"))}
	}
	return Credential{Secret: s.Secret}
}

func (*Database) Verify(_ context.Context, _ *Client, cred Credential) (Result, error) {
	r := Result{Status: Unknown, Reason: OfflineOnly, Privileges: Privileges{Level: "unknown"}}
	if cred.Companions["host"] == "" {
		r.Reason = OfflineOnly + ": no database URL around it (host, user and database unknown)"
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
var databaseShapes = [2]*lazyRE{nil, lazyRegexp(`^[^\s]{1,256}$`)}

// Owns implements Shaper.
func (*Database) Owns(secret string) Shape {
	return shapeOf(secret, databaseShapes[0], databaseShapes[1])
}

var _ Shaper = (*Database)(nil)

package scanner

// Validators for the NHI pack's rules (rules/nhi.toml) whose keywords are
// common in code: each is a cheap necessary condition for the rule's regex
// to match around one keyword hit, on lower-cased text, so a hit it rejects
// opens no window. Like the validators of gitleaks' rules, they are used
// only while the rule's regex is the built-in one.

import "bytes"

func init() {
	for id, m := range nhiValidators {
		validators[id] = m
	}
}

func isB64URLish(c byte) bool { return isWordDash(c) || c == '+' || c == '/' || c == '=' || c == '.' }

func isB64OrEq(c byte) bool { return isB64Value(c) || c == '=' }

func isTokenChar(c byte) bool { return isB64URLish(c) || c == '~' }

// userinfoAfter accepts "user:password@" right after a "://": at most
// maxUser bytes of user, a colon, then a password, then '@', none of them a
// slash, space, quote or backslash.
func userinfoAfter(low []byte, end int) bool {
	colon := false
	for i, n := end, 0; i < len(low) && n < 64+1+256+1; i, n = i+1, n+1 {
		switch c := low[i]; c {
		case ':':
			colon = true
		case '@':
			// An unencoded '@' in the user (user@corp:pw@host) is
			// followed by the colon and the real '@'.
			if colon && i > end {
				return true
			}
		case '/', ' ', '\t', '\n', '\r', '\'', '"', '\\':
			return false
		}
	}
	return false
}

// schemeThenUserinfo accepts a scheme keyword followed (within a few bytes:
// "s", "ql", "+srv") by "://" and a user:password@.
func schemeThenUserinfo(low []byte, end int) bool {
	for i := end; i < len(low) && i < end+8; i++ {
		if low[i] == ':' {
			return i+2 < len(low) && low[i+1] == '/' && low[i+2] == '/' && userinfoAfter(low, i+3)
		}
		if !isAlnum(low[i]) && low[i] != '+' {
			return false
		}
	}
	return false
}

// assignedWithin accepts a keyword followed by at most maxName name bytes
// ([\w.-]), quotes and spaces, an assignment operator, quotes and spaces,
// and a run of at least min value bytes of class ok.
func assignedWithin(maxName, min int, ok func(byte) bool) validator {
	return func(low []byte, end int) bool {
		i := end
		for n := 0; i < len(low) && n < maxName && (isWordDash(low[i]) || low[i] == '.'); n++ {
			i++
		}
		for n := 0; i < len(low) && n < 8 && (low[i] == '\'' || low[i] == '"' || low[i] == '`' || isSpace(low[i])); n++ {
			i++
		}
		op := 0
		for i < len(low) && op < 3 && (low[i] == '=' || low[i] == ':' || low[i] == '>' || low[i] == ',') {
			i++
			op++
		}
		if op == 0 {
			return false
		}
		for n := 0; i < len(low) && n < 8 && (low[i] == '\'' || low[i] == '"' || low[i] == '`' || isSpace(low[i])); n++ {
			i++
		}
		return runOf(low, i, ok) >= min
	}
}

// lineStartBefore reports that only spaces and tabs precede a keyword of
// length klen ending at end on its line.
func lineStartBefore(low []byte, end, klen int) bool {
	for i := end - klen - 1; i >= 0; i-- {
		switch low[i] {
		case '\n':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// spacedValue accepts spaces or tabs, then at least min non-space bytes.
func spacedValue(min int) validator {
	return func(low []byte, end int) bool {
		i := end
		for i < len(low) && (low[i] == ' ' || low[i] == '\t') {
			i++
		}
		if i == end {
			return false
		}
		n := 0
		for i+n < len(low) && !isSpace(low[i+n]) {
			n++
		}
		return n >= min
	}
}

// jsonString accepts `\s*:\s*"` then at least min bytes before a quote.
func jsonString(min int) validator {
	return func(low []byte, end int) bool {
		i := end
		for i < len(low) && isSpace(low[i]) {
			i++
		}
		if i >= len(low) || low[i] != ':' {
			return false
		}
		i++
		for i < len(low) && isSpace(low[i]) {
			i++
		}
		if i >= len(low) || low[i] != '"' {
			return false
		}
		i++
		n := 0
		for i+n < len(low) && low[i+n] != '"' && low[i+n] != '\n' {
			n++
		}
		return n >= min
	}
}

// b64RunWithin accepts a run of at least min base64 bytes starting within
// the next reach bytes.
func b64RunWithin(reach, min int) validator {
	return func(low []byte, end int) bool {
		for i := end; i < len(low) && i <= end+reach; i++ {
			if n := runOf(low, i, isB64Value); n >= min {
				return true
			} else if n > 0 {
				i += n
			}
		}
		return false
	}
}

func not(c byte) func(byte) bool { return func(b byte) bool { return b != c && b != '\n' } }

var nhiValidators = map[string]map[string]validator{
	"url-password": {"://": userinfoAfter},
	"broker-url-password": func() map[string]validator {
		m := map[string]validator{}
		for _, k := range []string{"mqtt", "stomp", "ldap"} {
			m[k] = schemeThenUserinfo
		}
		for _, k := range []string{"nats://", "kafka://", "sqlserver://", "mssql://", "oracle://", "clickhouse://", "couchdb://",
			"cockroachdb://", "memcached://", "rabbitmq://", "influxdb://", "elasticsearch://", "opensearch://"} {
			m[k] = userinfoAfter
		}
		m["neo4j"] = schemeThenUserinfo
		return m
	}(),
	"database-url-password": {
		"postgres": schemeThenUserinfo, "mysql": schemeThenUserinfo, "mariadb": schemeThenUserinfo,
		"mongodb": schemeThenUserinfo, "redis": schemeThenUserinfo, "amqp": schemeThenUserinfo,
	},
	"basic-auth-header": {"authorization": func(low []byte, end int) bool {
		// "authorization", quotes, spaces and an operator, then "basic",
		// spaces and the base64 credentials.
		i := end
		for i < len(low) && (low[i] == '"' || low[i] == '\'' || low[i] == ':' || low[i] == '=' || low[i] == ',' || isSpace(low[i])) {
			i++
		}
		if i+5 >= len(low) || string(low[i:i+5]) != "basic" || !isSpace(low[i+5]) {
			return false
		}
		i += 5
		for i < len(low) && isSpace(low[i]) {
			i++
		}
		return runOf(low, i, isB64Value) >= 12
	}},
	"mailgun-api-key": {"key-": followedBy(32, isHexLower)},
	"telegram-bot-token": {":aa": func(low []byte, end int) bool {
		d := 0
		for i := end - 4; i >= 0 && d <= 10 && '0' <= low[i] && low[i] <= '9'; i-- {
			d++
		}
		return d >= 8 && runOf(low, end, isWordDash) >= 33
	}},
	"npmrc-auth": {
		"_auth":     assignedWithin(5, 8, func(c byte) bool { return !isSpace(c) && c != '\'' && c != '"' && c != '$' }),
		"_password": assignedWithin(0, 8, func(c byte) bool { return !isSpace(c) && c != '\'' && c != '"' && c != '$' }),
	},
	"netrc-password": {"password": spacedValue(4)},
	"pypirc-password": {"password": func(low []byte, end int) bool {
		return lineStartBefore(low, end, 8) && assignedWithin(0, 6, not(' '))(low, end)
	}},
	"winscp-password": {"password=": func(low []byte, end int) bool {
		return (end-9 == 0 || low[end-10] == '\n') || (end >= 14 && string(low[end-14:end]) == "passwordplain=")
	}},
	"kubeconfig-token": {"token:": func(low []byte, end int) bool {
		return spacedValue(20)(low, end) || (end < len(low) && runOf(low, end, isTokenChar) >= 20)
	}},
	"docker-config-auth": {`"auth"`: jsonString(8)},
	"aws-session-token":  {"session_token": assignedWithin(10, 100, isB64OrEq), "sessiontoken": assignedWithin(10, 100, isB64OrEq)},
	"azure-storage-account-key": {"accountkey": b64RunWithin(8, 86), "azure": b64RunWithin(64, 86),
		"storage": b64RunWithin(64, 86), "account": b64RunWithin(64, 86), "--account-key": b64RunWithin(8, 86),
		"destkey:": b64RunWithin(2, 86), "sourcekey:": b64RunWithin(2, 86)},
	"azure-sas-token":   {"sig=": followedBy(40, func(c byte) bool { return isB64Value(c) || c == '%' })},
	"s3cfg-secret-key":  {"secret_key": assignedWithin(0, 40, isB64Value)},
	"django-secret-key": {"secret_key": assignedWithin(0, 30, not('\''))},
	"cloudflare-legacy-api-token": {
		"cloudflare": assignedWithin(40, 40, isWordDash), "cf_api": assignedWithin(40, 40, isWordDash),
		"cf_token": assignedWithin(40, 40, isWordDash), "cf-api": assignedWithin(40, 40, isWordDash), "cfapi": assignedWithin(40, 40, isWordDash),
	},
	"datadog-api-key": {
		"datadog": assignedWithin(45, 32, isHexLower), "dd_api": assignedWithin(30, 32, isHexLower),
		"ddapi": assignedWithin(30, 32, isHexLower), "dd-api": assignedWithin(30, 32, isHexLower),
	},
	"datadog-app-key": {
		"datadog": assignedWithin(50, 40, isHexLower), "dd_app": assignedWithin(35, 40, isHexLower),
		"ddapp": assignedWithin(35, 40, isHexLower), "dd-app": assignedWithin(35, 40, isHexLower),
	},
	"discord-bot-token": {"discord": assignedWithin(30, 59, isB64URLish)},
	"twilio-auth-token": {"twilio": assignedWithin(40, 32, isHexLower)},
	"filezilla-password": {"<pass": func(low []byte, end int) bool {
		i := end
		if i < len(low) && low[i] == ' ' {
			for i < len(low) && i < end+24 && low[i] != '>' {
				i++
			}
		}
		return i < len(low) && low[i] == '>' && runOf(low, i+1, func(c byte) bool { return c != '<' && !isSpace(c) }) >= 4
	}},
	"terraform-state-secret": func() map[string]validator {
		m := map[string]validator{}
		for _, k := range []string{`"password"`, `"secret"`, `"access_key"`, `"secret_key"`, `"private_key"`, `"token"`, `"client_secret"`,
			`"master_password"`, `"admin_password"`, `"sas_token"`, `"primary_access_key"`, `"secondary_access_key"`, `"connection_string"`} {
			m[k] = jsonString(8)
		}
		return m
	}(),
	"pgpass-password": func() map[string]validator {
		// host:port:database:user:password — after ":port:", two fields
		// and a colon, then the password.
		v := func(low []byte, end int) bool {
			i := end
			for f := 0; f < 2; f++ {
				n := runOf(low, i, func(c byte) bool { return c != ':' && !isSpace(c) })
				if n >= maxRun {
					return true // too long to follow: accept
				}
				if n == 0 || i+n >= len(low) || low[i+n] != ':' {
					return false
				}
				i += n + 1
			}
			return runOf(low, i, func(c byte) bool { return !isSpace(c) }) >= 4
		}
		m := map[string]validator{}
		for _, k := range []string{":5432:", ":*:", ":6432:", ":5433:", ":5434:", ":5435:"} {
			m[k] = v
		}
		return m
	}(),
	"config-password":            {"pass": passwordAssignment, "pwd": passwordAssignment},
	"twilio-auth-token-with-sid": {"sid": sidWithin(64), "client(": sidWithin(8), "twilio": sidWithin(64)},
	"netrc-entry-password":       {"login": loginThenPassword},
	"connection-string-password": {"password=": followedBy(3, func(c byte) bool { return c != ';' && c != ',' && !isSpace(c) }), "pwd=": followedBy(3, func(c byte) bool { return c != ';' && !isSpace(c) })},
	"jenkins-credential-secret":  {"{aqaaab": followedBy(40, isB64Value)},
	"django-secret-key-default":  {"secret_key": envLookupAfter},
	"php-db-password": {

		"db_password": assignedWithin(12, 4, not('\'')), "db_pass": assignedWithin(12, 4, not('\'')), "dbpass": assignedWithin(12, 4, not('\'')),
	},
}

// passwordAssignment accepts a password-named key ("pass" or "pwd" and the
// rest of the name: "word", "wd", "phrase") followed, within a few bytes of
// name, quotes and spaces (an XML name="…password" value="…" too), by an
// assignment operator or a closing '>' and a value of at least 3 bytes.
func passwordAssignment(low []byte, end int) bool {
	i := end
	for n := 0; i < len(low) && n < 24; n++ {
		c := low[i]
		if c == '=' || c == ':' || c == '>' {
			break
		}
		if !(isAlnum(c) || c == '_' || c == '.' || c == '-' || c == '"' || c == '\'' || c == ' ' || c == '\t') {
			return false
		}
		i++
	}
	if i >= len(low) || (low[i] != '=' && low[i] != ':' && low[i] != '>') {
		return false
	}
	for n := 0; i < len(low) && n < 3 && (low[i] == '=' || low[i] == ':' || low[i] == '>'); n++ {
		i++
	}
	for n := 0; i < len(low) && n < 4 && (low[i] == '"' || low[i] == '\'' || low[i] == ' ' || low[i] == '\t'); n++ {
		i++
	}
	return runOf(low, i, func(c byte) bool { return !isSpace(c) && c != '"' && c != '\'' && c != '<' }) >= 3
}

// sidWithin accepts a Twilio account SID (ac and 32 hex, lower-cased) that
// starts within reach bytes after the keyword.
func sidWithin(reach int) validator {
	return func(low []byte, end int) bool {
		for i := end; i+34 <= len(low) && i <= end+reach; i++ {
			if low[i] == 'a' && low[i+1] == 'c' && runOf(low, i+2, isHexLower) >= 32 {
				return true
			}
		}
		return false
	}
}

// loginThenPassword accepts "login", blanks, a login, blanks or a line
// break, then "password".
func loginThenPassword(low []byte, end int) bool {
	i := end
	if i >= len(low) || (low[i] != ' ' && low[i] != '\t') {
		return false
	}
	for i < len(low) && (low[i] == ' ' || low[i] == '\t') {
		i++
	}
	n := runOf(low, i, func(c byte) bool { return !isSpace(c) })
	if n == 0 {
		return false
	}
	i += n
	for k := 0; i < len(low) && k < 64 && isSpace(low[i]); k++ {
		i++
	}
	return i+8 <= len(low) && string(low[i:i+8]) == "password"
}

// envLookupAfter accepts "secret_key", an '=' and an environment lookup
// (os.environ.get, os.getenv, env(, config(, getenv).
func envLookupAfter(low []byte, end int) bool {
	i := end
	for i < len(low) && (low[i] == ' ' || low[i] == '\t') {
		i++
	}
	if i >= len(low) || low[i] != '=' {
		return false
	}
	i++
	for i < len(low) && (low[i] == ' ' || low[i] == '\t') {
		i++
	}
	rest := low[i:min(i+16, len(low))]
	for _, p := range []string{"os.environ.get(", "os.getenv(", "env(", "env.str(", "config(", "getenv("} {
		if bytes.HasPrefix(rest, []byte(p)) {
			return true
		}
	}
	return false
}

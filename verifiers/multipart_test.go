package verifiers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"nhiscan/providers/all"
	"nhiscan/providers/aws"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/verifiers"
)

func lookup(t *testing.T, reg *verifiers.Registry, p string) verifiers.Verifier {
	t.Helper()
	v, ok := reg.Lookup(p)
	if !ok {
		t.Fatalf("no verifier %s", p)
	}
	return v
}

func TestPair(t *testing.T) {
	g := fixtures.NewGen(50)
	reg := testRegistry(t)
	id, sec := g.AWSKeyPair()
	id2, sec2 := g.AWSKeyPair()
	tenant, client := guid(g), guid(g)
	az := letters(g, 3) + "8Q~" + letters(g, 31)
	api, app := hex32(g), hex40(g)
	pat := g.DockerHubPAT()
	sid, tsec := g.TwilioKeySID(), alnum(g, 32)
	acct, tok := "AC"+hex32(g), alnum(g, 32)
	asia := "ASIA" + id[4:]
	sess := alnum(g, 120)
	for _, c := range []struct {
		name, provider string
		s              verifiers.Sighting
		secret         string
		want           map[string]string
	}{
		{"aws secret, id in context", "aws", verifiers.Sighting{Secret: sec, Context: "aws_access_key_id=" + id + "\naws_secret_access_key=" + sec}, sec, map[string]string{"key_id": id}},
		{"aws id, secret in context", "aws", verifiers.Sighting{Secret: id, Context: "AWS_ACCESS_KEY_ID: " + id + "\nAWS_SECRET_ACCESS_KEY: " + sec}, sec, map[string]string{"key_id": id}},
		{"aws nearest id wins", "aws", verifiers.Sighting{Secret: sec, Context: "a=" + id2 + "\n\n\n\n\n\n\n\n\n\n\n\nb=" + id + "\nsecret=" + sec}, sec, map[string]string{"key_id": id}},
		{"aws id from a sibling", "aws", verifiers.Sighting{Secret: sec, Context: "secret=" + sec,
			Siblings: []verifiers.Sibling{{RuleID: "aws-access-token", Provider: "aws", Secret: id}}}, sec, map[string]string{"key_id": id}},
		{"aws secret from a sibling", "aws", verifiers.Sighting{Secret: id, Context: "id=" + id,
			Siblings: []verifiers.Sibling{{RuleID: "aws-secret-access-key", Provider: "aws", Secret: sec}}}, sec, map[string]string{"key_id": id}},
		{"aws two profiles", "aws", verifiers.Sighting{Secret: sec, Context: "[a]\naws_access_key_id = " + id2 + "\naws_secret_access_key = " + sec2 +
			"\n[b]\naws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\n"}, sec, map[string]string{"key_id": id}},
		{"aws two profiles, first", "aws", verifiers.Sighting{Secret: sec2, Context: "[a]\naws_access_key_id = " + id2 + "\naws_secret_access_key = " + sec2 +
			"\n[b]\naws_access_key_id = " + id + "\naws_secret_access_key = " + sec + "\n"}, sec2, map[string]string{"key_id": id2}},
		{"aws commit id is not a secret", "aws", verifiers.Sighting{Secret: id, Context: "# fixed in 3f786850e387550fdab836ed7e6dc881de23001b\nkey: " + id}, "", map[string]string{"key_id": id}},
		{"aws alone", "aws", verifiers.Sighting{Secret: id}, "", map[string]string{"key_id": id}},
		{"aws secret from an s3cfg sibling", "aws", verifiers.Sighting{Secret: id, Context: "id=" + id,
			Siblings: []verifiers.Sibling{{RuleID: "s3cfg-secret-key", Provider: "aws", Secret: sec}}}, sec, map[string]string{"key_id": id}},
		{"aws session token finding", "aws", verifiers.Sighting{RuleID: "aws-session-token", Secret: sess,
			Context: "aws_access_key_id = " + asia + "\naws_secret_access_key = " + sec + "\naws_session_token = " + sess}, sec, map[string]string{"key_id": asia, "session_token": sess}},
		{"aws ASIA id, session token from a sibling", "aws", verifiers.Sighting{Secret: asia, Context: "AWS_ACCESS_KEY_ID=" + asia + "\nAWS_SECRET_ACCESS_KEY=" + sec,
			Siblings: []verifiers.Sibling{{RuleID: "aws-session-token", Provider: "aws", Secret: sess}}}, sec, map[string]string{"key_id": asia, "session_token": sess}},
		{"azure json", "azure", verifiers.Sighting{Secret: az, Context: `{"tenantId": "` + tenant + `", "clientId": "` + client + `", "clientSecret": "` + az + `"}`}, az,
			map[string]string{"tenant_id": tenant, "client_id": client}},
		{"azure authority URL", "azure", verifiers.Sighting{Secret: az, Context: "authority = https://login.microsoftonline.com/" + tenant + "\napp_id = " + client + "\nsecret = " + az}, az,
			map[string]string{"tenant_id": tenant, "client_id": client}},
		{"azure nothing", "azure", verifiers.Sighting{Secret: az, Context: "secret = " + az}, az, map[string]string{"tenant_id": "", "client_id": ""}},
		{"datadog app key finding", "datadog", verifiers.Sighting{Secret: app, Context: "DD_API_KEY=" + api + "\nDD_APP_KEY=" + app + "\nsite: us5.datadoghq.com"}, api,
			map[string]string{"app_key": app, "site": "api.us5.datadoghq.com"}},
		{"datadog api key finding", "datadog", verifiers.Sighting{Secret: api, Context: "datadog_api_key = " + api}, api, map[string]string{"app_key": "", "site": ""}},
		{"dockerhub docker login", "dockerhub", verifiers.Sighting{Secret: pat, Context: "echo " + pat + " | docker login -u ci-bot --password-stdin"}, pat, map[string]string{"username": "ci-bot"}},
		{"twilio key sid", "twilio", verifiers.Sighting{Secret: sid, Context: "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=" + tsec}, tsec, map[string]string{"sid": sid}},
		{"twilio auth token", "twilio", verifiers.Sighting{Secret: tok, Context: "TWILIO_ACCOUNT_SID=" + acct + "\nTWILIO_AUTH_TOKEN=" + tok}, tok, map[string]string{"sid": acct}},
		{"vault configured host", "vault", verifiers.Sighting{Secret: "hvs.x", Context: "VAULT_ADDR=https://vault.example.com:8200"}, "hvs.x", map[string]string{"host": "vault.example.com:8200"}},
		{"gitlab unconfigured host ignored", "gitlab", verifiers.Sighting{Secret: "glpat-x", Context: "url: https://gitlab.evil.example"}, "glpat-x", map[string]string{"host": ""}},
		{"github unconfigured host ignored", "github", verifiers.Sighting{Secret: "ghp_x", Context: "GH_HOST=ghe.evil.example"}, "ghp_x", map[string]string{"host": ""}},
		{"database URL", "database", verifiers.Sighting{Secret: "s3cretPassw0rd", Context: "url: mysql://app:s3cretPassw0rd@10.0.0.5:3306/shop?tls=true"}, "s3cretPassw0rd",
			map[string]string{"scheme": "mysql", "host": "10.0.0.5", "port": "3306", "user": "app", "database": "shop"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cred := verifiers.PairSighting(lookup(t, reg, c.provider), c.s)
			if cred.Secret != c.secret {
				t.Errorf("secret = %q, want %q", cred.Secret, c.secret)
			}
			for k, want := range c.want {
				if got := cred.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// The AWS secret and key id are found in one file as two findings: both
// get the same answer from a single STS call.
func TestVerifyFindingsPairsSiblings(t *testing.T) {
	g := fixtures.NewGen(51)
	e := newEnv(t, verifiers.ClientOptions{})
	id, sec := g.AWSKeyPair()
	e.srv.AddLive("aws", sec, fakeapi.Account{Parts: map[string]string{"key_id": id}})
	loc := []finding.Location{{Blob: "b1", Path: "deploy/env", Line: 1}}
	// Far apart in the file: neither context holds the other value.
	fs := []finding.Finding{
		{RuleID: "aws-access-token", Provider: "aws", Secret: id, Context: "AWS_ACCESS_KEY_ID=" + id, Locations: loc},
		{RuleID: "aws-secret-access-key", Provider: "aws", Secret: sec, Context: "aws_secret_access_key=" + sec, Locations: loc},
		{RuleID: "github-pat", Provider: "github", Secret: g.GitHubToken("ghp_"), Locations: []finding.Location{{Blob: "b2"}}},
	}
	verifiers.NewChecker(testRegistry(t), e.client).VerifyFindings(context.Background(), fs, 4)
	for _, f := range fs[:2] {
		if f.Verification == nil || f.Verification.Status != "live" || f.Verification.Identity["arn"] == "" {
			t.Fatalf("%s: %+v", f.RuleID, f.Verification)
		}
	}
	if n := e.srv.Requests("aws"); n != 1 {
		t.Fatalf("aws requests = %d, want 1 (one credential, two findings)", n)
	}
	if fs[2].Verification == nil || fs[2].Verification.Status != "dead" {
		t.Fatalf("github: %+v", fs[2].Verification)
	}
}

func TestAWSCanaryNeverCalled(t *testing.T) {
	g := fixtures.NewGen(52)
	for _, c := range []struct {
		name    string
		account uint64
		cfg     verifiers.Config
	}{
		{"thinkst", 52310077262, verifiers.Config{}},
		{"look-alike", 982842642351, verifiers.Config{}},
		{"operator-configured", 111122223333, verifiers.Config{CanaryAWSAccounts: []string{"111122223333"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, verifiers.ClientOptions{})
			id := awsKeyIDFor(g, c.account)
			_, sec := g.AWSKeyPair()
			if got := aws.AccountFromKeyID(id); got != fmt.Sprintf("%012d", c.account) {
				t.Fatalf("decoded account %s, want %012d", got, c.account)
			}
			e.srv.AddLive("aws", sec, fakeapi.Account{Parts: map[string]string{"key_id": id}})
			reg, err := all.Registry(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := verifiers.NewChecker(reg, e.client).VerifySighting(context.Background(), "aws",
				verifiers.Sighting{Secret: sec, Context: "key=" + id + "\nsecret=" + sec})
			if r.Status != verifiers.Unknown || !slices.Contains(r.Privileges.Flags, "canary") || !strings.Contains(r.Reason, "canary") {
				t.Fatalf("got %v (%s) %v", r.Status, r.Reason, r.Privileges.Flags)
			}
			if n := e.srv.Requests("aws"); n != 0 {
				t.Fatalf("a canary key was sent to STS (%d requests)", n)
			}
		})
	}
	// A key id alone (no secret) is still flagged.
	r := verifiers.NewChecker(all.Default(), newEnv(t, verifiers.ClientOptions{}).client).Verify(context.Background(), "aws", awsKeyIDFor(g, 52310077262))
	if !slices.Contains(r.Privileges.Flags, "canary") {
		t.Fatalf("key id alone: %+v", r)
	}
	if aws.AccountFromKeyID("AKIAIOSFODNN7EXAMPL") != "" || aws.AccountFromKeyID("AKIAJ"+strings.Repeat("A", 15)) != "" {
		t.Fatal("old-format key ids must not decode")
	}
}

func TestAWSRootAccountAndXML(t *testing.T) {
	g := fixtures.NewGen(53)
	e := newEnv(t, verifiers.ClientOptions{})
	id, sec := g.AWSKeyPair()
	e.srv.AddLive("aws", sec, fakeapi.Account{Root: true, Parts: map[string]string{"key_id": id, "account": "210987654321"}})
	r := verifiers.NewChecker(all.Default(), e.client).VerifySighting(context.Background(), "aws", verifiers.Sighting{Secret: sec, Context: id + " " + sec})
	if r.Status != verifiers.Live || r.Privileges.Level != "admin" || !slices.Contains(r.Privileges.Flags, "root-account") || r.Identity["account"] != "210987654321" {
		t.Fatalf("got %v %+v %v", r.Status, r.Privileges, r.Identity)
	}
	// The wrong secret for a live key id: SignatureDoesNotMatch says the
	// pair is wrong, not which part: unknown, never dead.
	_, other := g.AWSKeyPair()
	r = verifiers.NewChecker(all.Default(), e.client).VerifySighting(context.Background(), "aws", verifiers.Sighting{Secret: other, Context: id + " " + other})
	if r.Status != verifiers.Unknown || !strings.Contains(r.Reason, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %v (%s)", r.Status, r.Reason)
	}
	if pr := e.srv.Problems(); len(pr) > 0 {
		t.Fatal(pr)
	}
}

func TestGCPWrongKeyIsDead(t *testing.T) {
	g := fixtures.NewGen(54)
	e := newEnv(t, verifiers.ClientOptions{})
	live, forged := g.GCPServiceAccountJSON(), g.GCPServiceAccountJSON()
	var a, b struct {
		PrivateKey  string `json:"private_key"`
		ClientEmail string `json:"client_email"`
		KeyID       string `json:"private_key_id"`
	}
	_ = json.Unmarshal([]byte(live), &a)
	_ = json.Unmarshal([]byte(forged), &b)
	e.srv.AddLive("gcp", a.PrivateKey, fakeapi.Account{Parts: map[string]string{"client_email": a.ClientEmail}})
	// Same service account, another key: the fake's signature check fails.
	doc := strings.Replace(forged, b.ClientEmail, a.ClientEmail, 1)
	r := verifiers.NewChecker(all.Default(), e.client).VerifySighting(context.Background(), "gcp", verifiers.Sighting{Secret: b.KeyID, Context: doc})
	if r.Status != verifiers.Dead || !strings.Contains(r.Reason, "Invalid JWT Signature") {
		t.Fatalf("got %v (%s)", r.Status, r.Reason)
	}
}

func TestPrivilegesOfNewProviders(t *testing.T) {
	g := fixtures.NewGen(55)
	reg := testRegistry(t)
	sp := func(name string) spec { return specs[slicesIndex(name)] }
	for _, c := range []struct {
		spec  string
		acct  fakeapi.Account
		parts map[string]string
		level string
		flag  string
		id    map[string]string
	}{
		{spec: "azure", acct: fakeapi.Account{Scopes: []string{"Application.ReadWrite.All"}}, level: "admin", flag: "can-manage-keys"},
		{spec: "gitlab", acct: fakeapi.Account{Scopes: []string{"read_api"}}, level: "read"},
		{spec: "gitlab", acct: fakeapi.Account{Scopes: []string{"api", "sudo"}}, level: "admin", flag: "can-manage-keys"},
		{spec: "dockerhub", acct: fakeapi.Account{Scopes: []string{"repo:admin"}}, level: "admin"},
		{spec: "databricks", acct: fakeapi.Account{Role: "admin"}, level: "admin", flag: "workspace-admin"},
		{spec: "grafana", acct: fakeapi.Account{Scopes: []string{"serviceaccounts:write"}}, level: "admin", flag: "can-manage-keys"},
		{spec: "linear", acct: fakeapi.Account{Role: "admin"}, level: "admin", flag: "org-admin"},
		{spec: "vault", acct: fakeapi.Account{Scopes: []string{"root"}}, level: "admin", flag: "root-token"},
		{spec: "mailgun", parts: map[string]string{"region": "eu"}, id: map[string]string{"region": "eu"}},
		{spec: "datadog", id: map[string]string{"site": "datadoghq.eu", "app_key": "valid"}},
		{spec: "github-installation", id: map[string]string{"type": "installation", "owner": "fake-org"}},
		{spec: "github-enterprise", id: map[string]string{"host": "ghe.example.com"}},
	} {
		t.Run(c.spec, func(t *testing.T) {
			s := sp(c.spec)
			s.account = c.acct
			e := newEnv(t, verifiers.ClientOptions{})
			smp := s.gen(g)
			for k, v := range c.parts {
				if smp.parts == nil {
					smp.parts = map[string]string{}
				}
				smp.parts[k] = v
			}
			sight := verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}
			addLive(e, s, verifiers.PairSighting(lookup(t, reg, s.provider), sight), smp)
			r := verifiers.NewChecker(reg, e.client).VerifySighting(context.Background(), s.provider, sight)
			if r.Status != verifiers.Live {
				t.Fatalf("got %v (%s)", r.Status, r.Reason)
			}
			if c.level != "" && r.Privileges.Level != c.level {
				t.Errorf("level %q, want %q", r.Privileges.Level, c.level)
			}
			if c.flag != "" && !slices.Contains(r.Privileges.Flags, c.flag) {
				t.Errorf("flags %v lack %q", r.Privileges.Flags, c.flag)
			}
			for k, want := range c.id {
				if r.Identity[k] != want {
					t.Errorf("identity %s = %q, want %q", k, r.Identity[k], want)
				}
			}
			if pr := e.srv.Problems(); len(pr) > 0 {
				t.Error(pr)
			}
		})
	}
}

func TestMissingCompanionSendsNothing(t *testing.T) {
	g := fixtures.NewGen(56)
	e := newEnv(t, verifiers.ClientOptions{})
	k := verifiers.NewChecker(all.Default(), e.client) // no self-hosted config
	_, sec := g.AWSKeyPair()
	for _, c := range []struct{ provider, secret, reason string }{
		{"aws", sec, "no access key id"},
		{"azure", letters(g, 3) + "8Q~" + letters(g, 31), "no tenant/client id"},
		{"dockerhub", g.DockerHubPAT(), "no username"},
		{"twilio", g.TwilioKeySID(), "no secret"},
		{"datadog", hex40(g), "no API key"},
		{"gcp", hex40(g), "no private key"},
		{"vault", g.VaultToken(), "no configured host"},
		{"databricks", g.DatabricksToken(), "no configured host"},
		{"grafana", "glsa_" + alnum(g, 32) + "_" + hex32(g)[:8], "no configured host"},
		{"atlassian", "ATATT3" + alnum(g, 186), "no configured host"},
	} {
		r := k.Verify(context.Background(), c.provider, c.secret)
		if r.Status != verifiers.Unknown || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: got %v (%s), want Unknown %q", c.provider, r.Status, r.Reason, c.reason)
		}
	}
	if n := e.srv.TotalRequests(); n != 0 {
		t.Fatalf("%d requests sent without the companions", n)
	}
}

func TestOfflineAnalysis(t *testing.T) {
	g := fixtures.NewGen(57)
	e := newEnv(t, verifiers.ClientOptions{})
	k := verifiers.NewChecker(all.Default(), e.client)
	encrypted := "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n" // gitleaks:allow
	for _, c := range []struct {
		name, provider string
		s              verifiers.Sighting
		want           map[string]string
		flag           string
	}{
		{"rsa pkcs1", "privatekey", verifiers.Sighting{Secret: g.RSAPrivateKeyPEM()}, map[string]string{"key_type": "rsa", "bits": "2048", "encrypted": "false"}, ""},
		{"openssh ed25519", "privatekey", verifiers.Sighting{Secret: g.OpenSSHPrivateKey()}, map[string]string{"key_type": "ed25519", "encrypted": "false"}, ""},
		{"encrypted pkcs8", "privatekey", verifiers.Sighting{Secret: encrypted}, map[string]string{"encrypted": "true"}, ""},
		{"json-escaped", "privatekey", verifiers.Sighting{Secret: strings.ReplaceAll(g.RSAPrivateKeyPEM(), "\n", `\n`)}, map[string]string{"key_type": "rsa"}, ""},
		{"postgres private host", "database", verifiers.Sighting{Secret: "Zq8vN2pLm4Xr", Context: "DATABASE_URL=postgres://svc:Zq8vN2pLm4Xr@db.internal:5432/app"},
			map[string]string{"scheme": "postgres", "host": "db.internal", "user": "svc", "database": "app"}, "private-host"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := k.VerifySighting(context.Background(), c.provider, c.s)
			if r.Status != verifiers.Unknown || r.Reason != "offline analysis only" {
				t.Fatalf("got %v (%s)", r.Status, r.Reason)
			}
			for key, want := range c.want {
				if r.Identity[key] != want {
					t.Errorf("%s = %q, want %q (%v)", key, r.Identity[key], want, r.Identity)
				}
			}
			if c.provider == "privatekey" && c.want["encrypted"] == "false" && !strings.HasPrefix(r.Identity["fingerprint_sha256"], "SHA256:") {
				t.Errorf("fingerprint %q", r.Identity["fingerprint_sha256"])
			}
			if c.flag != "" && !slices.Contains(r.Privileges.Flags, c.flag) {
				t.Errorf("flags %v", r.Privileges.Flags)
			}
			noSecret(t, []string{c.s.Secret}, map[string]string{"result": fmt.Sprintf("%#v", r)})
		})
	}
	if n := e.srv.TotalRequests(); n != 0 {
		t.Fatalf("offline analysis sent %d requests", n)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	toml := filepath.Join(dir, "nhiscan.toml")
	if err := os.WriteFile(toml, []byte("title = \"x\"\n[verify]\ncanary_aws_accounts = [\"123456789012\"]\n[verify.hosts]\ngitlab = [\"GitLab.Example.com:443\"]\nvault = [\"vault.example.com:8200\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := verifiers.LoadConfig(toml)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.Registry(c)
	if err != nil {
		t.Fatal(err)
	}
	if h := lookup(t, reg, "gitlab").Hosts(); !slices.Equal(h, []string{"gitlab.com", "gitlab.example.com"}) {
		t.Errorf("gitlab hosts %v", h)
	}
	if h := lookup(t, reg, "vault").Hosts(); !slices.Equal(h, []string{"vault.example.com:8200"}) {
		t.Errorf("vault hosts %v", h)
	}
	yml := filepath.Join(dir, "nhiscan.yaml")
	_ = os.WriteFile(yml, []byte("verify:\n  hosts:\n    jira: [example.atlassian.net]\n"), 0o600)
	if c, err := verifiers.LoadConfig(yml); err != nil || c.Hosts["jira"][0] != "example.atlassian.net" {
		t.Fatalf("yaml: %v %v", c, err)
	}
	for _, bad := range []string{
		`gitlab = ["https://gitlab.example.com"]`, `gitlab = ["gitlab.example.com/api"]`, `gitlab = ["*.example.com"]`,
		`gitlab = ["user@gitlab.example.com"]`, `aws = ["sts.evil.example"]`, `vault = ["vault.example.com:http"]`, `grafana = ["bad_host!"]`,
		`vault = ["vault.example.com:99999"]`, `vault = ["vault.example.com:0"]`, `vault = ["vault.example.com:"]`, `vault = ["vault.example.com:+80"]`,
	} {
		if _, err := verifiers.ParseConfig([]byte("[verify.hosts]\n"+bad+"\n"), "toml"); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := verifiers.ParseConfig([]byte("[verify]\ncanary_aws_accounts = [\"12\"]\n"), "toml"); err == nil {
		t.Error("accepted a short account id")
	}
}

// TestHostAllowlistMultiPart tries to send credentials elsewhere through
// every door a finding or a config offers: hosts named in scanned content,
// a key file's own token_uri, look-alike hosts, a forged companion, and a
// config value; not one connection may reach the other host.
func TestHostAllowlistMultiPart(t *testing.T) {
	fake := fakeapi.New()
	defer fake.Close()
	evil, conns := evilServer(t)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if _, ok := fakeapi.Hosts[host]; ok {
			return fake.DialContext(ctx, network, addr)
		}
		var d net.Dialer // everything else lands on the counting server
		return d.DialContext(ctx, network, evil.Listener.Addr().String())
	}
	c, err := verifiers.NewClient(verifiers.ClientOptions{DialContext: dial, RootCAs: fake.CertPool(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := testRegistry(t)
	k := verifiers.NewChecker(reg, c)
	ctx := context.Background()
	g := fixtures.NewGen(58)

	gcp := g.GCPServiceAccountJSON()
	gcpDoc := strings.Replace(gcp, "https://oauth2.googleapis.com/token", "https://evil.example/token", 1)
	var sa struct {
		KeyID string `json:"private_key_id"`
	}
	_ = json.Unmarshal([]byte(gcp), &sa)
	az := letters(g, 3) + "8Q~" + letters(g, 31)
	dd := hex32(g)
	for _, c := range []struct {
		name, provider string
		s              verifiers.Sighting
	}{
		{"gitlab host in content", "gitlab", verifiers.Sighting{Secret: g.GitLabPAT(), Context: "CI_SERVER_URL=https://evil.example\nCI_SERVER_HOST=gitlab.example.com.evil.example"}},
		{"github enterprise host in content", "github", verifiers.Sighting{Secret: g.GitHubToken("ghp_"), Context: "GH_HOST=evil.example"}},
		{"vault address in content", "vault", verifiers.Sighting{Secret: g.VaultToken(), Context: "VAULT_ADDR=https://evil.example:8200"}},
		{"grafana url in content", "grafana", verifiers.Sighting{Secret: "glsa_" + alnum(g, 32) + "_" + hex32(g)[:8], Context: "url: https://evil.example"}},
		{"gcp token_uri in the key file", "gcp", verifiers.Sighting{Secret: sa.KeyID, Context: gcpDoc}},
		{"azure authority on another host", "azure", verifiers.Sighting{Secret: az, Context: "authority=https://evil.example/" + guid(g) + "\nclient_id=" + guid(g) + "\ntenant_id=" + guid(g)}},
		{"datadog site look-alike", "datadog", verifiers.Sighting{Secret: dd, Context: "DD_SITE=datadoghq.com.evil.example\nDD_API_KEY=" + dd}},
		{"discord webhook on another host", "discord", verifiers.Sighting{Secret: strings.Replace(g.DiscordWebhook(), "discord.com", "evil.example", 1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := k.VerifySighting(ctx, c.provider, c.s)
			if r.Status == verifiers.Live {
				t.Fatalf("live from another host: %+v", r)
			}
			if r.Endpoint != "" && strings.Contains(r.Endpoint, "evil.example") {
				t.Fatalf("endpoint %s", r.Endpoint)
			}
		})
	}
	// A forged companion handed straight to the Checker (as a buggy or
	// hostile caller might): refused before anything is sent.
	for _, p := range []string{"github", "gitlab", "vault", "databricks", "grafana", "atlassian"} {
		r := k.VerifyCredential(ctx, p, verifiers.Credential{Secret: "x-" + p, Companions: map[string]string{"host": "evil.example"}})
		if r.Status != verifiers.Unknown || !strings.Contains(r.Reason, "not configured") {
			t.Errorf("%s: forged host gave %v (%s)", p, r.Status, r.Reason)
		}
	}
	// A hostile rule (a user's custom rule) that captures URLs and files
	// them under providers: the values travel, if at all, to the providers'
	// own hosts, as headers, never as a destination.
	hostile := []finding.Finding{
		{RuleID: "custom-exfil", Provider: "github", Secret: "https://evil.example/collect?k=" + g.GitHubToken("ghp_"), Context: "GH_HOST=evil.example"},
		{RuleID: "custom-exfil", Provider: "vault", Secret: "https://evil.example:8200/v1/sys", Context: "VAULT_ADDR=https://evil.example:8200"},
		{RuleID: "custom-exfil", Provider: "telegram", Secret: "123456:AA/../../evil.example"},
		{RuleID: "custom-exfil", Provider: "slack", Secret: "https://hooks.slack.com.evil.example/services/T0000000/B0000000/" + alnum(g, 24)},
		{RuleID: "custom-exfil", Provider: "datadog", Secret: hex32(g), Context: "DD_SITE=evil.example"},
	}
	k.VerifyFindings(ctx, hostile, 4)
	for _, f := range hostile {
		if f.Verification == nil || f.Verification.Status == "live" || strings.Contains(f.Verification.Endpoint, "evil") {
			t.Errorf("%s: %+v", f.Provider, f.Verification)
		}
	}
	// A config value naming a host for one product does not open it to another.
	cfg := verifiers.Config{Hosts: map[string][]string{"vault": {"evil.example"}}}
	reg2, err := all.Registry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := conns.Load()
	r := verifiers.NewChecker(reg2, c).VerifySighting(ctx, "github", verifiers.Sighting{Secret: g.GitHubToken("ghp_"), Context: "https://evil.example"})
	if r.Status == verifiers.Live || conns.Load() != before {
		t.Fatalf("a vault host was used for a github token: %v", r.Status)
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("the other host saw %d connections, want 0", n)
	}
}

// TestRedaction runs findings of every provider through VerifyFindings
// with debug logging captured and checks that no secret part appears in a
// log line, a result or the findings' JSON.
func TestRedaction(t *testing.T) {
	e := newEnv(t, verifiers.ClientOptions{Timeout: 2 * time.Second})
	reg := testRegistry(t)
	g := fixtures.NewGen(59)
	var fs []finding.Finding
	var secrets []string
	for i, sp := range specs {
		smp := sp.gen(g)
		sight := verifiers.Sighting{RuleID: smp.rule, Secret: smp.secret, Context: smp.context}
		cred := verifiers.PairSighting(lookup(t, reg, sp.provider), sight)
		secrets = append(secrets, secretsOf(smp, cred)...)
		if i%2 == 0 {
			addLive(e, sp, cred, smp)
		}
		fs = append(fs, finding.Finding{RuleID: smp.rule, Provider: sp.provider, Secret: smp.secret, Context: smp.context,
			Locations: []finding.Location{{Blob: fmt.Sprint(i)}}})
	}
	e.srv.SetFault("slack", fakeapi.ServerError(503))
	verifiers.NewChecker(reg, e.client).VerifyFindings(context.Background(), fs, 8)
	var out []string
	for i := range fs {
		if fs[i].Verification == nil {
			t.Fatalf("%s not verified", fs[i].Provider)
		}
		b, _ := json.Marshal(fs[i].Verification)
		out = append(out, string(b))
	}
	noSecret(t, secrets, map[string]string{"log": e.logs.String(), "verifications": strings.Join(out, "\n")})
	if !strings.Contains(e.logs.String(), "verified") {
		t.Fatal("no debug log captured")
	}
}

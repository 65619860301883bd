package rules

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/fixtures"
)

// tp is a true positive: text and the secret the rule must report in it.
type tp struct{ text, secret string }

// nhiCase is one rule's table: true positives, false positives, and for
// rules with a path, the path they are scanned under (wrongPath: a path
// where the true positives must not fire).
type nhiCase struct {
	id        string
	path      string
	wrongPath string
	tps       []tp
	fps       []string
}

// moreNHICases returns the tables of the provider and credential-file rules
// added with the NHI pack. Every true positive is generated here, at run
// time; nothing is a real credential.
func moreNHICases(t *testing.T, g *fixtures.Gen) []nhiCase {
	t.Helper()
	_, _, session := g.AWSSessionCredentials()
	storageKey := g.AzureStorageKey()
	cs, csKey := g.AzureStorageConnectionString()
	sas, sig := g.AzureSASURL()
	cfut := g.CloudflareScannableToken()
	cfLegacy := g.CloudflareToken()
	ddAPI, ddApp := g.DatadogAPIKey(), g.DatadogAppKey()
	bot := g.DiscordBotToken()
	tg := g.TelegramBotToken()
	mg := g.MailgunKey()
	twTok := g.TwilioAuthToken()
	ppk := g.PuTTYPrivateKey()
	ppkPriv := ppk[strings.Index(ppk, "Private-Lines: 1\n")+len("Private-Lines: 1\n") : strings.Index(ppk, "Private-MAC")]
	amqp, mqtt := g.AMQPURL(), g.MQTTURL()
	pw := g.PasswordLike()
	pw2 := g.PasswordLike()
	ghp := g.GitHubToken("ghp_")
	dockerAuth := base64.StdEncoding.EncodeToString([]byte("ci-bot:" + g.DockerHubPAT()))
	npmAuth := base64.StdEncoding.EncodeToString([]byte("ci:" + pw))
	_, awsSecret := g.AWSKeyPair()
	jwt := "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0." + g.HexKey(40) + "Zq9" // gitleaks:allow (a made-up header and payload)
	clientKey := base64.StdEncoding.EncodeToString([]byte(g.RSAPrivateKeyPEM()))
	bcrypt := g.HtpasswdBcrypt("admin")
	django := g.DjangoSecretKey()
	tfToken := g.GitLabPAT()
	fz := base64.StdEncoding.EncodeToString([]byte(pw2))
	winscp := strings.ToUpper(g.HexKey(48))
	masterKey := g.HexKey(32)
	basic := base64.StdEncoding.EncodeToString([]byte("svc-reports:" + g.PasswordLike()))
	apr1 := "$apr1$" + g.HexKey(8) + "$AbCdEfGhIjKlMnOpQrStUv"

	return []nhiCase{
		{
			id: "aws-session-token",
			tps: []tp{
				{"aws_session_token = " + session + "\n", session},
				{`AWS_SESSION_TOKEN="` + session + `"` + "\n", session},
			},
			fps: []string{
				"aws_session_token = ${AWS_SESSION_TOKEN}\n",
				"aws_session_token = " + session[:60] + "\n", // too short
				"session_token = " + session + "\n",          // not AWS-named
			},
		},
		{
			id: "azure-storage-account-key",
			tps: []tp{
				{cs + "\n", csKey},
				{"AZURE_STORAGE_KEY=" + storageKey + "\n", storageKey},
				{`"azureStorageAccountKey": "` + storageKey + `"` + "\n", storageKey},
			},
			fps: []string{
				"AccountKey=" + storageKey[:80] + "==\n",                      // too short
				"AccountKey=" + strings.Repeat("A", 86) + "==\n",              // no entropy
				"sha512-" + storageKey + "\n",                                 // integrity string, no key name
				"DefaultEndpointsProtocol=https;AccountName=x;AccountKey=;\n", // empty
			},
		},
		{
			id:  "azure-sas-token",
			tps: []tp{{"BACKUP_URL=" + sas + "\n", sig}, {"SharedAccessSignature=sv=2021-08-06&ss=b&srt=o&sp=r&se=2030-01-01&sig=" + sig + "\n", sig}},
			fps: []string{
				"https://example.com/?sig=" + sig + "\n", // no sv=
				"sv=2022-11-02&sp=r&sig=short\n",
			},
		},
		{
			id:  "cloudflare-api-token",
			tps: []tp{{"CLOUDFLARE_API_TOKEN=" + cfut + "\n", cfut}, {"token: " + strings.Replace(cfut, "cfut_", "cfat_", 1) + "\n", strings.Replace(cfut, "cfut_", "cfat_", 1)}},
			fps: []string{
				"cfut_" + strings.Repeat("a", 48) + "\n",
				"cfut_" + cfut[5:40] + "\n", // too short
				"xcfut_" + cfut[5:] + "\n",  // no word start
			},
		},
		{
			id:  "cloudflare-legacy-api-token",
			tps: []tp{{"CF_API_TOKEN=" + cfLegacy + "\n", cfLegacy}, {"cloudflare_token: '" + cfLegacy + "'\n", cfLegacy}},
			fps: []string{
				"CF_API_TOKEN=" + strings.Repeat("ab", 20) + "\n", // low entropy
				"GENERIC_TOKEN=" + cfLegacy + "\n",                // not Cloudflare-named
				"CF_API_TOKEN=" + cfLegacy + "x\n",                // 41 chars
			},
		},
		{
			id:  "datadog-api-key",
			tps: []tp{{"DD_API_KEY=" + ddAPI + "\n", ddAPI}, {"datadog_api_key: \"" + ddAPI + "\"\n", ddAPI}},
			fps: []string{"DD_API_KEY=" + ddAPI[:31] + "\n", "MY_API_KEY=" + ddAPI + "\n", "DD_API_KEY=" + strings.Repeat("0", 32) + "\n"},
		},
		{
			id:  "datadog-app-key",
			tps: []tp{{"DD_APP_KEY=" + ddApp + "\n", ddApp}, {"DATADOG_APPLICATION_KEY='" + ddApp + "'\n", ddApp}},
			fps: []string{"DD_APP_KEY=" + ddApp[:39] + "\n", "SOME_APP_KEY=" + ddApp + "\n"},
		},
		{
			id:  "discord-bot-token",
			tps: []tp{{"DISCORD_BOT_TOKEN=" + bot + "\n", bot}, {"discordToken: \"" + bot + "\"\n", bot}},
			fps: []string{"DISCORD_BOT_TOKEN=" + strings.ToLower(bot[:1]) + bot[1:] + "\n", "DISCORD_BOT_TOKEN=${TOKEN}\n", "BOT_TOKEN=" + bot + "\n"},
		},
		{
			id:  "telegram-bot-token",
			tps: []tp{{"BOT=" + tg + "\n", tg}, {"https://api.telegram.org/bot" + tg + "/getMe\n", tg}},
			fps: []string{"BOT=" + tg[:strings.Index(tg, ":")] + ":AB" + tg[strings.Index(tg, ":")+3:] + "\n", "x" + tg + "x\n", "12:AA" + tg[strings.Index(tg, ":")+3:] + "\n"},
		},
		{
			id:  "telegram-bot-api-token", // gitleaks' rule with nhiscan's allowlist
			tps: []tp{{"TELEGRAM_BOT_TOKEN=" + tg + "\n", tg}},
			fps: []string{"TELEGRAM_BOT_TOKEN=123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11\n"},
		},
		{
			id:  "mailgun-api-key",
			tps: []tp{{"curl -s --user 'api:" + mg + "' https://api.mailgun.net/v3/domains\n", mg}, {`auth=("api", "` + mg + `")` + "\n", mg}}, // gitleaks:allow
			fps: []string{
				"api-key-" + strings.Repeat("0", 32) + "\n", "api:key-" + mg[4:35] + "\n", "api:key-" + mg[4:] + "ab\n",
				`const CACHE_KEY = "` + mg + `";` + "\n", // a cache key of the same shape
			},
		},
		{
			id:  "twilio-auth-token",
			tps: []tp{{"TWILIO_AUTH_TOKEN=" + twTok + "\n", twTok}, {"twilioAuthToken: '" + twTok + "'\n", twTok}},
			fps: []string{"TWILIO_AUTH_TOKEN=" + twTok[:31] + "\n", "AUTH_TOKEN=" + twTok + "\n"},
		},
		{
			id:  "putty-private-key",
			tps: []tp{{ppk, ppkPriv}},
			fps: []string{
				strings.Replace(ppk, "Private-Lines: 1\n"+ppkPriv, "", 1), // public part only
				"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n",
			},
		},
		{
			id:  "broker-url-password",
			tps: []tp{{"MQTT_URL=" + mqtt + "\n", fixtures.URLPassword(mqtt)}, {"url: ldaps://cn=admin:" + pw + "@ldap.internal.example\n", pw}},
			fps: []string{"MQTT_URL=mqtt://device:password@iot.example\n", "MQTT_URL=mqtt://device@iot.example\n", "MQTT_URL=mqtt://device:${MQTT_PASSWORD}@iot.example\n", amqp + "\n"},
		},
		{
			id:  "url-password",
			tps: []tp{{"https://ci-bot:" + pw + "@git.internal.example/org/repo.git\n", pw}, {"pip install --index-url https://__token__:" + pw2 + "@pypi.internal.example/simple pkg\n", pw2}},
			fps: []string{
				"https://user:password@example.com\n",
				"https://user:${TOKEN}@example.com\n",
				"https://x-access-token:SECRETVALUE@github.com/o/r\n", // an all-caps placeholder
				"https://example.com:8443/path\n",
				"https://user@example.com\n",
				"https://user:aaaaaaaaaa@example.com\n", // low entropy
			},
		},
		{
			id: "basic-auth-header",
			tps: []tp{
				{"curl -H 'Authorization: Basic " + basic + "' https://api.internal.example/\n", basic},
				{`headers = {"Authorization": "Basic ` + basic + `"}` + "\n", basic},
			},
			fps: []string{
				"Authorization: Basic dXNlcjpwYXNz\n", // user:pass
				"Authorization: Bearer " + basic + "\n",
				"Authorization: Basic ${BASIC_AUTH}\n",
			},
		},
		{
			id: "netrc-password", path: "home/ci/.netrc", wrongPath: "docs/README.md",
			tps: []tp{{"machine api.github.com\n  login ci-bot\n  password " + ghp + "\n", ghp}, {"machine ftp.example.org login anonymous password " + pw + "\n", pw}},
			fps: []string{"machine api.github.com\n  login ci-bot\n", "# no password here\n"},
		},
		{
			id: "pgpass-password", path: "home/app/.pgpass", wrongPath: "etc/hosts",
			tps: []tp{{"db.internal.example:5432:orders:orders_rw:" + pw + "\n", pw}, {"*:*:*:replicator:" + pw2 + "\n", pw2}},
			fps: []string{"# host:port:db:user:password\n", "db.internal.example:5432:orders\n"},
		},
		{
			id:  "docker-config-auth",
			tps: []tp{{`{"auths": {"https://index.docker.io/v1/": {"auth": "` + dockerAuth + `"}}}` + "\n", dockerAuth}},
			fps: []string{`{"auths": {"registry.example": {"auth": ""}}}` + "\n", `"auth": "true"` + "\n", `"auth": "aaaaaaaaaaaa"` + "\n"},
		},
		{
			id:  "npmrc-auth",
			tps: []tp{{"//registry.example/:_auth=" + npmAuth + "\n", npmAuth}, {"//npm.pkg.github.com/:_authToken=" + ghp + "\n", ghp}},
			fps: []string{"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", "always-auth=true\n", "//registry.example/:_authToken=\n"},
		},
		{
			id: "pypirc-password", path: "home/ci/.pypirc", wrongPath: "setup.cfg",
			tps: []tp{{"[pypi]\nusername = __token__\npassword = " + pw + "\n", pw}},
			fps: []string{"[pypi]\nusername = __token__\n", "password =\n"},
		},
		{
			id:  "s3cfg-secret-key",
			tps: []tp{{"[default]\nsecret_key = " + awsSecret + "\n", awsSecret}},
			fps: []string{"secret_key = " + strings.Repeat("a", 40) + "\n", "secret_key = " + awsSecret[:39] + "\n", "my_secret_key = " + awsSecret + "\n"},
		},
		{
			id: "kubeconfig-token", path: "deploy/kubeconfig", wrongPath: ".github/workflows/ci.yaml",
			tps: []tp{{"users:\n- name: deployer\n  user:\n    token: " + jwt + "\n", jwt}},
			fps: []string{"    token: ${{ secrets.KUBE_TOKEN }}\n", "    token: aaaaaaaaaaaaaaaaaaaaaaaa\n"},
		},
		{
			id:  "kubeconfig-client-key",
			tps: []tp{{"    client-key-data: " + clientKey + "\n", clientKey}},
			fps: []string{"    client-key-data: \n", "    client-certificate-data: " + clientKey + "\n"},
		},
		{
			id: "htpasswd-hash", path: "web/.htpasswd", wrongPath: "web/users.txt",
			tps: []tp{{bcrypt + "\n", bcrypt[len("admin:"):]}, {"ops:" + apr1 + "\n", apr1}},
			fps: []string{"admin:plaintext\n", "# admin:$2y$10$\n"},
		},
		{
			id: "rails-master-key", path: "config/master.key", wrongPath: "config/master.key.example",
			tps: []tp{{masterKey + "\n", ""}},
		},
		{
			id:  "django-secret-key",
			tps: []tp{{"SECRET_KEY = '" + django + "'\n", django}, {`SECRET_KEY="` + django + `"` + "\n", django}},
			fps: []string{"SECRET_KEY = os.environ['SECRET_KEY']\n", "SECRET_KEY = 'short'\n", "SECRET_KEY = '" + strings.Repeat("x", 50) + "'\n"},
		},
		{
			id:  "php-db-password",
			tps: []tp{{"define( 'DB_PASSWORD', '" + pw + "' );\n", pw}, {"$db_password = \"" + pw2 + "\";\n", pw2}},
			fps: []string{"define( 'DB_PASSWORD', 'password_here' );\n", "define('DB_PASSWORD', getenv('DB_PASSWORD'));\n"},
		},
		{
			id:  "spring-datasource-password",
			tps: []tp{{"spring.datasource.password=" + pw + "\n", pw}, {"spring.datasource.hikari.password: " + pw2 + "\n", pw2}},
			fps: []string{"spring.datasource.password=${DB_PASSWORD}\n", "spring.datasource.password=\n", "spring.datasource.username=orders\n"},
		},
		{
			id:  "jdbc-url-password",
			tps: []tp{{"url=jdbc:sqlserver://db.internal.example:1433;databaseName=orders;user=sa;password=" + pw + ";\n", pw}, {"jdbc:oracle:thin:scott/" + pw2 + "@db.internal.example:1521:ORCL\n", pw2}},
			fps: []string{"jdbc:postgresql://db.example:5432/app\n", "jdbc:mysql://db/app?user=app&password=${DB_PASSWORD}\n"},
		},
		{
			id: "terraform-state-secret", path: "infra/terraform.tfstate", wrongPath: "infra/main.tf.json",
			tps: []tp{{`            "password": "` + pw + `",` + "\n", pw}, {`"token": "` + tfToken + `"` + "\n", tfToken}},
			fps: []string{`            "password": "",` + "\n", `            "password": null,` + "\n"},
		},
		{
			id:  "filezilla-password",
			tps: []tp{{`<Pass encoding="base64">` + fz + `</Pass>` + "\n", fz}},
			fps: []string{`<Pass encoding="base64" />` + "\n", `<Pass></Pass>` + "\n"},
		},
		{
			id: "winscp-password", path: "home/user/WinSCP.ini", wrongPath: "home/user/app.ini",
			tps: []tp{{"[Sessions\\deploy@sftp.example]\nHostName=sftp.example\nPassword=" + winscp + "\n", winscp}},
			fps: []string{"Password=\n", "; Password=see vault\n"},
		},
	}
}

// The path of a path-restricted rule is part of its test: the same text
// under another name does not fire.
func TestNHIRulesWrongPath(t *testing.T) {
	for _, tc := range append(moreNHICases(t, fixtures.NewGen(33)), realWorldCases(t, fixtures.NewGen(35))...) {
		if tc.wrongPath == "" {
			continue
		}
		t.Run(tc.id, func(t *testing.T) {
			rs := mustLoad(t, Options{EnableRules: []string{tc.id}})
			d := detect.NewDetector(rs.Config)
			for i, p := range tc.tps {
				if fs := d.DetectContext(context.Background(), detect.Fragment{Raw: p.text, FilePath: tc.wrongPath}); len(fs) != 0 {
					t.Errorf("true positive %d fired under %s", i, tc.wrongPath)
				}
			}
		})
	}
}

package rules

import (
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// realWorldCases are the tables of the rules for real-world shapes
// (config-file passwords, framework keys, connection strings, provider
// shapes), and extra cases for the rules they widened. Every value is
// generated at run time.
func realWorldCases(t *testing.T, g *fixtures.Gen) []nhiCase {
	t.Helper()
	weak, pw, pw2 := g.WeakPassword(), g.PasswordLike(), g.PasswordLike()
	app := g.LaravelAppKey()
	salt := g.WordPressSalt()
	redisKey := g.AzureRedisKey()
	jenkins := g.JenkinsSecret()
	jenkinsBody := strings.Trim(jenkins, "{}")
	atl := g.AtlassianLegacyToken()
	xoxe, xoxeR := g.SlackConfigAccessToken(), g.SlackConfigRefreshToken()
	oaAdmin, oaNone := g.OpenAIKeyVariant("admin", 74), g.OpenAIKeyVariant("None", 74)
	sid, tok := g.TwilioAccountSID(), g.TwilioAuthToken()
	dj := "django-insecure-" + g.DjangoSecretKey()
	sym, short := g.SymbolPassword(), g.ShortPassword()
	k := g.AzureStorageKey()
	dd, ddApp := g.DatadogAPIKey(), g.DatadogAppKey()
	mgOld, mgNew := g.MailgunOldKey(), g.MailgunNewKey()

	return []nhiCase{
		{
			id: "config-password", path: "shop/.env", wrongPath: "shop/main.go",
			tps: []tp{
				{"DB_PASSWORD=" + weak + "\n", weak},
				{"REDIS_PASSWORD=\"" + pw + "\"\n", pw},
				{"export RDS_PASSWORD='" + pw2 + "'\n", pw2},
				{"MLAB_PASS=" + weak + "\n", weak},
				{"  password: " + pw + "\n", pw},
				{`"password": "` + pw + `",` + "\n", pw},
				{"<password>" + pw + "</password>\n", pw},
				{`<user username="admin" password="` + pw2 + `" roles="manager-gui"/>` + "\n", pw2},
				{`<property name="hibernate.connection.password">` + weak + `</property>` + "\n", weak},
				{`<add key="DbPassword" value="` + pw + `" />` + "\n", pw},
			},
			fps: []string{
				"DB_PASSWORD=changeme\n",
				"DB_PASSWORD=<password>\n",
				"DB_PASSWORD=${DB_PASSWORD}\n",
				"SMTP_PASSWORD=${!SMTP_VAR}\n",
				"password = %(db_password)s\n",
				"FTP_PASSWORD=xxxxxxxx\n",
				"ADMIN_PASSWORD=********\n",
				"SFTP_PASSWORD=example-password\n",
				"PASSWORD_RESET_TIMEOUT=3600\n",
				"DB_PASSWORD_FILE=/run/secrets/db\n",
				"db_password: \"{{ vault_db_password }}\"\n",
				"smtp_password: !vault |\n",
				"<password>${env.NEXUS_PASSWORD}</password>\n",
				"bypass: true\n",
				"password:\n  type: string\n",
				"POSTGRES_PASSWORD: mysecretpassword\n",
			},
		},
		{
			id:  "laravel-app-key",
			tps: []tp{{"APP_KEY=" + app + "\n", app}, {"APP_KEY=\"" + app + "\"\n", app}},
			fps: []string{"APP_KEY=\n", "APP_KEY=base64:YOUR_APP_KEY_HERE\n", "APP_KEY=" + app[:20] + "\n"},
		},
		{
			id:  "wordpress-salt",
			tps: []tp{{"define( 'AUTH_KEY', '" + salt + "' );\n", salt}, {"define(\"NONCE_SALT\", \"" + salt + "\");\n", salt}},
			fps: []string{"define( 'AUTH_KEY',         'put your unique phrase here' );\n", "define( 'DB_NAME', '" + salt + "' );\n"},
		},
		{
			id: "connection-string-password",
			tps: []tp{
				{`"DefaultConnection": "Server=tcp:sql.example,1433;Database=orders;User ID=app;Password=` + pw + `;Encrypt=True;"` + "\n", pw},
				{`connectionString="Data Source=sql01;Initial Catalog=orders;User Id=app;Password=` + weak + `;"` + "\n", weak},
				{`"Redis": "orders.redis.cache.windows.net:6380,password=` + redisKey + `,ssl=True,abortConnect=False"` + "\n", redisKey},
			},
			fps: []string{
				`"Server=localhost;Database=test;User Id=sa;Password=yourStrong(!)Password;"` + "\n",
				`"Server=sql;Database=orders;User Id=app;Password=${DB_PASSWORD};"` + "\n",
				`"Server=sql;Database=orders;Integrated Security=true;"` + "\n",
				`"orders.redis.cache.windows.net:6380,password=<access-key>,ssl=True"` + "\n",
			},
		},
		{
			id:  "jenkins-credential-secret",
			tps: []tp{{"      <password>" + jenkins + "</password>\n", jenkinsBody}, {"<secret>" + jenkins + "</secret>\n", jenkinsBody}},
			fps: []string{"<secret>{}</secret>\n", "<password>${DEPLOY_PASSWORD}</password>\n", "{AQAAABAAAAAQ}\n"},
		},
		{
			id: "atlassian-legacy-api-token",
			tps: []tp{
				{"JIRA_USER_API_TOKEN_VALUE=" + atl + "\n", atl},
				{"jira:\n  api_token: " + atl + "\n", atl},
				{"curl -s -u bot@corp.example:" + atl + " https://acme.atlassian.net/rest/api/3/myself\n", atl},
			},
			fps: []string{"JIRA_PROJECT_KEY=OPS\n", "JIRA_API_TOKEN=<your-api-token>\n", "JIRA_API_TOKEN=" + strings.Repeat("a", 24) + "\n"},
		},
		{
			id:  "slack-config-token",
			tps: []tp{{"SLACK_CONFIG_TOKEN=" + xoxe + "\n", xoxe}, {"token: " + xoxeR + "\n", xoxeR}},
			fps: []string{"xoxe-1-" + xoxeR[7:60] + "\n", "xoxe.xoxp-1-" + strings.Repeat("A", 150) + "\n"},
		},
		{
			id:  "openai-api-key-variant",
			tps: []tp{{"OPENAI_ADMIN_KEY=" + oaAdmin + "\n", oaAdmin}, {"key = \"" + oaNone + "\"\n", oaNone}},
			fps: []string{"sk-proj-" + strings.Repeat("x", 40) + "\n", "sk-user-" + oaNone[8:] + "\n"},
		},
		{
			id: "twilio-auth-token-with-sid",
			tps: []tp{
				{"client = Client(\"" + sid + "\", \"" + tok + "\")\n", tok},
				{"account_sid = '" + sid + "'\nauth_token = '" + tok + "'\n", tok},
				{"https://" + sid + ":" + tok + "@api.twilio.com/2010-04-01/Accounts.json\n", tok},
			},
			fps: []string{
				"client = Client(\"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\", \"your_auth_token\")\n",
				"client = Client(\"" + sid + "\", os.environ[\"TWILIO_AUTH_TOKEN\"])\n",
			},
		},
		{
			id: "django-secret-key-default",
			tps: []tp{
				{"SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', '" + dj + "')\n", dj},
				{"SECRET_KEY = env(\"SECRET_KEY\", default=\"" + dj + "\")\n", dj},
			},
			fps: []string{"SECRET_KEY = os.environ.get('SECRET_KEY', 'change-me-in-production')\n", "SECRET_KEY = os.environ['SECRET_KEY']\n"},
		},
		{
			id: "netrc-entry-password",
			tps: []tp{
				{"```\nmachine git.heroku.example\n  login deploy@corp.example\n  password " + pw + "\n```\n", pw},
				{"RUN echo \"machine git.internal.example login ci password " + pw2 + "\" > /root/.netrc\n", pw2},
			},
			fps: []string{"machine api.heroku.com\n  login me@example.com\n  password ${HEROKU_API_KEY}\n", "login form password field\n"},
		},
		{
			id:  "curl-auth-user",
			tps: []tp{{"curl -u deploy:" + weak + " https://example.com/api\n", "deploy:" + weak}},
			fps: []string{"curl -sf -u \"${git_user}:${!pr_token}\" https://api.github.com/repos/acme/app/pulls\n"},
		},
		// Widened rules.
		{
			id: "url-password",
			tps: []tp{
				{"https://jane.doe@corp.example:" + sym + "@git.internal.example\n", sym},
				{"https://deploy:" + sym + "@git.internal.example\n", sym},
				{"git clone https://ci:" + short + "@git.internal.example/org/repo.git\n", short},
			},
			fps: []string{"https://${GIT_USER}:${GIT_TOKEN}@github.com/org/repo.git\n", "ssh://git@github.com/org/repo.git\n", "https://user@host.example:8080/path\n"},
		},
		{
			id:  "database-url-password",
			tps: []tp{{"BROKER_URL = \"redis://:" + short + "@cache.internal.example:6379/0\"\n", short}},
			fps: []string{"redis://:aaaa@cache.example:6379\n", "redis://cache.example:6379\n"},
		},
		{
			id: "azure-storage-account-key",
			tps: []tp{
				{"STORAGE_ACCOUNT_KEY=" + k + "\n", k},
				{`<Setting name="StorageAccountKey" value="` + k + `" />` + "\n", k},
				{"<accountKey>" + k + "</accountKey>\n", k},
				{"az storage blob upload --account-name acme --account-key " + k + " -c backups\n", k},
			},
			fps: []string{"az storage blob upload --account-key \"$AZURE_STORAGE_KEY\"\n", "artifact.sha512=" + k + "\n"},
		},
		{
			id:  "datadog-api-key",
			tps: []tp{{"PROD_DD_API_KEY=" + dd + "\n", dd}},
			fps: []string{"ODD_API_KEY=" + dd + "\n"},
		},
		{
			id:  "datadog-app-key",
			tps: []tp{{"BILLING_DD_APP_KEY=" + ddApp + "\n", ddApp}},
			fps: []string{"ODD_APP_KEY=" + ddApp + "\n"},
		},
		{
			id:  "mailgun-api-key",
			tps: []tp{{"MAILGUN_API_KEY = '" + mgOld + "'\n", mgOld}, {"MAILGUN_PRIVATE_KEY = '" + mgNew + "'\n", mgNew}},
			fps: []string{"MAILGUN_API_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'\n", "CACHE_KEY = '" + mgNew + "'\n"},
		},
	}
}

// Dependency caches and vendored trees are noisy paths: findings there are
// reported one severity lower and tagged "vendored".
func TestVendoredPaths(t *testing.T) {
	mustLoad(t, Options{})
	cases := []struct {
		path string
		want bool
	}{
		{"go/pkg/mod/github.com/acme/sdk@v1.4.2/internal/config.go", true},
		{"venv/lib/python3.11/site-packages/acme/defaults.py", true},
		{".venv/src/acme/keys.py", true},
		{"third_party/acme/ci.sh", true},
		{"vendor/acme/lib.php", true},
		{"web/node_modules/x/index.js", true},
		{"web/public/assets/vendor.4f2a9c.min.js", true},
		{"web/dist/bundle.0a1b2c3d.js", true},
		{"services/api/config.go", false},
		{"pkg/model/modes.go", false},
		{"docs/vendoring.md", false},
	}
	for _, tc := range cases {
		if got := NoisyPath(tc.path); got != tc.want {
			t.Errorf("NoisyPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

package report

import (
	"fmt"
	"math/rand/v2"
	"time"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

// xssCorpus are hostile strings a scanned repository controls: file names,
// commit authors, repository names, identities a provider echoes back. Each
// must come out of the page as text, never as markup, script or a link.
// They set document.title or window.__xss when they run, which the browser
// test looks for.
var xssCorpus = []string{
	`<script>document.title='XSS';window.__xss=1</script>`,
	`"><img src=x onerror="document.title='XSS';window.__xss=2">`,
	`'><svg onload=window.__xss=3>`,
	`javascript:window.__xss=4`,
	`</script><script>window.__xss=5</script>`,
	`</style><script>window.__xss=6</script>`,
	`</title><script>window.__xss=7</script>`,
	`" autofocus onfocus="window.__xss=8" x="`,
	`<iframe srcdoc="<script>parent.__xss=9</script>"></iframe>`,
	`<a href="javascript:window.__xss=10">click</a>`,
	`data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTE8L3NjcmlwdD4=`,
	`{{.Title}}{{template "chart"}}`,
	"\u202egnp.exe<script>window.__xss=12</script>",
	"\uff1cscript\uff1ewindow.__xss=13\uff1c/script\uff1e",
	"line\u2028sep\u2029<b>bold</b>",
	"nul\x00byte<u>x</u>",
	"bad\xffutf8<i>x</i>",
	`<!-- <script>window.__xss=14</script> -->`,
	`<base href="https://evil.example/"><link rel=stylesheet href=https://evil.example/x.css>`,
	`<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
}

// hostileURLs are repository and ticket URLs that must never become a link.
var hostileURLs = []string{
	"javascript:window.__xss=20",
	" JaVaScRiPt:window.__xss=21",
	"data:text/html,<script>window.__xss=22</script>",
	"vbscript:msgbox(1)",
	"//evil.example/no-scheme",
}

var sampleProviders = []struct{ provider, rule, severity string }{
	{"github", "github-pat", "critical"},
	{"aws", "aws-access-token", "critical"},
	{"slack", "slack-bot-token", "high"},
	{"stripe", "stripe-access-token", "high"},
	{"openai", "openai-api-key", "high"},
	{"gitlab", "gitlab-pat", "high"},
	{"sendgrid", "sendgrid-api-token", "medium"},
	{"npm", "npm-access-token", "medium"},
	{"", "generic-api-key", "low"},
}

// sampleCrawl is a generated nightly crawl of an org: repos with and
// without secrets, every verification status and remediation state, and a
// trend over nights. With hostile, one repository and one finding carry the
// XSS corpus. It is deterministic for a seed; its secrets are fake, made by
// fixtures.Gen, and returned so tests can check none reaches the page.
func sampleCrawl(seed uint64, repos, nights int, hostile bool) (Crawl, []string) {
	rng := rand.New(rand.NewPCG(seed, 99))
	gen := fixtures.NewGen(seed)
	now := time.Date(2026, 11, 26, 3, 17, 0, 0, time.UTC)
	hex40 := func() string {
		const h = "0123456789abcdef"
		b := make([]byte, 40)
		for i := range b {
			b[i] = h[rng.IntN(16)]
		}
		return string(b)
	}
	c := Crawl{Title: "acme", GeneratedAt: now}
	names := []string{"payments-api", "web-frontend", "infra-terraform", "data-pipeline", "mobile-app",
		"auth-service", "docs", "billing-worker", "ml-models", "ops-scripts", "search", "notifications"}
	for i := range repos {
		n := names[i%len(names)]
		if i >= len(names) {
			n = fmt.Sprintf("%s-%d", n, i/len(names))
		}
		r := RepoSummary{Name: "acme/" + n, URL: "https://github.com/acme/" + n, ScannedAt: now.Add(-time.Duration(i) * time.Minute)}
		if i == 4 {
			r.Error = "clone: 500 Internal Server Error from the git server; kept last night's state"
		}
		if i == 9 {
			r.Archived = true
		}
		c.Repos = append(c.Repos, r)
	}
	var secrets []string
	paths := []string{"config/prod.env", "deploy/values.yaml", "scripts/bootstrap.sh", ".github/workflows/release.yml",
		"src/settings.py", "terraform/main.tf", "docker-compose.yml", "notebooks/explore.ipynb"}
	authors := []string{"Dana Ops", "ci-bot", "Lee Dev", "Sam Data"}
	statuses := []finding.Status{finding.StatusLive, finding.StatusLive, finding.StatusDead, finding.StatusUnknown, "", finding.StatusDead}
	remStates := []finding.RemediationState{"", "", "planned", "revoked", "rotated", "ticketed", "failed", ""}
	nf := repos * 3
	for i := range nf {
		sp := sampleProviders[i%len(sampleProviders)]
		secret := gen.GitHubToken("ghp_")
		switch sp.provider {
		case "aws":
			_, secret = gen.AWSKeyPair()
		case "slack":
			secret = gen.SlackBotToken()
		case "stripe":
			secret = gen.StripeSecretKey()
		case "openai":
			secret = gen.OpenAIKey()
		case "gitlab":
			secret = gen.GitLabPAT()
		case "sendgrid":
			secret = gen.SendGridKey()
		case "npm":
			secret = gen.NPMToken()
		case "":
			secret = gen.DatabricksToken()
		}
		secrets = append(secrets, secret)
		first := now.AddDate(0, 0, -rng.IntN(400)-1)
		f := CrawlFinding{
			Finding: finding.Finding{
				RuleID: sp.rule, Provider: sp.provider, Severity: sp.severity, Description: "leaked " + sp.rule,
				Secret: secret, Redacted: finding.Redact(secret), Context: "token = " + secret,
				Fingerprint: finding.Fingerprint(sp.rule, secret), InHead: rng.IntN(3) > 0,
			},
			FirstSeen: now.AddDate(0, 0, -rng.IntN(nights+1)),
		}
		if i%7 == 3 {
			f.FirstSeen = now
		}
		f.New = f.FirstSeen.After(now.AddDate(0, 0, -1))
		nloc := 1 + rng.IntN(3)
		if i == 0 {
			nloc = 24 // more than the page lists in full
		}
		for j := range nloc {
			repo := c.Repos[(i+j*5)%repos]
			if j > 0 && rng.IntN(2) == 0 {
				repo = c.Repos[i%repos]
			}
			f.Repos = append(f.Repos, repo.Name)
			f.Locations = append(f.Locations, finding.Location{
				Commit: hex40(), Path: paths[rng.IntN(len(paths))], Line: 1 + rng.IntN(300),
				Author: authors[rng.IntN(len(authors))], Date: first.AddDate(0, 0, j*7),
			})
		}
		if st := statuses[i%len(statuses)]; st != "" {
			v := &finding.Verification{Status: st, CheckedAt: now.Add(-time.Hour)}
			switch st {
			case finding.StatusLive:
				v.Identity = map[string]string{"account": fmt.Sprintf("svc-%s-%d", sp.provider, i)}
				if sp.provider == "aws" {
					v.Identity["arn"] = fmt.Sprintf("arn:aws:iam::1234567890%02d:user/deploy", i%100)
				}
				v.Privileges = finding.Privileges{Level: []string{"admin", "write", "read"}[i%3], Scopes: []string{"repo", "workflow"}}
				if i%3 == 0 {
					v.Privileges.Flags = []string{"org-admin"}
				}
			case finding.StatusDead:
				v.Reason = "401 Unauthorized"
			case finding.StatusUnknown:
				v.Reason = "429 Too Many Requests; retry later"
			}
			f.Verification = v
		}
		if rs := remStates[i%len(remStates)]; rs != "" {
			r := &finding.Remediation{State: rs, At: now.Add(-30 * time.Minute)}
			switch rs {
			case "planned":
				r.Actions = []string{"revoke", "ticket"}
			case "revoked", "rotated":
				r.Actions = []string{string(rs[:len(rs)-1])}
			case "ticketed":
				r.Actions = []string{"ticket"}
				r.TicketURL = fmt.Sprintf("https://acme.atlassian.net/browse/SEC-%d", 100+i)
			case "failed":
				r.Detail = "provider refused: 403 on the revoke endpoint"
			}
			f.Remediation = r
		}
		c.Findings = append(c.Findings, f)
	}
	for n := range nights {
		day := now.AddDate(0, 0, n-nights+1)
		open := 20 + n/2 + rng.IntN(4)
		live := 14 - n/3 + rng.IntN(3)
		if live < 2 {
			live = 2 + rng.IntN(2)
		}
		nt := Night{Date: day, Open: open, OpenLive: live, New: rng.IntN(4)}
		if n > 2 {
			nt.MeanTimeToDead = time.Duration(30-n/2+rng.IntN(5)) * 24 * time.Hour
		}
		c.Nights = append(c.Nights, nt)
	}
	if hostile {
		evil := RepoSummary{Name: "acme/" + xssCorpus[0], URL: hostileURLs[0], Error: xssCorpus[1]}
		c.Repos = append(c.Repos, evil)
		secret := gen.GitHubToken("ghp_")
		secrets = append(secrets, secret)
		f := CrawlFinding{Finding: finding.Finding{
			RuleID: xssCorpus[2], Provider: xssCorpus[3], Severity: "critical", Description: xssCorpus[4],
			Secret: secret, Context: secret, Fingerprint: finding.Fingerprint("x", secret), InHead: true,
			Tags: []string{xssCorpus[5]},
			Verification: &finding.Verification{Status: finding.StatusLive, Reason: xssCorpus[6],
				Identity:   map[string]string{"login": xssCorpus[7], xssCorpus[8]: xssCorpus[9]},
				Privileges: finding.Privileges{Level: xssCorpus[10], Scopes: []string{xssCorpus[11]}, Flags: []string{xssCorpus[12]}},
				Endpoint:   "GET https://api.github.com/user"},
			Remediation: &finding.Remediation{State: finding.RemediationState(xssCorpus[13]), TicketURL: hostileURLs[1], Detail: xssCorpus[14],
				Actions: []string{xssCorpus[15]}},
		}, New: true, FirstSeen: now}
		for i, s := range xssCorpus {
			f.Repos = append(f.Repos, evil.Name)
			f.Locations = append(f.Locations, finding.Location{Commit: hex40(), Path: s, Line: i + 1, Author: xssCorpus[(i+1)%len(xssCorpus)],
				Email: s, Date: now.AddDate(0, 0, -i)})
		}
		c.Findings = append(c.Findings, f)
		for _, u := range hostileURLs[2:] {
			c.Repos = append(c.Repos, RepoSummary{Name: "acme/url-" + u, URL: u})
		}
	}
	return c, secrets
}

package remediate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
	"nhiscan/fixtures/fakeapi"
	"nhiscan/fixtures/faketracker"
	"nhiscan/internal/report"
	"nhiscan/remediate"
)

// operatorPolicy revokes and rotates live credentials with the operator's
// credentials, falling back to a ticket.
const operatorPolicy = `
mode = "apply"
[[rule]]
name = "live aws: rotate"
provider = ["aws"]
status = ["live"]
actions = ["rotate"]
fallback = ["ticket"]
[[rule]]
name = "live: revoke"
status = ["live"]
actions = ["revoke"]
fallback = ["ticket"]
[providers.aws]
admin_profile = "security-admin"
[providers.twilio]
account_sid = "AC00000000000000000000000000000001"
auth_token_env = "TWILIO_MAIN"
[rotate]
kind = "secretsmanager"
secret_id = "prod/app/aws"
[ticket]
system = "github"
[ticket.github]
repo = "acme/app"
api_url = "TRACKER"
`

func withTwilioMain(h *harness) {
	base := h.env.Getenv
	h.env.Getenv = func(k string) string {
		if k == "TWILIO_MAIN" {
			return "main-auth-token-fake"
		}
		return base(k)
	}
}

// TestOperatorActionsNeedProof: the operator's credentials act only on a
// credential this run verified live with its own secret.
func TestOperatorActionsNeedProof(t *testing.T) {
	t.Run("aws key id alone: blocked in the plan, nothing applied", func(t *testing.T) {
		h := newHarness(t, operatorPolicy)
		id, secret := fixtures.NewGen(200).AWSKeyPair()
		h.api.AddAWSKey("unrelated-user", id, secret, false)
		f := h.finding("aws", "aws-access-token", id, true) // a report claims live
		pl := h.planner().Plan([]finding.Finding{f})
		if len(pl.Steps) != 1 || !strings.Contains(pl.Steps[0].Blocked, "only the access key id") {
			t.Fatalf("plan: %+v", pl.Steps)
		}
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "rotate:skipped ticket:done" {
			t.Fatalf("outcomes %s", outcomes(res))
		}
		if h.api.AWSKeyStatus(id) != "Active" || len(h.api.AWSUserKeys("unrelated-user")) != 1 || h.api.SecretsManagerValue("prod/app/aws") != "" {
			t.Fatalf("the admin profile acted: key %s, keys %v", h.api.AWSKeyStatus(id), h.api.AWSUserKeys("unrelated-user"))
		}
		if m := h.api.Mutations(); len(m) != 0 {
			t.Fatalf("state-changing calls: %v", m)
		}
	})
	t.Run("aws pair the report says live but that does not sign: nothing applied", func(t *testing.T) {
		h := newHarness(t, strings.Replace(operatorPolicy, `actions = ["rotate"]`, `actions = ["revoke"]`, 1))
		id, secret := fixtures.NewGen(201).AWSKeyPair()
		_, other := fixtures.NewGen(202).AWSKeyPair()
		h.api.AddAWSKey("deploy-bot", id, secret, false)
		f := h.finding("aws", "aws-access-token", id, true)
		f.Context = "aws_access_key_id = " + id + "\naws_secret_access_key = " + other + "\n"
		h.secrets = append(h.secrets, secret, other)
		res := h.run([]finding.Finding{f})
		if len(res) == 0 || res[0].Outcome != remediate.Skipped || !strings.Contains(res[0].Detail, "not live") {
			t.Fatalf("outcomes %s: %+v", outcomes(res), res)
		}
		if h.api.AWSKeyStatus(id) != "Active" || len(h.api.Mutations()) != 0 {
			t.Fatalf("key %s, mutations %v", h.api.AWSKeyStatus(id), h.api.Mutations())
		}
		h.noSecretsIn()
	})
	t.Run("twilio SK id in a crafted report: no delete", func(t *testing.T) {
		h := newHarness(t, operatorPolicy)
		withTwilioMain(h)
		sid := fixtures.NewGen(203).TwilioKeySID()
		h.api.AddTwilioKey("AC00000000000000000000000000000001", "main-auth-token-fake", sid)
		f := h.finding("twilio", "twilio-api-key", sid, true)
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "revoke:skipped ticket:done" || !strings.Contains(res[0].Detail, "only the API key SID") {
			t.Fatalf("outcomes %s: %q", outcomes(res), res[0].Detail)
		}
		if !h.api.TwilioKeyExists(sid) || len(h.api.Mutations()) != 0 {
			t.Fatalf("the key was deleted: %v", h.api.Mutations())
		}
	})
	t.Run("twilio SK and secret this run cannot verify: no delete", func(t *testing.T) {
		h := newHarness(t, operatorPolicy)
		withTwilioMain(h)
		sid := fixtures.NewGen(204).TwilioKeySID()
		h.api.AddTwilioKey("AC00000000000000000000000000000001", "main-auth-token-fake", sid)
		f := h.finding("twilio", "twilio-api-key", sid, true)
		f.Context = "TWILIO_API_KEY=" + sid + "\nTWILIO_API_SECRET=Zz" + strings.Repeat("8b", 15) + "\n"
		pl := h.planner().Plan([]finding.Finding{f})
		if pl.Steps[0].Blocked != "" || pl.Steps[0].Operator == "" {
			t.Fatalf("plan step: %+v", pl.Steps[0])
		}
		var text strings.Builder
		_ = pl.WriteText(&text)
		if !strings.Contains(text.String(), "only if this run verifies the leaked credential itself live") {
			t.Fatalf("plan text does not say the proof is needed:\n%s", text.String())
		}
		// Twilio answers 503 to the verification: unknown is no proof
		h.api.SetFault("twilio", fakeapi.Fault{Status: 503, Times: 100})
		res := h.run([]finding.Finding{f})
		if res[0].Outcome != remediate.Skipped || !strings.Contains(res[0].Detail, "answered unknown, not live") || !h.api.TwilioKeyExists(sid) || len(h.api.Mutations()) != 0 {
			t.Fatalf("outcomes %s %q, mutations %v", outcomes(res), res[0].Detail, h.api.Mutations())
		}
	})
}

// TestOneDestinationOneCredential: rotations that would overwrite each
// other's new secret are refused.
func TestOneDestinationOneCredential(t *testing.T) {
	t.Run("two keys, one secrets manager secret: both refused in the plan", func(t *testing.T) {
		h := newHarness(t, operatorPolicy)
		var fs []finding.Finding
		var ids []string
		for i := range 2 {
			id, secret := fixtures.NewGen(uint64(210 + i)).AWSKeyPair()
			h.api.AddAWSKey(fmt.Sprintf("user-%d", i), id, secret, false)
			f := h.finding("aws", "aws-access-token", id, true)
			f.Context = "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"
			h.secrets = append(h.secrets, secret)
			fs, ids = append(fs, f), append(ids, id)
		}
		pl := h.planner().Plan(fs)
		for _, s := range pl.Steps {
			if !strings.Contains(s.Blocked, "would receive the new credentials of 2 leaked credentials") {
				t.Fatalf("step not refused: %+v", s)
			}
		}
		res := h.run(fs)
		if outcomes(res) != "rotate:skipped ticket:done rotate:skipped ticket:done" {
			t.Fatalf("outcomes %s", outcomes(res))
		}
		for _, id := range ids {
			if h.api.AWSKeyStatus(id) != "Active" {
				t.Fatalf("key %s changed", id)
			}
		}
		if h.api.SecretsManagerValue("prod/app/aws") != "" {
			t.Fatal("the destination was written")
		}
		h.noSecretsIn()
	})
	t.Run("a later run does not rotate a second key into the same secret", func(t *testing.T) {
		h := newHarness(t, operatorPolicy)
		mk := func(seed uint64, user string) (finding.Finding, string) {
			id, secret := fixtures.NewGen(seed).AWSKeyPair()
			h.api.AddAWSKey(user, id, secret, false)
			f := h.finding("aws", "aws-access-token", id, true)
			f.Context = "AWS_ACCESS_KEY_ID=" + id + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"
			h.secrets = append(h.secrets, secret)
			return f, id
		}
		a, _ := mk(220, "user-a")
		if res := h.run([]finding.Finding{a}); outcomes(res) != "rotate:done" {
			t.Fatalf("run 1: %s %+v", outcomes(res), res)
		}
		stored := h.api.SecretsManagerValue("prod/app/aws")
		h.reopen()
		b, idB := mk(221, "user-b")
		res := h.run([]finding.Finding{b})
		if outcomes(res) != "rotate:skipped ticket:done" || !strings.Contains(res[0].Detail, "already holds the credential rotated for") {
			t.Fatalf("run 2: %s %q", outcomes(res), res[0].Detail)
		}
		if h.api.SecretsManagerValue("prod/app/aws") != stored || h.api.AWSKeyStatus(idB) != "Active" {
			t.Fatal("the second rotation wrote the destination or touched the key")
		}
	})
}

const injectedFP = `x" OR key = "HR-42`

// TestJQLInjectionRefused: a crafted report's fingerprint never reaches a
// JQL query; the issue it aims at is untouched.
func TestJQLInjectionRefused(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(ticketPolicy, "jira", 3))
	hr := faketracker.JiraIssue{Key: "HR-42", Summary: "Payroll", Description: "salaries", Labels: []string{"payroll"}}
	h.tr.AddJiraIssue(hr)
	tok := fixtures.NewGen(230).SlackBotToken()
	h.api.AddLive("slack", tok, fakeapi.Account{})
	h.secrets = append(h.secrets, tok)
	raw := fmt.Sprintf(`{"findings":[{"rule_id":"slack-bot-token","provider":"slack","fingerprint":%q,"secret":%q,`+
		`"verification":{"status":"dead"},"locations":[{"path":"a.env","line":1}]}]}`, injectedFP, tok)
	jf, err := report.ReadJSON(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	fs := []finding.Finding{jf[0].Finding()}
	pl := h.planner().Plan(fs)
	if len(pl.Steps) != 0 || len(pl.Refused) != 1 || !strings.Contains(pl.Refused[0].Reason, "not 32 or 64 lowercase hex") {
		t.Fatalf("plan: steps %+v refused %+v", pl.Steps, pl.Refused)
	}
	var text strings.Builder
	_ = pl.WriteText(&text)
	if !strings.Contains(text.String(), "refused") || strings.Contains(text.String(), "\n"+injectedFP) {
		t.Fatalf("plan text:\n%s", text.String())
	}
	h.run(fs)
	// and a tracker called directly refuses it too (defence in depth)
	f := fs[0]
	if _, err := h.tracker.Sync(context.Background(), remediate.TicketInput{Finding: &f, Status: "dead", Verified: true}); err == nil ||
		!strings.Contains(err.Error(), "not 32 or 64 lowercase hex") {
		t.Fatalf("Sync: %v", err)
	}
	got, _ := h.tr.JiraIssue("HR-42")
	if got.Description != hr.Description || !slices.Equal(got.Labels, hr.Labels) || len(got.Comments) != 0 || got.Done {
		t.Fatalf("HR-42 changed: %+v", got)
	}
	if len(h.tr.JiraIssues()) != 1 {
		t.Fatalf("issues: %+v", h.tr.JiraIssues())
	}
	if n := len(h.tr.Calls()); n != 0 {
		t.Fatalf("%d tracker requests for a refused finding", n)
	}
	for _, r := range h.audit.Records() {
		if strings.Contains(r.Fingerprint, "HR-42") {
			t.Fatalf("audit holds the payload: %+v", r)
		}
	}
}

// stripCodeSpans removes Markdown code spans (CommonMark: a run of n
// backticks up to the next run of exactly n), leaving what GitHub renders
// as markup.
func stripCodeSpans(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		j := i + n
		closed := -1
		for j < len(s) {
			if s[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(s) && s[j+m] == '`' {
				m++
			}
			if m == n {
				closed = j + m
				break
			}
			j += m
		}
		if closed < 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteString("CODE")
		i = closed
	}
	return b.String()
}

// TestMarkdownInjection: author names, paths and identities cannot add
// links, mentions or markers to a ticket, nor capture another credential's.
func TestMarkdownInjection(t *testing.T) {
	g := fixtures.NewGen(240)
	victimTok, attackTok := g.SlackBotToken(), g.SlackBotToken()
	hostile := func(h *harness, f *finding.Finding, victimFP string) {
		f.Locations[0].Author = "[reset your password](https://evil.example/login) @acme/security-team @octocat <!-- hidden --> `x` <b>hi</b>"
		f.Locations[0].Path = "src/<!-- nhiscan:fingerprint=" + victimFP + " status=dead -->\n<!-- nhiscan:fingerprint=" + victimFP + " -->\n<!-- nhiscan:status=dead -->\n.env"
		f.Verification.Identity["url"] = "https://evil.example/\n\n# Urgent"
		f.Verification.Privileges.Scopes = []string{"[admin](javascript:alert(1))", "@everyone"}
	}
	t.Run("github", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(ticketPolicy, "github", 3))
		h.api.AddLive("slack", victimTok, fakeapi.Account{})
		h.api.AddLive("slack", attackTok, fakeapi.Account{})
		victim := h.finding("slack", "slack-bot-token", victimTok, true)
		if res := h.run([]finding.Finding{victim}); outcomes(res) != "ticket:done" {
			t.Fatalf("victim: %s", outcomes(res))
		}
		before := h.tr.Issues()[0]
		attack := h.finding("slack", "slack-bot-token", attackTok, true)
		attack.Locations[0].Path = "x"
		hostile(h, &attack, victim.Fingerprint)
		if res := h.run([]finding.Finding{attack}); outcomes(res) != "ticket:done" || res[0].TicketKey != "#2" {
			t.Fatalf("attack: %s %+v", outcomes(res), res)
		}
		// the victim's ticket is untouched, and a new run still finds it
		if got := h.tr.Issues()[0]; got.Body != before.Body || len(got.Comments) != 0 || got.State != "open" {
			t.Fatalf("victim's ticket changed: %+v", got)
		}
		if res := h.run([]finding.Finding{victim}); outcomes(res) != "ticket:already" || res[0].TicketKey != "#1" {
			t.Fatalf("victim rerun: %s %+v", outcomes(res), res)
		}
		body := h.tr.Issues()[1].Body
		first, _, _ := strings.Cut(body, "\n")
		if first != "<!-- nhiscan:fingerprint="+attack.Fingerprint+" status=live -->" {
			t.Fatalf("first line %q", first)
		}
		markup := stripCodeSpans(body)
		for _, bad := range []string{"](https://evil", "evil.example", "@acme", "@octocat", "@everyone", "<!-- hidden", "<b>", "javascript:", "# Urgent"} {
			if strings.Contains(markup, bad) {
				t.Errorf("%q outside a code span:\n%s", bad, markup)
			}
		}
		if strings.Count(markup, "<!--") != 1 {
			t.Errorf("more than the tool's marker outside code spans:\n%s", markup)
		}
	})
	for _, v := range []int{2, 3} {
		t.Run(fmt.Sprintf("jira v%d", v), func(t *testing.T) {
			pol := fmt.Sprintf(ticketPolicy, "jira", v) + "\n"
			pol = strings.Replace(pol, `token_env = "JIRA_TOKEN"`, "token_env = \"JIRA_TOKEN\"\ndeployment = \"cloud\"\nrepo_web_url = \"https://github.com/acme/app\"", 1)
			h := newHarness(t, pol)
			h.api.AddLive("slack", attackTok, fakeapi.Account{})
			attack := h.finding("slack", "slack-bot-token", attackTok, true)
			hostile(h, &attack, strings.Repeat("ab", 16))
			if res := h.run([]finding.Finding{attack}); outcomes(res) != "ticket:done" {
				t.Fatalf("%s %+v", outcomes(res), res)
			}
			is := h.tr.JiraIssues()[0]
			for _, l := range is.Links {
				if !strings.HasPrefix(l, "https://github.com/acme/app/blob/") {
					t.Errorf("link from content: %q", l)
				}
			}
			if v == 3 && len(is.Links) != 1 {
				t.Errorf("links %v, want the one location link", is.Links)
			}
			if v == 2 {
				d := is.Description
				for _, bad := range []string{"https://evil", "|https://evil", "javascript:"} {
					if strings.Contains(d, bad) {
						t.Errorf("%q in wiki text:\n%s", bad, d)
					}
				}
				// the one link is the tool's location link; nothing else opens
				// a link, a macro, a mention or a cell
				for c, want := range map[byte]int{'[': 1, '|': 1, '{': 0, '@': 0, '~': 0} {
					if n := unescaped(d, c); n != want {
						t.Errorf("%d unescaped %q in wiki text, want %d:\n%s", n, c, want, d)
					}
				}
				if !strings.Contains(d, `\[reset your password\]`) {
					t.Errorf("author not shown escaped:\n%s", d)
				}
			}
			if strings.Contains(is.Summary, "\n") || strings.Contains(is.Summary, "evil") {
				t.Errorf("summary %q", is.Summary)
			}
		})
	}
}

// TestTicketAdoption: a credential's ticket opened by an earlier version
// under a per-rule fingerprint is adopted, not duplicated; a second such
// ticket is closed as a duplicate; an alias the secret does not give is
// ignored.
func TestTicketAdoption(t *testing.T) {
	tok := fixtures.NewGen(250).SlackBotToken()
	keyed := func(s string) string { sum := sha256.Sum256([]byte("k\x00" + s)); return hex.EncodeToString(sum[:]) }
	mk := func(h *harness) finding.Finding {
		f := h.finding("slack", "slack-bot-token", tok, true)
		f.Fingerprint = keyed(tok) // the new per-credential form (64 hex)
		f.OtherRules = []string{"generic-api-key"}
		f.Aliases = []string{finding.Fingerprint("slack-bot-token", tok), finding.Fingerprint("generic-api-key", tok)}
		return f
	}
	oldBody := func(fp string) string {
		return "nhiscan found a leaked credential.\n\n| provider | slack |\n\n<!-- nhiscan:fingerprint=" + fp + " -->\n<!-- nhiscan:status=live -->\n"
	}
	t.Run("github", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(ticketPolicy, "github", 3))
		h.api.AddLive("slack", tok, fakeapi.Account{})
		f := mk(h)
		h.tr.AddIssue(faketracker.Issue{Title: "old 1", Body: oldBody(f.Aliases[0]), Labels: []string{"nhiscan"}})
		h.tr.AddIssue(faketracker.Issue{Title: "old 2", Body: oldBody(f.Aliases[1]), Labels: []string{"nhiscan"}})
		stranger := strings.Repeat("cd", 16) // another credential's ticket
		h.tr.AddIssue(faketracker.Issue{Title: "other", Body: oldBody(stranger), Labels: []string{"nhiscan"}})
		f.Aliases = append(f.Aliases, stranger) // a report cannot claim it
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "ticket:done" || res[0].TicketKey != "#1" || !strings.Contains(res[0].Detail, "adopted") {
			t.Fatalf("run 1: %s %+v", outcomes(res), res)
		}
		is := h.tr.Issues()
		if len(is) != 3 {
			t.Fatalf("%d issues, want no new one", len(is))
		}
		if fp, _, _ := strings.Cut(strings.TrimPrefix(is[0].Body, "<!-- nhiscan:fingerprint="), " "); fp != f.Fingerprint || is[0].State != "open" {
			t.Fatalf("adopted issue: %+v", is[0])
		}
		if is[1].State != "closed" || !strings.Contains(strings.Join(is[1].Comments, "\n"), "Duplicate of #1") {
			t.Fatalf("duplicate: %+v", is[1])
		}
		if is[2].Body != oldBody(stranger) || is[2].State != "open" || len(is[2].Comments) != 0 {
			t.Fatalf("another credential's ticket changed: %+v", is[2])
		}
		h.reopen()
		if res := h.run([]finding.Finding{f}); outcomes(res) != "ticket:already" || len(h.tr.Issues()) != 3 {
			t.Fatalf("run 2: %s, %d issues", outcomes(res), len(h.tr.Issues()))
		}
	})
	t.Run("aws pair: the key id's and the secret's tickets become one", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(ticketPolicy, "github", 3))
		id, secret := fixtures.NewGen(251).AWSKeyPair()
		h.api.AddLive("aws", secret, fakeapi.Account{Parts: map[string]string{"key_id": id}})
		f := h.finding("aws", "s3cfg-secret-key", secret, true)
		f.Fingerprint = keyed(secret)
		f.Parts = map[string]string{"key_id": id}
		f.OtherRules = []string{"aws-access-token", "generic-api-key"}
		idFP, secretFP := finding.Fingerprint("aws-access-token", id), finding.Fingerprint("s3cfg-secret-key", secret)
		f.Aliases = []string{idFP, secretFP}
		h.tr.AddIssue(faketracker.Issue{Title: "key id", Body: oldBody(idFP), Labels: []string{"nhiscan"}})
		h.tr.AddIssue(faketracker.Issue{Title: "secret", Body: oldBody(secretFP), Labels: []string{"nhiscan"}})
		res := h.run([]finding.Finding{f})
		is := h.tr.Issues()
		if outcomes(res) != "ticket:done" || len(is) != 2 || is[0].State != "open" || is[1].State != "closed" {
			t.Fatalf("%s %+v / %+v", outcomes(res), res, is)
		}
		if fp, _, ok := strings.Cut(strings.TrimPrefix(is[0].Body, "<!-- nhiscan:fingerprint="), " "); !ok || fp != f.Fingerprint {
			t.Fatalf("kept ticket not adopted: %q", is[0].Body[:80])
		}
		h.noSecretsIn()
	})
	t.Run("jira", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(ticketPolicy, "jira", 3))
		h.api.AddLive("slack", tok, fakeapi.Account{})
		f := mk(h)
		key := h.tr.AddJiraIssue(faketracker.JiraIssue{Key: "SEC-7", Labels: []string{"nhiscan", "nhiscan-" + f.Aliases[1], "nhiscan-status-live", "team-payments"}})
		res := h.run([]finding.Finding{f})
		if outcomes(res) != "ticket:done" || res[0].TicketKey != key || len(h.tr.JiraIssues()) != 1 {
			t.Fatalf("%s %+v", outcomes(res), res)
		}
		got := h.tr.JiraIssues()[0]
		if !slices.Contains(got.Labels, "nhiscan-"+f.Fingerprint) || slices.Contains(got.Labels, "nhiscan-"+f.Aliases[1]) || !slices.Contains(got.Labels, "team-payments") {
			t.Fatalf("labels %v", got.Labels)
		}
		if res := h.run([]finding.Finding{f}); outcomes(res) != "ticket:already" {
			t.Fatalf("run 2: %s", outcomes(res))
		}
	})
}

// TestJiraEndToEnd: Cloud through /search/jql (eventually consistent,
// paged) and Data Center through v2 search: create, update on a status
// change, close only after this run verified the credential dead.
func TestJiraEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name       string
		version    int
		deployment string
	}{{"cloud v3", 3, "cloud"}, {"cloud v2", 2, "cloud"}, {"data center v2", 2, "datacenter"}} {
		t.Run(tc.name, func(t *testing.T) {
			pol := strings.Replace(fmt.Sprintf(ticketPolicy, "jira", tc.version), `token_env = "JIRA_TOKEN"`, "token_env = \"JIRA_TOKEN\"\ndeployment = \""+tc.deployment+"\"", 1)
			h := newHarness(t, pol)
			dc := tc.deployment == "datacenter"
			h.tr.SetJiraDataCenter(dc)
			h.tr.SetJiraIndexLag(true)
			h.tr.SetJiraPageSize(1)
			// other nhiscan tickets, so the search pages
			for i := range 3 {
				h.tr.AddJiraIssue(faketracker.JiraIssue{Key: fmt.Sprintf("SEC-%d", 100+i), Labels: []string{"nhiscan", "nhiscan-" + strings.Repeat(fmt.Sprint(i), 32)}})
			}
			tok := fixtures.NewGen(260).SlackBotToken()
			h.api.AddLive("slack", tok, fakeapi.Account{})
			f := h.finding("slack", "slack-bot-token", tok, true)
			f.Aliases = []string{finding.Fingerprint("generic-api-key", tok)}
			f.OtherRules = []string{"generic-api-key"}
			// an earlier version's ticket under the per-rule fingerprint
			h.tr.AddJiraIssue(faketracker.JiraIssue{Key: "SEC-200", Labels: []string{"nhiscan", "nhiscan-" + f.Aliases[0]}})
			if res := h.run([]finding.Finding{f}); outcomes(res) != "ticket:done" {
				t.Fatalf("run 1: %s %+v", outcomes(res), res)
			}
			mine := func() []faketracker.JiraIssue {
				var out []faketracker.JiraIssue
				for _, is := range h.tr.JiraIssues() {
					if slices.Contains(is.Labels, "nhiscan-"+f.Fingerprint) {
						out = append(out, is)
					}
				}
				return out
			}
			if m := mine(); len(m) != 1 || m[0].Done {
				t.Fatalf("after run 1: %+v", m)
			}
			// the same run syncs again at once: the new issue is found
			// (reconcileIssues on Cloud), not opened twice
			in := remediate.TicketInput{Finding: &f, Fingerprints: []string{f.Fingerprint}, Status: "live", Verified: true}
			if _, err := h.tracker.Sync(context.Background(), in); !remediate.IsAlreadyDone(err) {
				t.Fatalf("immediate second sync: %v", err)
			}
			if m := mine(); len(m) != 1 {
				t.Fatalf("duplicate opened: %d", len(m))
			}
			// status change: unknown (provider failing) -> update and comment
			h.api.SetFault("slack", fakeapi.Fault{Status: 503, Times: 10})
			if res := h.run([]finding.Finding{f}); outcomes(res) != "ticket:done" || !strings.Contains(res[0].Detail, "updated") {
				t.Fatalf("run 2: %s %+v", outcomes(res), res)
			}
			h.api.SetFault("slack", fakeapi.Fault{})
			m := mine()
			if len(m) != 1 || m[0].Done || !slices.Contains(m[0].Labels, "nhiscan-status-unknown") || !strings.Contains(strings.Join(m[0].Comments, "\n"), "from live to unknown") {
				t.Fatalf("after run 2: %+v", m)
			}
			// a report that says dead, without the secret: not closed
			claimed := f
			claimed.Secret = ""
			claimed.Verification = &finding.Verification{Status: finding.StatusDead}
			h.run([]finding.Finding{claimed})
			if m := mine(); m[0].Done {
				t.Fatal("closed on the report's word")
			}
			// verified dead by this run: closed
			h.api.Revoke(tok)
			if res := h.run([]finding.Finding{f}); outcomes(res) != "ticket:done" || res[0].TicketState != "closed" {
				t.Fatalf("run 3: %s %+v", outcomes(res), res)
			}
			if m := mine(); len(m) != 1 || !m[0].Done {
				t.Fatalf("after run 3: %+v", m)
			}
			for _, c := range h.tr.Calls() {
				old := strings.HasSuffix(c, "/search")
				jql := strings.HasSuffix(c, "/search/jql")
				if (dc && jql) || (!dc && old) || strings.Contains(c, "/rest/api/3/") && dc {
					t.Errorf("%s: wrong search endpoint %s", tc.name, c)
				}
			}
			h.noSecretsIn()
		})
	}
}

// unescaped counts c in s not preceded by a backslash escape.
func unescaped(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			n++
		}
	}
	return n
}

package remediate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// JiraTracker keeps one Jira issue per credential, found again by the
// label "nhiscan-<fingerprint>" (or an older per-rule fingerprint's).
// API version 3 (Cloud) sends Atlassian Document Format bodies; version 2
// wiki markup. Jira Cloud searches with the enhanced JQL search
// (/search/jql: token paging, eventually consistent, so the ids of the
// issues this run created or changed are passed as reconcileIssues);
// Jira Data Center with /rest/api/2/search (startAt paging).
type JiraTracker struct {
	env       *Env
	base      string // https://site.atlassian.net
	host      string
	project   string
	issueType string
	version   int
	cloud     bool
	auto      bool   // deployment inferred: a 410 on the old search switches to Cloud
	auth      string // Authorization header value

	mu      sync.Mutex
	touched []int64 // ids of issues created or updated by this run
}

// NewJiraTracker builds the tracker from cfg; traffic goes to cfg's host only.
func NewJiraTracker(env *Env, cfg *TicketConfig) (*JiraTracker, error) {
	j := cfg.Jira
	u, err := url.Parse(strings.TrimSuffix(j.URL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ticket.jira.url %q: want an https URL", j.URL)
	}
	if j.Project == "" {
		return nil, fmt.Errorf("ticket.jira.project is required")
	}
	v := j.APIVersion
	if v == 0 {
		v = 3
	}
	if v != 2 && v != 3 {
		return nil, fmt.Errorf("ticket.jira.api_version %d: want 2 or 3", v)
	}
	var cloud, auto bool
	switch j.Deployment {
	case "cloud":
		cloud = true
	case "datacenter", "server":
		if v == 3 {
			return nil, fmt.Errorf("ticket.jira: api_version 3 is Jira Cloud's; Data Center has REST v2")
		}
	case "":
		h := strings.ToLower(u.Hostname())
		cloud = v == 3 || strings.HasSuffix(h, ".atlassian.net") || strings.HasSuffix(h, ".jira.com")
		auto = !cloud
	default:
		return nil, fmt.Errorf("ticket.jira.deployment %q: want cloud or datacenter", j.Deployment)
	}
	tok, err := env.operatorToken("Jira tickets", j.TokenEnv)
	if err != nil {
		return nil, err
	}
	auth := "Bearer " + tok
	if j.EmailEnv != "" {
		email, err := env.operatorToken("Jira tickets", j.EmailEnv)
		if err != nil {
			return nil, err
		}
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+tok))
	}
	it := j.IssueType
	if it == "" {
		it = "Task"
	}
	return &JiraTracker{env: env, base: u.Scheme + "://" + u.Host + u.Path, host: strings.ToLower(u.Host), project: j.Project, issueType: it,
		version: v, cloud: cloud, auto: auto, auth: auth}, nil
}

// System implements Tracker.
func (t *JiraTracker) System() string { return "jira" }

func (t *JiraTracker) api(p string) string {
	return fmt.Sprintf("%s/rest/api/%d/%s", t.base, t.version, p)
}

// jqlString quotes s as a JQL string literal: inside double quotes, a
// backslash and a double quote are escaped with a backslash, and line
// breaks are written as escapes, so s stays one literal whatever it holds.
func jqlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jql is the query for the tickets of fps (validated fingerprints), bounded
// by the project as the enhanced search requires.
func (t *JiraTracker) jql(fps []string) string {
	labels := make([]string, len(fps))
	for i, fp := range fps {
		labels[i] = jqlString("nhiscan-" + fp)
	}
	return "project = " + jqlString(t.project) + " AND labels in (" + strings.Join(labels, ", ") + ") ORDER BY created ASC"
}

func (t *JiraTracker) searchCall(fps []string) Call {
	a := "operator token"
	if t.cloud {
		return Call{Method: "POST", URL: t.api("search/jql"), Auth: a, Why: "find the issue labelled with the credential's fingerprint (or an older per-rule one): " + t.jql(fps)}
	}
	return Call{Method: "GET", URL: t.api("search"), Auth: a, Why: "find the issue labelled with the credential's fingerprint (or an older per-rule one): " + t.jql(fps)}
}

// Plan implements Tracker.
func (t *JiraTracker) Plan(f *finding.Finding) []Call {
	a := "operator token"
	return []Call{
		t.searchCall(ticketFingerprints(f)),
		{Method: "POST", URL: t.api("issue"), Auth: a, Why: "open an issue in " + t.project + " when none exists"},
		{Method: "PUT", URL: t.api("issue/{key}"), Auth: a, Why: "update it when the status changed"},
		{Method: "POST", URL: t.api("issue/{key}/comment"), Auth: a, Why: "say what changed"},
		{Method: "POST", URL: t.api("issue/{key}/transitions"), Auth: a, Why: "close it once this run verified the credential dead"},
	}
}

func (t *JiraTracker) do(ctx context.Context, method, u string, body any, out any) (int, string, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, "", err
		}
	}
	req := Request{Provider: "jira", Hosts: []string{t.host}, Method: method, URL: u, Body: b,
		Header: http.Header{"Authorization": {t.auth}}}
	resp, err := t.env.Client.Do(ctx, req)
	if err != nil {
		return 0, "", err
	}
	ev := resp.evidence(req)
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return resp.StatusCode, ev, fmt.Errorf("%s: HTTP %d: %w", req.Endpoint(), resp.StatusCode, ErrDenied)
	case resp.StatusCode >= 400:
		return resp.StatusCode, ev, errf(req.Endpoint(), resp.StatusCode, jiraMessage(resp.Body))
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp.StatusCode, ev, fmt.Errorf("%s: bad JSON: %w", req.Endpoint(), err)
		}
	}
	return resp.StatusCode, ev, nil
}

func jiraMessage(b []byte) string {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(b, &e) == nil {
		msgs := e.ErrorMessages
		for k, v := range e.Errors {
			msgs = append(msgs, k+": "+v)
		}
		slices.Sort(msgs)
		if len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
	}
	return "error"
}

// text is a plain comment in this API version's format.
func (t *JiraTracker) text(s string) any {
	if t.version == 2 {
		return s
	}
	return adfText(s)
}

// body is a ticket body in this API version's format.
func (t *JiraTracker) body(in TicketInput) any {
	if t.version == 2 {
		return WikiBody(in)
	}
	return ADFBody(in)
}

type jiraIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Labels []string `json:"labels"`
		Status struct {
			Name     string `json:"name"`
			Category struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"status"`
	} `json:"fields"`
}

var jiraKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,17}$`)

// touch remembers an issue this run created or changed, for reconcileIssues.
func (t *JiraTracker) touch(id string) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(t.touched, n) {
		t.touched = append(t.touched, n)
	}
}

func (t *JiraTracker) reconcile() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	// the enhanced search takes at most 50 ids: the latest ones
	return slices.Clone(t.touched[max(0, len(t.touched)-50):])
}

const jiraMaxPages = 100

// search returns the issues labelled with one of fps.
func (t *JiraTracker) search(ctx context.Context, fps []string) ([]jiraIssue, []string, error) {
	if !t.cloud {
		is, ev, err := t.searchDC(ctx, fps)
		var gone *jiraGone
		if !errors.As(err, &gone) || !t.auto {
			return is, ev, err
		}
		// Jira Cloud behind a custom domain: the old search is removed there
		t.cloud = true
		is, ev2, err := t.searchCloud(ctx, fps)
		return is, append(ev, ev2...), err
	}
	return t.searchCloud(ctx, fps)
}

type jiraGone struct{ error }

// searchCloud pages through POST /search/jql (Atlassian, "The Jira Cloud
// platform REST API v3 — Issue search: Search for issues using JQL
// enhanced search"): nextPageToken until absent or isLast; fields must be
// asked for (the default is the id only); reconcileIssues makes the
// issues this run wrote visible at once.
func (t *JiraTracker) searchCloud(ctx context.Context, fps []string) ([]jiraIssue, []string, error) {
	var out []jiraIssue
	var ev []string
	token := ""
	for page := 0; page < jiraMaxPages; page++ {
		req := map[string]any{"jql": t.jql(fps), "fields": []string{"status", "labels"}, "maxResults": 100}
		if token != "" {
			req["nextPageToken"] = token
		}
		if ids := t.reconcile(); len(ids) > 0 {
			req["reconcileIssues"] = ids
		}
		var res struct {
			Issues        []jiraIssue `json:"issues"`
			NextPageToken string      `json:"nextPageToken"`
			IsLast        *bool       `json:"isLast"`
		}
		_, e, err := t.do(ctx, "POST", t.api("search/jql"), req, &res)
		ev = append(ev, e)
		if err != nil {
			return nil, ev, err
		}
		out = append(out, res.Issues...)
		if res.NextPageToken == "" || res.NextPageToken == token || (res.IsLast != nil && *res.IsLast) {
			return out, ev, nil
		}
		token = res.NextPageToken
	}
	return out, ev, fmt.Errorf("jira search: more than %d pages", jiraMaxPages)
}

// searchDC pages through GET /rest/api/2/search (Jira Data Center).
func (t *JiraTracker) searchDC(ctx context.Context, fps []string) ([]jiraIssue, []string, error) {
	var out []jiraIssue
	var ev []string
	for page, start := 0, 0; page < jiraMaxPages; page++ {
		q := url.Values{"jql": {t.jql(fps)}, "fields": {"status,labels"}, "startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		var res struct {
			Issues []jiraIssue `json:"issues"`
			Total  int         `json:"total"`
		}
		status, e, err := t.do(ctx, "GET", t.api("search")+"?"+q.Encode(), nil, &res)
		ev = append(ev, e)
		if status == http.StatusGone {
			return nil, ev, &jiraGone{err}
		}
		if err != nil {
			return nil, ev, err
		}
		out = append(out, res.Issues...)
		start += len(res.Issues)
		if len(res.Issues) == 0 || start >= res.Total {
			return out, ev, nil
		}
	}
	return out, ev, fmt.Errorf("jira search: more than %d pages", jiraMaxPages)
}

// labels are the tool's labels of a ticket; others (a person's) are kept.
func (t *JiraTracker) labels(old []string, fp, status string) []string {
	var out []string
	for _, l := range old {
		if l != "nhiscan" && !strings.HasPrefix(l, "nhiscan-") {
			out = append(out, l)
		}
	}
	return append(out, "nhiscan", "nhiscan-"+fp, "nhiscan-status-"+status)
}

// jiraTicket is a found issue with what its labels say.
type jiraTicket struct {
	is         jiraIssue
	fp, status string
	open       bool
}

// Sync implements Tracker.
func (t *JiraTracker) Sync(ctx context.Context, in TicketInput) (TicketResult, error) {
	fps, err := in.fingerprints()
	if err != nil {
		return TicketResult{}, err
	}
	fp := fps[0]
	var res TicketResult
	issues, ev, err := t.search(ctx, fps)
	res.Evidence = append(res.Evidence, ev...)
	if err != nil {
		return res, err
	}
	var found []jiraTicket
	for _, is := range issues {
		if !jiraKey.MatchString(is.Key) {
			continue // not an answer Jira gives: never used in a URL
		}
		jt := jiraTicket{is: is, open: is.Fields.Status.Category.Key != "done"}
		for _, l := range is.Fields.Labels {
			if s, ok := strings.CutPrefix(l, "nhiscan-status-"); ok {
				jt.status = s
			} else if f, ok := strings.CutPrefix(l, "nhiscan-"); ok && slices.Contains(fps, f) && (jt.fp == "" || f == fp) {
				jt.fp = f
			}
		}
		if jt.fp != "" && !slices.ContainsFunc(found, func(x jiraTicket) bool { return x.is.Key == is.Key }) {
			found = append(found, jt)
		}
	}
	slices.SortStableFunc(found, func(a, b jiraTicket) int {
		if (a.fp == fp) != (b.fp == fp) {
			if a.fp == fp {
				return -1
			}
			return 1
		}
		if a.open != b.open {
			if a.open {
				return -1
			}
			return 1
		}
		return 0 // the search is ordered by creation
	})
	if len(found) == 0 {
		fields := map[string]any{
			"project":     map[string]any{"key": t.project},
			"summary":     Title(in),
			"issuetype":   map[string]any{"name": t.issueType},
			"description": t.body(in),
			"labels":      t.labels(nil, fp, in.Status),
		}
		if in.Assignee != "" {
			if t.version == 3 {
				fields["assignee"] = map[string]any{"accountId": in.Assignee}
			} else {
				fields["assignee"] = map[string]any{"name": in.Assignee}
			}
		}
		var created struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		}
		_, ev, err := t.do(ctx, "POST", t.api("issue"), map[string]any{"fields": fields}, &created)
		res.Evidence = append(res.Evidence, ev)
		if err != nil {
			return res, err
		}
		if !jiraKey.MatchString(created.Key) {
			return res, fmt.Errorf("jira: created an issue but the answer names no valid key")
		}
		t.touch(created.ID)
		res.Key, res.URL, res.Action, res.State = created.Key, t.base+"/browse/"+created.Key, "created", "open"
		if in.verifiedDead() && in.Remediated {
			if err := t.close(ctx, created.Key, CloseComment(in, t.env.now()), &res); err != nil {
				return res, err
			}
			res.Action, res.State = "created+closed", "closed"
		}
		return res, nil
	}
	keep := found[0]
	key := keep.is.Key
	res.Key, res.URL = key, t.base+"/browse/"+key
	res.State = map[bool]string{true: "open", false: "closed"}[keep.open]
	adoptedFrom := ""
	if keep.fp != fp {
		adoptedFrom = keep.fp
	}
	if adoptedFrom != "" || (keep.status != in.Status && keep.open) {
		upd := map[string]any{"fields": map[string]any{"description": t.body(in), "labels": t.labels(keep.is.Fields.Labels, fp, in.Status)}}
		_, ev, err := t.do(ctx, "PUT", t.api("issue/"+key), upd, nil)
		res.Evidence = append(res.Evidence, ev)
		if err != nil {
			return res, err
		}
		t.touch(keep.is.ID)
		res.Action = "updated"
		if adoptedFrom != "" {
			res.Action = "adopted"
		}
		if !(keep.open && in.verifiedDead()) {
			if c := statusComment(keep.status, in.Status, adoptedFrom, fp); c != "" {
				_, ev, err = t.do(ctx, "POST", t.api("issue/"+key+"/comment"), map[string]any{"body": t.text(c)}, nil)
				res.Evidence = append(res.Evidence, ev)
				if err != nil {
					return res, err
				}
			}
		}
	}
	if keep.open && in.verifiedDead() {
		if err := t.close(ctx, key, CloseComment(in, t.env.now()), &res); err != nil {
			return res, err
		}
		res.Action, res.State = "closed", "closed"
	}
	for _, d := range found[1:] {
		if !d.open {
			continue
		}
		if err := t.close(ctx, d.is.Key, duplicateComment(key), &res); err != nil {
			return res, err
		}
		t.touch(d.is.ID)
		if res.Action == "" {
			res.Action = "duplicates closed"
		}
	}
	if res.Action != "" {
		return res, nil
	}
	return res, fmt.Errorf("issue %s: %w", key, ErrAlreadyDone)
}

func (t *JiraTracker) close(ctx context.Context, key, comment string, res *TicketResult) error {
	_, ev, err := t.do(ctx, "POST", t.api("issue/"+key+"/comment"), map[string]any{"body": t.text(comment)}, nil)
	res.Evidence = append(res.Evidence, ev)
	if err != nil {
		return err
	}
	var tr struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Category struct {
					Key string `json:"key"`
				} `json:"statusCategory"`
			} `json:"to"`
		} `json:"transitions"`
	}
	_, ev, err = t.do(ctx, "GET", t.api("issue/"+key+"/transitions"), nil, &tr)
	res.Evidence = append(res.Evidence, ev)
	if err != nil {
		return err
	}
	id := ""
	for _, x := range tr.Transitions {
		if x.To.Category.Key == "done" {
			id = x.ID
			break
		}
	}
	if id == "" {
		return fmt.Errorf("jira %s: no transition to a done status", key)
	}
	_, ev, err = t.do(ctx, "POST", t.api("issue/"+key+"/transitions"), map[string]any{"transition": map[string]any{"id": id}}, nil)
	res.Evidence = append(res.Evidence, ev)
	return err
}

// NewTracker builds the tracker the policy names, or nil when none.
func NewTracker(env *Env, cfg *TicketConfig) (Tracker, error) {
	switch cfg.System {
	case "github":
		return NewGitHubTracker(env, cfg)
	case "jira":
		return NewJiraTracker(env, cfg)
	}
	return nil, nil
}

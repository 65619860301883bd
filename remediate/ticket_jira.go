package remediate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"nhiscan/finding"
	"slices"
	"strings"
)

// JiraTracker keeps one Jira issue per secret, found again by the label
// "nhiscan-<fingerprint>". API version 3 (Cloud) sends Atlassian Document
// Format bodies; version 2 (Cloud and Data Center) plain text.
type JiraTracker struct {
	env       *Env
	base      string // https://site.atlassian.net
	host      string
	project   string
	issueType string
	version   int
	auth      string // Authorization header value
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
	return &JiraTracker{env: env, base: u.Scheme + "://" + u.Host + u.Path, host: strings.ToLower(u.Host), project: j.Project, issueType: it, version: v, auth: auth}, nil
}

// System implements Tracker.
func (t *JiraTracker) System() string { return "jira" }

func (t *JiraTracker) api(p string) string {
	return fmt.Sprintf("%s/rest/api/%d/%s", t.base, t.version, p)
}

// Plan implements Tracker.
func (t *JiraTracker) Plan(f *finding.Finding) []Call {
	a := "operator token"
	return []Call{
		{Method: "GET", URL: t.api("search") + "?jql=labels=nhiscan-" + f.Fingerprint, Auth: a, Why: "find the issue labelled with the fingerprint"},
		{Method: "POST", URL: t.api("issue"), Auth: a, Why: "open an issue in " + t.project + " when none exists"},
		{Method: "PUT", URL: t.api("issue/{key}"), Auth: a, Why: "update it when the status changed"},
		{Method: "POST", URL: t.api("issue/{key}/comment"), Auth: a, Why: "say what changed"},
		{Method: "POST", URL: t.api("issue/{key}/transitions"), Auth: a, Why: "close it once verified dead"},
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

// text is a body in this API version's format: a string (v2) or an ADF
// document with one paragraph per line (v3).
func (t *JiraTracker) text(s string) any {
	if t.version == 2 {
		return s
	}
	var content []any
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		p := map[string]any{"type": "paragraph"}
		if line != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": line}}
		}
		content = append(content, p)
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

type jiraIssue struct {
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

func (t *JiraTracker) labels(fp, status string) []string {
	return []string{"nhiscan", "nhiscan-" + fp, "nhiscan-status-" + status}
}

// Sync implements Tracker.
func (t *JiraTracker) Sync(ctx context.Context, in TicketInput) (TicketResult, error) {
	fp := in.Finding.Fingerprint
	var res TicketResult
	q := url.Values{"jql": {fmt.Sprintf(`labels = "nhiscan-%s"`, fp)}, "fields": {"status,labels"}}
	var found struct {
		Issues []jiraIssue `json:"issues"`
	}
	_, ev, err := t.do(ctx, "GET", t.api("search")+"?"+q.Encode(), nil, &found)
	res.Evidence = append(res.Evidence, ev)
	if err != nil {
		return res, err
	}
	body := Body(in)
	dead := in.Status == string(finding.StatusDead)
	if len(found.Issues) == 0 {
		fields := map[string]any{
			"project":     map[string]any{"key": t.project},
			"summary":     Title(in),
			"issuetype":   map[string]any{"name": t.issueType},
			"description": t.text(body),
			"labels":      t.labels(fp, in.Status),
		}
		if in.Assignee != "" {
			if t.version == 3 {
				fields["assignee"] = map[string]any{"accountId": in.Assignee}
			} else {
				fields["assignee"] = map[string]any{"name": in.Assignee}
			}
		}
		var created struct {
			Key string `json:"key"`
		}
		_, ev, err := t.do(ctx, "POST", t.api("issue"), map[string]any{"fields": fields}, &created)
		res.Evidence = append(res.Evidence, ev)
		if err != nil {
			return res, err
		}
		res.Key, res.URL, res.Action, res.State = created.Key, t.base+"/browse/"+created.Key, "created", "open"
		if dead && in.Remediated {
			if err := t.close(ctx, created.Key, in, &res); err != nil {
				return res, err
			}
			res.Action, res.State = "created+closed", "closed"
		}
		return res, nil
	}
	is := found.Issues[0]
	res.Key, res.URL = is.Key, t.base+"/browse/"+is.Key
	old := ""
	for _, l := range is.Fields.Labels {
		if s, ok := strings.CutPrefix(l, "nhiscan-status-"); ok {
			old = s
		}
	}
	open := is.Fields.Status.Category.Key != "done"
	res.State = map[bool]string{true: "open", false: "closed"}[open]
	if old != in.Status && open {
		upd := map[string]any{"fields": map[string]any{"description": t.text(body), "labels": t.labels(fp, in.Status)}}
		_, ev, err := t.do(ctx, "PUT", t.api("issue/"+is.Key), upd, nil)
		res.Evidence = append(res.Evidence, ev)
		if err != nil {
			return res, err
		}
		res.Action = "updated"
		if !dead {
			_, ev, err = t.do(ctx, "POST", t.api("issue/"+is.Key+"/comment"), map[string]any{"body": t.text(fmt.Sprintf("Status changed from %s to %s.", orDash(old), in.Status))}, nil)
			res.Evidence = append(res.Evidence, ev)
			return res, err
		}
	}
	if open && dead {
		if err := t.close(ctx, is.Key, in, &res); err != nil {
			return res, err
		}
		res.Action, res.State = "closed", "closed"
		return res, nil
	}
	if res.Action != "" {
		return res, nil
	}
	return res, fmt.Errorf("issue %s: %w", is.Key, ErrAlreadyDone)
}

func (t *JiraTracker) close(ctx context.Context, key string, in TicketInput, res *TicketResult) error {
	_, ev, err := t.do(ctx, "POST", t.api("issue/"+key+"/comment"), map[string]any{"body": t.text(CloseComment(in, t.env.now()))}, nil)
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

package remediate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"nhiscan/finding"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Policy chooses, for each finding, which actions to take. It is read from
// a TOML file; the first rule that matches a finding wins. A finding no rule
// matches gets no action.
//
// Mode "plan" (the default, and the built-in policy's) lets Apply do
// nothing: every step is recorded as skipped. Only a policy file that says
// mode = "apply" lets Apply act.
type Policy struct {
	Mode      string            `toml:"mode"`
	Rules     []Rule            `toml:"rule"`
	Providers Config            `toml:"providers"`
	Rotate    DestinationConfig `toml:"rotate"`
	Ticket    TicketConfig      `toml:"ticket"`

	// Source is "built-in" or the file path plus its SHA-256.
	Source string `toml:"-"`
}

// Rule matches findings and names the actions to take on them. Empty
// matchers match everything.
type Rule struct {
	Name string `toml:"name"`
	// Provider ids (rules/meta.go), or "*".
	Provider []string `toml:"provider"`
	// Status: live, dead, unknown, or unverified (no verification).
	Status []string `toml:"status"`
	// Privilege: admin, write, read, unknown; matched against the
	// verification's level and flags ("admin" also matches "org-admin").
	Privilege []string `toml:"privilege"`
	// InHead, when set, requires the secret to be (or not be) at the tip.
	InHead *bool `toml:"in_head"`
	// Path globs ("**" crosses folders); one location must match.
	Path []string `toml:"path"`
	// Actions to take, in order: revoke, rotate, ticket.
	Actions []Kind `toml:"actions"`
	// Fallback actions when an action is denied or blocked (e.g. ticket).
	Fallback []Kind `toml:"fallback"`
	// Priority of tickets opened by this rule (high, medium, low).
	Priority string `toml:"priority"`

	paths []*regexp.Regexp
}

// Config is the operator configuration of providers whose endpoint or
// admin credentials are not in the leaked credential. Values named *_env
// are names of environment variables holding operator secrets.
type Config struct {
	GitHub struct {
		// Enterprise are GitHub Enterprise Server hosts ("ghe.example.com"):
		// their tokens are revoked at the server's own, authenticated
		// https://HOST/api/v3/credentials/revoke, never at github.com.
		Enterprise []string `toml:"enterprise_hosts"`
		// EnterpriseTokenEnv names the environment variable holding a token
		// of that server allowed to call credentials/revoke.
		EnterpriseTokenEnv string `toml:"enterprise_token_env"`
	} `toml:"github"`
	GitLab struct {
		URL string `toml:"url"` // default https://gitlab.com
	} `toml:"gitlab"`
	Vault struct {
		Addr      string `toml:"addr"` // e.g. https://vault.internal:8200; required
		Namespace string `toml:"namespace"`
	} `toml:"vault"`
	AWS struct {
		// AdminProfile is a shared-config profile used when the leaked key
		// may not deactivate itself (and for rotation).
		AdminProfile string `toml:"admin_profile"`
		Region       string `toml:"region"` // default us-east-1
		// NoLeakedKey: never sign with the leaked key, only the admin profile.
		NoLeakedKey bool `toml:"no_leaked_key"`
	} `toml:"aws"`
	GCP struct {
		TokenEnv string `toml:"token_env"` // OAuth access token with iam.serviceAccountKeys.disable
	} `toml:"gcp"`
	Twilio struct {
		AccountSID   string `toml:"account_sid"`
		AuthTokenEnv string `toml:"auth_token_env"` // Main account auth token
	} `toml:"twilio"`
	Databricks struct {
		Host string `toml:"host"` // workspace host, e.g. dbc-1234.cloud.databricks.com
	} `toml:"databricks"`
}

// TicketConfig chooses the tracker.
type TicketConfig struct {
	System string `toml:"system"` // github or jira; "" = none
	GitHub struct {
		Repo     string   `toml:"repo"`      // owner/name of the repository where the secret was found
		APIURL   string   `toml:"api_url"`   // default https://api.github.com/ (GHES: https://host/api/v3/)
		TokenEnv string   `toml:"token_env"` // default GITHUB_TOKEN
		Labels   []string `toml:"labels"`
		// WebURL is the repository's web address for location links
		// (default https://github.com/<repo>).
		WebURL string `toml:"web_url"`
	} `toml:"github"`
	Jira struct {
		URL        string `toml:"url"` // https://yoursite.atlassian.net
		Project    string `toml:"project"`
		IssueType  string `toml:"issue_type"`  // default Task
		APIVersion int    `toml:"api_version"` // 2 (wiki markup) or 3 (ADF, Cloud only); default 3
		// Deployment is cloud or datacenter: which search API the site
		// has (Cloud: /search/jql; Data Center: /rest/api/2/search).
		// Default: cloud for *.atlassian.net and api_version 3.
		Deployment string `toml:"deployment"`
		EmailEnv   string `toml:"email_env"` // Basic auth user (Cloud); empty: Bearer token (Data Center PAT)
		TokenEnv   string `toml:"token_env"`
		WebURL     string `toml:"repo_web_url"` // for location links
	} `toml:"jira"`
	// Assignees maps commit author emails to tracker users (GitHub logins,
	// Jira account ids). CODEOWNERS owners are used first when a repo folder
	// is given.
	Assignees map[string]string `toml:"assignees"`
}

// Modes of a policy.
const (
	ModePlan  = "plan"
	ModeApply = "apply"
)

// DefaultPolicy is used without a policy file: live credentials are revoked
// (ticket when that is denied or impossible), unknown ones ticketed, dead
// ones still in the tree ticketed at low priority — and mode plan, so
// nothing is applied.
func DefaultPolicy() *Policy {
	p := &Policy{Mode: ModePlan, Source: "built-in", Rules: []Rule{
		{Name: "live: revoke", Status: []string{"live"}, Actions: []Kind{Revoke, Ticket}, Fallback: []Kind{Ticket}, Priority: "high"},
		{Name: "unknown: ticket", Status: []string{"unknown", "unverified"}, Actions: []Kind{Ticket}, Priority: "medium"},
		{Name: "dead in tree: ticket low", Status: []string{"dead"}, InHead: ptr(true), Actions: []Kind{Ticket}, Priority: "low"},
	}}
	if err := p.validate(); err != nil {
		panic(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// LoadPolicy reads a policy file. Unknown keys are errors.
func LoadPolicy(file string) (*Policy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	sum := sha256.Sum256(b)
	p.Source = file + " sha256:" + hex.EncodeToString(sum[:8])
	return p, nil
}

// ParsePolicy parses policy TOML.
func ParsePolicy(b []byte) (*Policy, error) {
	p := &Policy{}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return nil, errors.New(strings.TrimSpace(sm.String()))
		}
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	p.Source = "sha256:" + hex.EncodeToString(sum[:8])
	return p, nil
}

func (p *Policy) validate() error {
	switch p.Mode {
	case "":
		p.Mode = ModePlan
	case ModePlan, ModeApply:
	default:
		return fmt.Errorf("mode %q: want plan or apply", p.Mode)
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Name == "" {
			r.Name = fmt.Sprintf("rule %d", i+1)
		}
		for _, k := range append(slices.Clone(r.Actions), r.Fallback...) {
			if k != Revoke && k != Rotate && k != Ticket {
				return fmt.Errorf("%s: action %q: want revoke, rotate or ticket", r.Name, k)
			}
		}
		for _, s := range r.Status {
			if !slices.Contains([]string{"live", "dead", "unknown", "unverified"}, s) {
				return fmt.Errorf("%s: status %q: want live, dead, unknown or unverified", r.Name, s)
			}
		}
		r.paths = nil
		for _, g := range r.Path {
			re, err := globRegexp(g)
			if err != nil {
				return fmt.Errorf("%s: path %q: %w", r.Name, g, err)
			}
			r.paths = append(r.paths, re)
		}
	}
	switch p.Ticket.System {
	case "", "github", "jira":
	default:
		return fmt.Errorf("ticket.system %q: want github or jira", p.Ticket.System)
	}
	return nil
}

// globRegexp turns a glob into a regexp: "**" matches across folders, "*"
// and "?" within one.
func globRegexp(g string) (*regexp.Regexp, error) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Match returns the first rule matching f and a short reason, or nil.
func (p *Policy) Match(f *finding.Finding) (*Rule, string) {
	for i := range p.Rules {
		if why, ok := p.Rules[i].match(f); ok {
			return &p.Rules[i], why
		}
	}
	return nil, ""
}

func statusOf(f *finding.Finding) string {
	if f.Verification == nil || f.Verification.Status == "" {
		return "unverified"
	}
	return string(f.Verification.Status)
}

func (r *Rule) match(f *finding.Finding) (string, bool) {
	var why []string
	if len(r.Provider) > 0 && !slices.Contains(r.Provider, "*") {
		if !slices.Contains(r.Provider, f.Provider) {
			return "", false
		}
		why = append(why, "provider "+f.Provider)
	}
	st := statusOf(f)
	if len(r.Status) > 0 {
		if !slices.Contains(r.Status, st) {
			return "", false
		}
	}
	why = append(why, "status "+st)
	if len(r.Privilege) > 0 {
		var lv string
		var flags []string
		if f.Verification != nil {
			lv, flags = f.Verification.Privileges.Level, f.Verification.Privileges.Flags
		}
		if lv == "" {
			lv = "unknown"
		}
		hit := ""
		for _, want := range r.Privilege {
			if lv == want {
				hit = want
			}
			for _, fl := range flags {
				if strings.Contains(fl, want) {
					hit = want
				}
			}
		}
		if hit == "" {
			return "", false
		}
		why = append(why, "privilege "+hit)
	}
	if r.InHead != nil {
		if f.InHead != *r.InHead {
			return "", false
		}
		if f.InHead {
			why = append(why, "still in the tree")
		} else {
			why = append(why, "only in history")
		}
	}
	if len(r.paths) > 0 {
		hit := ""
		for _, l := range f.Locations {
			for i, re := range r.paths {
				if hit == "" && re.MatchString(l.Path) {
					hit = r.Path[i]
				}
			}
		}
		if hit == "" {
			return "", false
		}
		why = append(why, "path "+hit)
	}
	return strings.Join(why, ", "), true
}

// rule returns the rule named name; a synthetic rule for deferred work.
func (p *Policy) rule(name string) *Rule {
	for i := range p.Rules {
		if p.Rules[i].Name == name {
			return &p.Rules[i]
		}
	}
	return &Rule{Name: name}
}

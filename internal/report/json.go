package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"nhiscan/finding"
	"strings"
	"time"
)

// JSONLocation is a finding.Location as written in json and jsonl reports,
// plus a link to it in the repository browser when Options.RepoURL is set.
type JSONLocation struct {
	finding.Location
	URL string `json:"url,omitempty"`
}

// JSONFinding is one finding as written in json and jsonl reports, and as
// ReadJSON returns it.
//
// When written, Secret is the raw secret only with Options.ShowSecrets and
// the redacted form otherwise. When read back by ReadJSON, Secret holds a raw
// secret or is empty: a redacted value never lands in Secret.
type JSONFinding struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	// OtherRules are the other rules that matched the same credential.
	OtherRules []string `json:"other_rules,omitempty"`
	// Aliases are earlier fingerprints of the same credential (per-rule
	// forms), accepted by baselines and ignore files.
	Aliases []string `json:"aliases,omitempty"`
	// Kind is the credential kind (its provider, and the provider's own
	// kind when it has several).
	Kind string `json:"kind,omitempty"`
	// Parts are the other named parts of a multi-part credential (an AWS
	// key id, a key file's client_email): raw with --show-secrets,
	// redacted otherwise. They are never read back from a report.
	Parts       map[string]string `json:"parts,omitempty"`
	Description string            `json:"description"`
	Provider    string            `json:"provider"`
	Severity    string            `json:"severity"`
	Tags        []string          `json:"tags"`
	Secret      string            `json:"secret"`
	Redacted    string            `json:"redacted"`
	Entropy     float32           `json:"entropy"`
	InHead      bool              `json:"in_head"`
	// FirstCommit and FirstSeenDate come from Finding.FirstLocation: the
	// commit that first leaked the secret, and when. Omitted when unknown.
	FirstCommit   string         `json:"first_commit,omitempty"`
	FirstSeenDate time.Time      `json:"first_seen_date,omitzero"`
	Locations     []JSONLocation `json:"locations"`
	// Verification is the provider's answer (status, reason, checked_at,
	// identity, privileges, endpoint); absent when the secret was not verified.
	Verification *finding.Verification `json:"verification,omitempty"`
	// Remediation is what was planned or done about the secret; absent when
	// nothing was.
	Remediation *finding.Remediation `json:"remediation,omitempty"`
	// GitleaksFingerprint is set only for findings read from a gitleaks
	// report whose secret was redacted, so Fingerprint could not be computed.
	GitleaksFingerprint string `json:"gitleaks_fingerprint,omitempty"`
}

// HasSecret reports whether the finding carries a raw (unredacted) secret.
func (j *JSONFinding) HasSecret() bool { return j.Secret != "" && !looksRedacted(j.Secret) }

// Finding converts a finding read back from a report to the scanner model.
func (j *JSONFinding) Finding() finding.Finding {
	f := finding.Finding{
		Fingerprint: j.Fingerprint,
		RuleID:      j.RuleID,
		OtherRules:  append([]string(nil), j.OtherRules...),
		Aliases:     append([]string(nil), j.Aliases...),
		Kind:        j.Kind,
		Description: j.Description,
		Provider:    j.Provider,
		Severity:    j.Severity,
		Tags:        append([]string(nil), j.Tags...),
		Redacted:    j.Redacted,
		Entropy:     j.Entropy,
		InHead:      j.InHead,
		// copies: the finding must not share maps or slices with j
		Verification: copyVerification(j.Verification),
		Remediation:  copyRemediation(j.Remediation),
	}
	if j.HasSecret() {
		f.Secret = j.Secret
	}
	for _, l := range j.Locations {
		f.Locations = append(f.Locations, l.Location)
	}
	return f
}

type jsonReport struct {
	Tool     string        `json:"tool"`
	Version  string        `json:"version"`
	Findings []JSONFinding `json:"findings"`
	Stats    finding.Stats `json:"stats"`
}

func toJSONFinding(f *finding.Finding, opts Options) JSONFinding {
	ri := ruleInfo(f, opts)
	j := JSONFinding{
		Fingerprint: f.Fingerprint,
		RuleID:      f.RuleID,
		OtherRules:  f.OtherRules,
		Aliases:     f.Aliases,
		Kind:        f.Kind,
		Parts:       shownParts(f, opts),
		Description: ri.Description,
		Provider:    ri.Provider,
		Severity:    ri.Severity,
		Tags:        append([]string{}, ri.Tags...),
		Secret:      shownSecret(f, opts),
		Redacted:    redacted(f),
		Entropy:     f.Entropy,
		InHead:      f.InHead,
		Locations:   make([]JSONLocation, 0, len(f.Locations)),
		// normalize already copied both
		Verification: f.Verification,
		Remediation:  f.Remediation,
	}
	if math.IsNaN(float64(j.Entropy)) || math.IsInf(float64(j.Entropy), 0) {
		j.Entropy = 0 // encoding/json cannot write NaN or Inf
	}
	first := f.FirstLocation()
	j.FirstCommit = first.Commit
	j.FirstSeenDate = first.Date
	for _, l := range f.Locations {
		j.Locations = append(j.Locations, JSONLocation{Location: l, URL: locationURL(opts, l)})
	}
	return j
}

func writeJSON(w io.Writer, res finding.Result, opts Options) error {
	rep := jsonReport{
		Tool:     ToolName,
		Version:  opts.ToolVersion,
		Findings: make([]JSONFinding, 0, len(res.Findings)),
		Stats:    res.Stats,
	}
	for i := range res.Findings {
		rep.Findings = append(rep.Findings, toJSONFinding(&res.Findings[i], opts))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeJSONL(w io.Writer, res finding.Result, opts Options) error {
	enc := json.NewEncoder(w)
	for i := range res.Findings {
		if err := enc.Encode(toJSONFinding(&res.Findings[i], opts)); err != nil {
			return err
		}
	}
	return nil
}

// looksRedacted reports whether a secret value read from a report is a
// redacted form rather than the secret itself.
func looksRedacted(s string) bool {
	return strings.Contains(s, "*****") || strings.Contains(s, "REDACTED")
}

// ReadJSON reads findings back from a report: nhiscan's json report (an
// object with "findings"), its jsonl stream (one finding object per line), or
// a gitleaks JSON report (a top-level array of objects with RuleID, Secret,
// File, Commit, StartLine, Fingerprint). Gitleaks entries for the same secret
// are merged into one finding with several locations. Empty input yields no
// findings. Secrets that are redacted in the input are returned as "".
func ReadJSON(r io.Reader) ([]JSONFinding, error) {
	dec := json.NewDecoder(r)
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("report: reading JSON: %w", err)
	}
	var out []JSONFinding
	switch firstByte(first) {
	case '[':
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(first, &items); err != nil {
			return nil, fmt.Errorf("report: reading JSON array: %w", err)
		}
		var err error
		if out, err = readArray(items); err != nil {
			return nil, err
		}
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(first, &obj); err != nil {
			return nil, fmt.Errorf("report: reading JSON object: %w", err)
		}
		if _, ok := obj["runs"]; ok {
			return nil, errors.New("report: a SARIF report cannot be read back (it never holds a secret and drops fields): use a json or jsonl report")
		}
		if raw, ok := obj["findings"]; ok {
			var items []map[string]json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("report: reading findings: %w", err)
			}
			var err error
			if out, err = readArray(items); err != nil {
				return nil, err
			}
			break
		}
		// a jsonl stream: this object and every following one is a finding
		for n := 1; ; n++ {
			f, err := readNHIFinding(obj)
			if err != nil {
				return nil, fmt.Errorf("report: line %d: %w", n, err)
			}
			out = append(out, f)
			obj = nil
			if err := dec.Decode(&obj); err != nil {
				if errors.Is(err, io.EOF) {
					return out, nil
				}
				return nil, fmt.Errorf("report: reading JSON lines: finding %d: %w", n+1, err)
			}
			if obj == nil {
				return nil, fmt.Errorf("report: reading JSON lines: finding %d is not an object", n+1)
			}
		}
	default:
		return nil, errors.New("report: not a report: expected a JSON object, JSON lines, or a gitleaks JSON array")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("report: unexpected data after the report")
	}
	return out, nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// readArray reads an array of findings: gitleaks' or nhiscan's, told apart
// by their keys ("RuleID" against "rule_id").
func readArray(items []map[string]json.RawMessage) ([]JSONFinding, error) {
	out := make([]JSONFinding, 0, len(items))
	merged := map[string]int{} // gitleaks: fingerprint -> index in out
	for i, obj := range items {
		if obj == nil {
			return nil, fmt.Errorf("report: finding %d is not an object", i+1)
		}
		if _, isGitleaks := obj["RuleID"]; isGitleaks {
			f, err := readGitleaksFinding(obj)
			if err != nil {
				return nil, fmt.Errorf("report: gitleaks finding %d: %w", i+1, err)
			}
			if f.Fingerprint != "" {
				if k, ok := merged[f.Fingerprint]; ok {
					out[k].Locations = append(out[k].Locations, f.Locations...)
					sf := out[k].Finding()
					first := sf.FirstLocation()
					out[k].FirstCommit, out[k].FirstSeenDate = first.Commit, first.Date
					continue
				}
				merged[f.Fingerprint] = len(out)
			}
			out = append(out, f)
			continue
		}
		f, err := readNHIFinding(obj)
		if err != nil {
			return nil, fmt.Errorf("report: finding %d: %w", i+1, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func remarshal(obj map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readNHIFinding(obj map[string]json.RawMessage) (JSONFinding, error) {
	var f JSONFinding
	if err := remarshal(obj, &f); err != nil {
		return JSONFinding{}, err
	}
	if f.RuleID == "" {
		return JSONFinding{}, errors.New(`missing "rule_id"`)
	}
	if f.Secret != "" && looksRedacted(f.Secret) {
		if f.Redacted == "" {
			f.Redacted = f.Secret
		}
		f.Secret = ""
	}
	if f.Secret != "" {
		if f.Fingerprint == "" {
			f.Fingerprint = finding.Fingerprint(f.RuleID, f.Secret)
		}
		if f.Redacted == "" {
			f.Redacted = finding.Redact(f.Secret)
		}
	}
	if f.Fingerprint == "" {
		return JSONFinding{}, errors.New(`missing "fingerprint"`)
	}
	return f, nil
}

// gitleaksFinding is the subset of gitleaks' report.Finding that maps onto
// a location.
type gitleaksFinding struct {
	RuleID      string
	Description string
	StartLine   int
	EndLine     int
	StartColumn int
	EndColumn   int
	Secret      string
	File        string
	Commit      string
	Entropy     float32
	Author      string
	Email       string
	Date        string
	Tags        []string
	Fingerprint string
}

func readGitleaksFinding(obj map[string]json.RawMessage) (JSONFinding, error) {
	var g gitleaksFinding
	if err := remarshal(obj, &g); err != nil {
		return JSONFinding{}, err
	}
	if g.RuleID == "" {
		return JSONFinding{}, errors.New(`empty "RuleID"`)
	}
	loc := finding.Location{
		Commit:    g.Commit,
		Path:      g.File,
		Line:      g.StartLine,
		Column:    g.StartColumn,
		EndLine:   g.EndLine,
		EndColumn: g.EndColumn,
		Author:    g.Author,
		Email:     g.Email,
	}
	if t, err := time.Parse(time.RFC3339, g.Date); err == nil {
		loc.Date = t
	}
	f := JSONFinding{
		RuleID:      g.RuleID,
		Description: g.Description,
		Tags:        g.Tags,
		Entropy:     g.Entropy,
		Locations:   []JSONLocation{{Location: loc}},
		FirstCommit: loc.Commit,
		// gitleaks does not say whether a history finding is still in HEAD
	}
	if f.Tags == nil {
		f.Tags = []string{}
	}
	switch {
	case g.Secret == "":
		f.GitleaksFingerprint = g.Fingerprint
	case looksRedacted(g.Secret):
		f.Redacted = g.Secret
		f.GitleaksFingerprint = g.Fingerprint
	default:
		f.Secret = g.Secret
		f.Redacted = finding.Redact(g.Secret)
		f.Fingerprint = finding.Fingerprint(g.RuleID, g.Secret)
	}
	if !loc.Date.IsZero() {
		f.FirstSeenDate = loc.Date
	}
	return f, nil
}

// shownParts are f's parts as a report shows them: raw with --show-secrets,
// redacted otherwise; "kind" is a marker, not a part.
func shownParts(f *finding.Finding, opts Options) map[string]string {
	var out map[string]string
	for k, v := range f.Parts {
		if k == "kind" || v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		if opts.ShowSecrets {
			out[k] = v
		} else {
			out[k] = finding.Redact(v)
		}
	}
	return out
}

package report

import (
	"encoding/json"
	"io"
	"nhiscan/finding"
	"sort"
	"strings"
	"unicode"
)

// SARIF 2.1.0 as GitHub code scanning reads it. Only the objects and
// properties nhiscan emits are modelled; field order is fixed and maps are
// written with sorted keys, so output is deterministic.

const (
	sarifSchemaURI     = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion       = "2.1.0"
	sarifFingerprintID = "nhiscan/v1"
	sarifSrcRoot       = "%SRCROOT%"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  *sarifRunProps    `json:"properties,omitempty"`
}

type sarifRunProps struct {
	Stats finding.Stats `json:"stats"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name"`
	ShortDescription     sarifMultiformat `json:"shortDescription"`
	FullDescription      sarifMultiformat `json:"fullDescription"`
	Help                 sarifMultiformat `json:"help"`
	DefaultConfiguration sarifRuleConfig  `json:"defaultConfiguration"`
	Properties           sarifRuleProps   `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	Provider         string   `json:"provider,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fingerprints        map[string]string `json:"fingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	InHead bool `json:"in_head"`
	// Verification is the provider's answer, absent when not verified.
	Verification *finding.Verification `json:"verification,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifMessage          `json:"message,omitempty"`
	Properties       *sarifLocationProps    `json:"properties,omitempty"`
}

// sarifLocationProps carries what identifies where the secret was committed:
// the commit and the blob, and no personal data (author, email).
type sarifLocationProps struct {
	Commit      string `json:"commit,omitempty"`
	Blob        string `json:"blob,omitempty"`
	Unreachable bool   `json:"unreachable,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

// securitySeverity is GitHub's numeric severity for a severity name.
func securitySeverity(sev string) string {
	switch sev {
	case "critical":
		return "9.5"
	case "high":
		return "8.0"
	case "low":
		return "3.0"
	}
	return "5.5"
}

func sarifLevel(sev string) string {
	if sev == "critical" || sev == "high" {
		return "error"
	}
	return "warning"
}

// ruleName turns a rule id such as "github-pat" into a SARIF rule name
// such as "GithubPat".
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Secret"
	}
	return b.String()
}

// tagSet returns tags without duplicates or empty strings (SARIF requires
// unique tags), plus "security" and "secret" so that code scanning files the
// results as security alerts.
func tagSet(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range append(append([]string(nil), tags...), "security", "secret") {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func sarifRuleFor(ri RuleInfo) sarifRule {
	sev := strings.ToLower(ri.Severity)
	desc := ri.Description
	if desc == "" {
		desc = "Secret matched rule " + ri.ID
	}
	full := desc
	if ri.Provider != "" {
		full += " (provider: " + ri.Provider + ")"
	}
	full += "."
	fix := ri.Remediation
	if fix == "" {
		fix = defaultRemediation
	}
	md := "**" + desc + "**\n\n"
	if ri.Provider != "" {
		md += "Provider: `" + strings.ReplaceAll(ri.Provider, "`", "'") + "`\n\n"
	}
	md += "**Remediation:** " + fix + "\n"
	return sarifRule{
		ID:                   ri.ID,
		Name:                 ruleName(ri.ID),
		ShortDescription:     sarifMultiformat{Text: desc},
		FullDescription:      sarifMultiformat{Text: full},
		Help:                 sarifMultiformat{Text: full + "\nRemediation: " + fix, Markdown: md},
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(sev)},
		Properties: sarifRuleProps{
			Tags:             tagSet(ri.Tags),
			SecuritySeverity: securitySeverity(sev),
			Precision:        "high",
			Provider:         ri.Provider,
		},
	}
}

// sarifURI turns a scanned path into an artifact location: a relative,
// percent-encoded URI against %SRCROOT%, or a file URI for an absolute path.
func sarifURI(path string) sarifArtifactLocation {
	if strings.HasPrefix(path, "/") {
		return sarifArtifactLocation{URI: "file://" + escapePath(path)}
	}
	for strings.HasPrefix(path, "./") {
		path = path[2:]
	}
	return sarifArtifactLocation{URI: escapePath(path), URIBaseID: sarifSrcRoot}
}

// sarifRegionFor clamps a location to SARIF's constraints: lines and
// columns start at 1 and the region does not end before it starts.
func sarifRegionFor(l finding.Location) sarifRegion {
	r := sarifRegion{StartLine: max(l.Line, 1), StartColumn: max(l.Column, 1)}
	r.EndLine = max(l.EndLine, r.StartLine)
	r.EndColumn = max(l.EndColumn, 1)
	if r.EndLine == r.StartLine && r.EndColumn < r.StartColumn {
		r.EndColumn = r.StartColumn
	}
	return r
}

func sarifLocationFor(l finding.Location) sarifLocation {
	var loc sarifLocation
	if l.Commit != "" || l.Blob != "" || l.Unreachable {
		loc.Properties = &sarifLocationProps{Commit: l.Commit, Blob: l.Blob, Unreachable: l.Unreachable}
	}
	path := l.Path
	if path == "" {
		// Code scanning rejects a whole upload when one location has no
		// artifact, so an object found without a path (an unreachable blob)
		// gets a placeholder named after the blob, and a message says why.
		path = "unknown-path"
		text := "secret found in an object that no commit names with a path"
		if l.Blob != "" {
			path = "git-blob-" + l.Blob
			text = "secret found in blob " + l.Blob + ", which no commit names with a path"
		}
		loc.Message = &sarifMessage{Text: text}
	}
	loc.PhysicalLocation = &sarifPhysicalLocation{
		ArtifactLocation: sarifURI(path),
		Region:           sarifRegionFor(l),
	}
	return loc
}

func writeSARIF(w io.Writer, res finding.Result, opts Options) error {
	// driver.rules: only the rules results refer to, sorted by id, so that
	// ruleIndex is stable.
	infos := map[string]RuleInfo{}
	for i := range res.Findings {
		f := &res.Findings[i]
		if _, ok := infos[f.RuleID]; !ok {
			infos[f.RuleID] = ruleInfo(f, opts)
		}
	}
	ids := make([]string, 0, len(infos))
	for id := range infos {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	index := make(map[string]int, len(ids))
	rules := make([]sarifRule, 0, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, sarifRuleFor(infos[id]))
	}

	results := make([]sarifResult, 0, len(res.Findings))
	for i := range res.Findings {
		f := &res.Findings[i]
		ri := ruleInfo(f, opts)
		desc := ri.Description
		if desc == "" {
			desc = "Secret matched rule " + f.RuleID
		}
		level := sarifLevel(strings.ToLower(ri.Severity))
		// "<description> (secret <redacted>)": a description ending in a full
		// stop stays a sentence, and a redacted PEM header reads as a value.
		text := strings.TrimRight(strings.TrimSpace(desc), ".") + " (secret " + redacted(f) + ")"
		switch f.Status() {
		case finding.StatusLive:
			level = "error" // a working credential, whatever the rule's severity
			text += " (verified live: the provider accepted it)"
		case finding.StatusDead:
			text += " (verified dead: the provider rejected it)"
		case finding.StatusUnknown:
			text += " (verification inconclusive)"
		}
		r := sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: index[f.RuleID],
			Level:     level,
			// the redacted form only, whatever opts.ShowSecrets says: SARIF
			// is uploaded to code scanning and read by everyone with access
			Message:             sarifMessage{Text: text},
			Locations:           []sarifLocation{},
			PartialFingerprints: map[string]string{sarifFingerprintID: f.Fingerprint},
			Fingerprints:        map[string]string{sarifFingerprintID: f.Fingerprint},
			Properties:          sarifResultProps{InHead: f.InHead, Verification: f.Verification},
		}
		// locations with a path first: code scanning shows the first one
		var pathless []sarifLocation
		for _, l := range f.Locations {
			if l.Path == "" {
				pathless = append(pathless, sarifLocationFor(l))
				continue
			}
			r.Locations = append(r.Locations, sarifLocationFor(l))
		}
		r.Locations = append(r.Locations, pathless...)
		results = append(results, r)
	}

	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           ToolName,
			InformationURI: InformationURI,
			Version:        opts.ToolVersion,
			Rules:          rules,
		}},
		Results:    results,
		Properties: &sarifRunProps{Stats: res.Stats},
	}
	if len(res.Stats.Warnings) > 0 {
		inv := sarifInvocation{ExecutionSuccessful: true}
		for _, warn := range res.Stats.Warnings {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
				sarifNotification{Level: "warning", Message: sarifMessage{Text: warn}})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: sarifVersion, Runs: []sarifRun{run}})
}

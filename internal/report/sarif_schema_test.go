package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"nhiscan/finding"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The official SARIF 2.1.0 JSON schema (OASIS, errata01) is not copied into
// this repository: github.com/owenrumney/go-sarif/v3 ships it, as the Go raw
// string in pkg/report/v210/sarif/schema.go, and that module is a test
// dependency (imported below, so `go mod tidy` keeps it and `go test` has it
// in the module cache). The test reads the schema from the module's files and
// validates with github.com/santhosh-tekuri/jsonschema/v6, offline: its
// loader refuses every URL.

const (
	sarifModule     = "github.com/owenrumney/go-sarif/v3"
	sarifSchemaFile = "pkg/report/v210/sarif/schema.go"
)

var (
	schemaOnce sync.Once
	schemaSch  *jsonschema.Schema
	schemaErr  error
)

type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, errors.New("offline: refusing to load " + url)
}

func officialSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() { schemaSch, schemaErr = loadSARIFSchema() })
	if schemaErr != nil {
		t.Fatalf("loading the SARIF 2.1.0 schema from %s: %v", sarifModule, schemaErr)
	}
	return schemaSch
}

func loadSARIFSchema() (*jsonschema.Schema, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sarifModule).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = errors.New(string(ee.Stderr))
		}
		return nil, err
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return nil, errors.New("module directory not found (is it in the module cache?)")
	}
	src, err := os.ReadFile(filepath.Join(dir, sarifSchemaFile))
	if err != nil {
		return nil, err
	}
	// the schema is the only raw string literal in the file
	start, end := bytes.IndexByte(src, '`'), bytes.LastIndexByte(src, '`')
	if start < 0 || end <= start {
		return nil, errors.New("no schema literal in " + sarifSchemaFile)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src[start+1 : end]))
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok || m["title"] != "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema" {
		return nil, errors.New("the literal is not the SARIF 2.1.0 schema")
	}
	id, _ := m["id"].(string)
	if !strings.HasSuffix(id, "sarif-schema-2.1.0.json") {
		return nil, errors.New("unexpected schema id " + id)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return nil, err
	}
	return c.Compile(id)
}

func validateSARIF(t *testing.T, out []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	return officialSARIFSchema(t).Validate(inst)
}

func TestSARIFSchema(t *testing.T) {
	fx := newFixture()
	withWarnings := fx.res
	noRules := fx.res
	noRules.Stats.Warnings = nil
	tests := []struct {
		name string
		res  finding.Result
		opts Options
	}{
		{"empty", finding.Result{}, Options{}},
		{"fixture", fx.res, Options{Rules: fx.rules, ToolVersion: "1.2.3"}},
		{"fixture/show-secrets", withWarnings, Options{ShowSecrets: true, Rules: fx.rules}},
		{"no rule metadata", noRules, Options{}},
		{"bare finding", finding.Result{Findings: []finding.Finding{{RuleID: "r", Secret: "s"}}}, Options{}},
		{"verified", verifiedFixture().res, Options{Rules: fx.rules, ToolVersion: "1.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := write(t, "sarif", tt.res, tt.opts)
			if err := validateSARIF(t, out); err != nil {
				t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v", err)
			}
			// and a third-party SARIF model reads it
			rep, err := gosarif.FromBytes(out)
			if err != nil {
				t.Fatalf("go-sarif cannot read the output: %v", err)
			}
			if len(rep.Runs) != 1 || len(rep.Runs[0].Results) != len(tt.res.Findings) {
				t.Fatalf("go-sarif read %d runs", len(rep.Runs))
			}
			for i, r := range rep.Runs[0].Results {
				if r.RuleID == nil || *r.RuleID == "" {
					t.Errorf("result %d has no ruleId", i)
				}
			}
		})
	}
}

// The validator must be live: output broken on purpose must fail.
func TestSARIFSchemaRejects(t *testing.T) {
	fx := newFixture()
	good := write(t, "sarif", fx.res, Options{Rules: fx.rules})
	breakers := []struct {
		name  string
		apply func(m map[string]any)
	}{
		{"startLine 0", func(m map[string]any) {
			loc := firstResult(m)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"].(map[string]any)["startLine"] = 0
		}},
		{"bad level", func(m map[string]any) { firstResult(m)["level"] = "fatal" }},
		{"uri not a URI", func(m map[string]any) {
			loc := firstResult(m)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"] = "a b\n%zz"
		}},
		{"duplicate tags", func(m map[string]any) {
			rule := m["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
			rule["properties"].(map[string]any)["tags"] = []any{"a", "a"}
		}},
		{"no version", func(m map[string]any) { delete(m, "version") }},
	}
	for _, b := range breakers {
		t.Run(b.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			b.apply(m)
			bad, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if validateSARIF(t, bad) == nil {
				t.Fatal("broken SARIF validated")
			}
		})
	}
}

func firstResult(m map[string]any) map[string]any {
	return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}

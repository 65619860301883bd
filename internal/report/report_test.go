package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"nhiscan/finding"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// fakeSecret makes a secret-shaped string at test time, so no secret-like
// literal sits in the repository.
func fakeSecret(rng *rand.Rand, prefix string, n int, alphabet string) string {
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

// hostile file names and authors: each must come out of every format
// without driving a terminal, faking a line, or breaking a URI.
var hostilePaths = []string{
	"dir/new\nline.txt",
	"x\nFAKE 0 secrets found",
	"web/<script>alert(1)</script>.js",
	"ünïcødé/日本語 file name.txt",
	"\x1b[31mred\x1b[0m.txt",
	"c:evil/with space?and#hash%41.txt",
	"bidi/\u202etxt.exe",
	"bad\xffutf8.txt",
	"./rel/../weird.env",
}

type fixture struct {
	res     finding.Result
	secrets []string // raw secrets in res
	rules   map[string]RuleInfo
}

func newFixture() fixture {
	rng := rand.New(rand.NewPCG(1, 2))
	gh := fakeSecret(rng, "ghp_", 36, alnum)
	aws := fakeSecret(rng, "AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	// a secret that itself starts like a formula and holds an escape
	weird := "=" + fakeSecret(rng, "\x1b[2J", 30, alnum)
	short := fakeSecret(rng, "", 8, alnum)

	day := func(d int) time.Time { return time.Date(2024, 1, d, 10, 0, 0, 0, time.UTC) }
	commit := func(i int) string { return fakeSecret(rng, "", 40, "0123456789abcdef") + "" }

	var ghLocs []finding.Location
	for i := range 13 {
		ghLocs = append(ghLocs, finding.Location{
			Commit: commit(i), Blob: fakeSecret(rng, "", 40, "0123456789abcdef"),
			Path: "src/config.go", Line: i + 1, Column: 7, EndLine: i + 1, EndColumn: 47,
			Author: "Alice Example", Email: "alice@example.com", Date: day(13 - i),
		})
	}
	var hostileLocs []finding.Location
	for i, p := range hostilePaths {
		hostileLocs = append(hostileLocs, finding.Location{
			Commit: commit(i), Blob: fakeSecret(rng, "", 40, "0123456789abcdef"),
			Path: p, Line: 0, Column: 0, // unknown: SARIF must clamp to 1
			Author: "Mallory\x1b]0;pwned\x07\nFAKE", Email: "@mallory", Date: day(i + 1),
		})
	}
	res := finding.Result{
		Findings: []finding.Finding{
			{
				RuleID: "aws-access-key", Description: "AWS access key ID", Provider: "aws", Severity: "high",
				Tags: []string{"aws", "cloud", "aws"}, Secret: aws, Redacted: finding.Redact(aws), Entropy: 3.9,
				Locations: append([]finding.Location{{
					Commit: commit(0), Path: "=cmd|' /C calc'!A0", Line: 3, Column: 1, EndLine: 3, EndColumn: 21,
					Author: "+SUM(1+1)", Email: "-2+3@x", Date: day(20),
				}}, hostileLocs...),
			},
			{
				RuleID: "github-pat", Description: "GitHub personal access token", Provider: "github", Severity: "critical",
				Tags: []string{"github"}, Secret: gh, Redacted: finding.Redact(gh), Entropy: 5.1, InHead: true,
				Locations: ghLocs,
			},
			{
				RuleID: "generic-api-key", Description: "Generic API key", Severity: "medium",
				Secret: weird, Redacted: finding.Redact(weird), Entropy: 4.2,
				Locations: []finding.Location{{Path: "app.env", Line: 9, Column: 5, EndLine: 9, EndColumn: 40}},
			},
			{
				// no Redacted and no Fingerprint set: writers must fill both in
				RuleID: "low-thing", Severity: "low", Secret: short,
				Locations: []finding.Location{{Blob: fakeSecret(rng, "", 40, "0123456789abcdef"), Unreachable: true}},
			},
		},
		Stats: finding.Stats{
			Commits: 40, Blobs: 1234, Bytes: 12_345_678, MissingObjects: 2, SkippedLarge: 1, SkippedBinary: 3,
			Warnings: []string{"2 objects missing from a partial clone", "warn\x1b[31m\nFAKE"},
		},
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.RuleID != "low-thing" {
			f.Fingerprint = finding.Fingerprint(f.RuleID, f.Secret)
		}
	}
	rules := map[string]RuleInfo{
		"github-pat": {ID: "github-pat", Description: "GitHub personal access token", Provider: "github",
			Severity: "critical", Remediation: "Revoke the token at github.com/settings/tokens.", Tags: []string{"github", "nhi"}},
		"unused-rule": {ID: "unused-rule", Description: "never found", Severity: "low"},
	}
	return fixture{res: res, secrets: []string{gh, aws, weird, short}, rules: rules}
}

func write(t *testing.T, format string, res finding.Result, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, res, opts); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestRedaction(t *testing.T) {
	fx := newFixture()
	for _, format := range Formats {
		for _, show := range []bool{false, true} {
			name := format
			if show {
				name += "/show-secrets"
			}
			t.Run(name, func(t *testing.T) {
				out := string(write(t, format, fx.res, Options{ShowSecrets: show, Rules: fx.rules, ToolVersion: "1.2.3"}))
				wantRaw := show && format != "sarif" && format != "html" // neither ever holds a raw secret
				for _, s := range fx.secrets {
					// the secret's body, past any prefix Redact keeps visible
					body := s
					if len(s) >= 12 {
						body = s[4:]
					}
					if got := strings.Contains(out, body); got != wantRaw {
						t.Errorf("secret %.4s…: present=%v, want %v", s, got, wantRaw)
					}
				}
				if !wantRaw && !strings.Contains(out, "ghp_*****") {
					t.Errorf("%s output lacks the redacted form ghp_*****", format)
				}
			})
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", finding.Result{}, Options{})
	if err == nil {
		t.Fatal("want an error for an unknown format")
	}
	for _, f := range Formats {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not list %q", err, f)
		}
	}
}

func TestEmptyResult(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out := write(t, format, finding.Result{}, Options{})
			switch format {
			case "json", "sarif":
				if !json.Valid(out) {
					t.Fatalf("invalid JSON: %s", out)
				}
				if format == "json" && !bytes.Contains(out, []byte(`"findings": []`)) {
					t.Errorf("empty findings should be [], got %s", out)
				}
			case "jsonl":
				if len(out) != 0 {
					t.Errorf("jsonl of nothing = %q", out)
				}
				got, err := ReadJSON(bytes.NewReader(out))
				if err != nil || len(got) != 0 {
					t.Errorf("ReadJSON(empty) = %v, %v", got, err)
				}
			case "text":
				if !bytes.Contains(out, []byte("0 secrets (0 locations) in 0 blobs")) {
					t.Errorf("text summary: %s", out)
				}
			}
		})
	}
}

// Writers sort for determinism but never reorder the caller's slices.
func TestDeterministicAndNoMutation(t *testing.T) {
	fx := newFixture()
	shuffled := newFixture().res
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(shuffled.Findings), func(i, j int) {
		shuffled.Findings[i], shuffled.Findings[j] = shuffled.Findings[j], shuffled.Findings[i]
	})
	for i := range shuffled.Findings {
		l := shuffled.Findings[i].Locations
		rng.Shuffle(len(l), func(a, b int) { l[a], l[b] = l[b], l[a] })
	}
	before := make([]string, len(shuffled.Findings))
	for i, f := range shuffled.Findings {
		before[i] = f.RuleID + f.Locations[0].Path
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			opts := Options{Rules: fx.rules, ToolVersion: "v1"}
			a := write(t, format, fx.res, opts)
			b := write(t, format, shuffled, opts)
			if !bytes.Equal(a, b) {
				t.Errorf("output depends on input order")
			}
			for i, f := range shuffled.Findings {
				if before[i] != f.RuleID+f.Locations[0].Path {
					t.Fatalf("Write reordered the caller's findings or locations")
				}
			}
		})
	}
}

func TestTextHostile(t *testing.T) {
	fx := newFixture()
	for _, color := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "color"}[color], func(t *testing.T) {
			out := string(write(t, "text", fx.res, Options{Rules: fx.rules, Color: color}))
			if !utf8.ValidString(out) {
				t.Error("text output is not valid UTF-8")
			}
			for _, bad := range []string{"\x1b[31mred", "\x1b]0;", "\x07", "\u202e", "\x1b[2J"} {
				if strings.Contains(out, bad) {
					t.Errorf("text output contains %q", bad)
				}
			}
			if !color && strings.Contains(out, "\x1b") {
				t.Error("ESC in uncolored output")
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "FAKE") || strings.HasPrefix(line, "line.txt") {
					t.Errorf("hostile input started a line of its own: %q", line)
				}
			}
			// escaped forms are shown instead
			for _, want := range []string{`"dir/new\nline.txt"`, `"\x1b[31mred\x1b[0m.txt"`, `"bidi/\u202etxt.exe"`,
				"ünïcødé/日本語 file name.txt", "web/<script>alert(1)</script>.js"} {
				if !strings.Contains(out, want) {
					t.Errorf("text output lacks %s", want)
				}
			}
		})
	}
}

func TestTextLayout(t *testing.T) {
	fx := newFixture()
	out := string(write(t, "text", fx.res, Options{Rules: fx.rules, RepoURL: "https://github.com/o/r.git"}))
	lines := strings.Split(out, "\n")
	var header string
	for _, l := range lines {
		if strings.Contains(l, "github-pat") {
			header = l
			break
		}
	}
	gh := fx.res.Findings[1]
	for _, want := range []string{"CRITICAL", "github", "ghp_*****", gh.Fingerprint, "in HEAD", "13 locations"} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q lacks %q", header, want)
		}
	}
	if got := strings.Count(out, "src/config.go:"); got != maxTextLocations {
		t.Errorf("printed %d github-pat locations, want %d", got, maxTextLocations)
	}
	if !strings.Contains(out, "… and 3 more") {
		t.Error("missing the '… and N more' line")
	}
	// earliest first, commit cut to 12
	first := gh.FirstLocation()
	if !strings.Contains(out, "src/config.go:13:7  "+first.Commit[:12]+"  Alice Example  2024-01-01") {
		t.Errorf("first location line missing:\n%s", out)
	}
	if strings.Contains(out, first.Commit[:13]) && !strings.Contains(out, "/blob/"+first.Commit) {
		t.Error("commit not shortened to 12")
	}
	if !strings.Contains(out, "https://github.com/o/r/blob/"+first.Commit+"/src/config.go#L13") {
		t.Error("missing repository link")
	}
	if !strings.Contains(out, "fix: Revoke the token") {
		t.Error("missing remediation from rule metadata")
	}
	for _, want := range []string{
		"4 secrets (25 locations) in 25 blobs; scanned 40 commits, 1234 blobs, 12.3 MB; missing objects: 2; skipped: 1 large, 3 binary",
		"warning: 2 objects missing from a partial clone",
		`warning: "warn\x1b[31m\nFAKE"`,
		"(unreachable)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain/path.go", "plain/path.go"},
		{"ünï 日本", "ünï 日本"},
		{"a\nb", `"a\nb"`},
		{"\x1b[31m", `"\x1b[31m"`},
		{"\u202e", `"\u202e"`},
		{"\xff", `"\xff"`},
		{`"quoted"`, `"\"quoted\""`},
		{"tab\there", `"tab\there"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := sanitize(tt.in); got != tt.want {
				t.Errorf("sanitize(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	fx := newFixture()
	for _, show := range []bool{false, true} {
		t.Run(map[bool]string{false: "redacted", true: "show-secrets"}[show], func(t *testing.T) {
			out := write(t, "csv", fx.res, Options{ShowSecrets: show})
			rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("output is not CSV: %v", err)
			}
			if !slices.Equal(rows[0], csvHeader) {
				t.Errorf("header = %v", rows[0])
			}
			if len(rows) != 1+25 {
				t.Errorf("%d rows, want 1 header + 25 locations", len(rows))
			}
			for _, row := range rows[1:] {
				for _, cell := range row {
					if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
						t.Errorf("cell %q can start a formula", cell)
					}
				}
			}
			var aws []string
			for _, row := range rows {
				if row[1] == "aws-access-key" && strings.Contains(row[5], "cmd") {
					aws = row
				}
			}
			if aws == nil {
				t.Fatal("no row for the injection path")
			}
			for i, want := range map[int]string{5: "'=cmd|' /C calc'!A0", 9: "'+SUM(1+1)", 10: "'-2+3@x", 6: "3", 11: "2024-01-20T10:00:00Z", 12: "false"} {
				if aws[i] != want {
					t.Errorf("column %s = %q, want %q", csvHeader[i], aws[i], want)
				}
			}
			var weird []string
			for _, row := range rows {
				if row[1] == "generic-api-key" {
					weird = row
				}
			}
			if show && weird[4] != "'"+fx.secrets[2] {
				t.Errorf("shown secret cell = %q, want a quoted formula guard", weird[4])
			}
			if !show && weird[4] != "*****" && !strings.HasSuffix(weird[4], "*****") {
				t.Errorf("secret cell = %q, want redacted", weird[4])
			}
			found := map[string]bool{}
			for _, row := range rows[1:] {
				found[row[5]] = true
			}
			for _, p := range hostilePaths {
				if !found[p] && !found["'"+p] {
					t.Errorf("hostile path %q did not survive CSV", p)
				}
			}
		})
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "a=b": "a=b",
	} {
		t.Run(in, func(t *testing.T) {
			if got := csvCell(in); got != want {
				t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	fx := newFixture()
	out := write(t, "json", fx.res, Options{ToolVersion: "1.2.3", RepoURL: "https://github.com/o/r"})
	var doc struct {
		Tool     string           `json:"tool"`
		Version  string           `json:"version"`
		Findings []map[string]any `json:"findings"`
		Stats    map[string]any   `json:"stats"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tool != "nhiscan" || doc.Version != "1.2.3" || len(doc.Findings) != 4 || doc.Stats["blobs"] != 1234.0 {
		t.Fatalf("envelope: %+v", doc)
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"fingerprint", "rule_id", "description", "provider", "severity", "tags", "secret",
			"redacted", "entropy", "in_head", "locations"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %v lacks %q", f["rule_id"], k)
			}
		}
	}
	gh := doc.Findings[0] // critical sorts first
	if gh["rule_id"] != "github-pat" || gh["first_seen_date"] != "2024-01-01T10:00:00Z" ||
		gh["first_commit"] != fx.res.Findings[1].FirstLocation().Commit {
		t.Errorf("github finding: %v", gh)
	}
	loc := gh["locations"].([]any)[0].(map[string]any)
	if !strings.HasPrefix(loc["url"].(string), "https://github.com/o/r/blob/") {
		t.Errorf("location url = %v", loc["url"])
	}
	low := doc.Findings[3]
	if low["rule_id"] != "low-thing" || low["fingerprint"] != finding.Fingerprint("low-thing", fx.secrets[3]) ||
		low["secret"] != "*****" {
		t.Errorf("low finding: %v", low)
	}
	if _, ok := low["first_seen_date"]; ok {
		t.Error("first_seen_date should be omitted when unknown")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	fx := newFixture()
	for _, format := range []string{"json", "jsonl"} {
		for _, show := range []bool{false, true} {
			t.Run(format+map[bool]string{false: "", true: "/show-secrets"}[show], func(t *testing.T) {
				out := write(t, format, fx.res, Options{ShowSecrets: show, RepoURL: "https://github.com/o/r"})
				got, err := ReadJSON(bytes.NewReader(out))
				if err != nil {
					t.Fatal(err)
				}
				want := normalize(fx.res).Findings
				if len(got) != len(want) {
					t.Fatalf("read %d findings, want %d", len(got), len(want))
				}
				for i := range want {
					g, w := got[i], want[i]
					if g.Fingerprint != w.Fingerprint || g.RuleID != w.RuleID || g.Redacted != redacted(&w) ||
						g.InHead != w.InHead || g.Entropy != w.Entropy {
						t.Errorf("finding %d: got %+v", i, g)
					}
					if show != g.HasSecret() || (show && g.Secret != w.Secret) || (!show && g.Secret != "") {
						t.Errorf("finding %d: secret %q, show=%v", i, g.Secret, show)
					}
					back := g.Finding()
					if len(back.Locations) != len(w.Locations) {
						t.Fatalf("finding %d: %d locations, want %d", i, len(back.Locations), len(w.Locations))
					}
					for k := range w.Locations {
						bl, wl := back.Locations[k], w.Locations[k]
						if !bl.Date.Equal(wl.Date) {
							t.Errorf("location %d/%d date %v != %v", i, k, bl.Date, wl.Date)
						}
						bl.Date, wl.Date = time.Time{}, time.Time{}
						if wl.Path != "" && !utf8.ValidString(wl.Path) {
							// encoding/json replaces invalid UTF-8 with U+FFFD
							wl.Path = strings.ToValidUTF8(wl.Path, "\uFFFD")
						}
						if bl != wl {
							t.Errorf("location %d/%d:\n got %+v\nwant %+v", i, k, bl, wl)
						}
					}
				}
			})
		}
	}
}

func TestSARIFContent(t *testing.T) {
	fx := newFixture()
	out := write(t, "sarif", fx.res, Options{ShowSecrets: true, Rules: fx.rules, ToolVersion: "1.2.3"})
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID         string `json:"id"`
						Help       struct{ Text, Markdown string }
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID              string `json:"ruleId"`
				RuleIndex           int    `json:"ruleIndex"`
				Level               string `json:"level"`
				Message             struct{ Text string }
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Fingerprints        map[string]string `json:"fingerprints"`
				Locations           []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region struct{ StartLine, StartColumn, EndLine, EndColumn int }
					} `json:"physicalLocation"`
					Properties map[string]any `json:"properties"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("envelope: %s %s %d runs", log.Schema, log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "nhiscan" || run.Tool.Driver.Version != "1.2.3" {
		t.Errorf("driver: %+v", run.Tool.Driver)
	}
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"aws-access-key", "generic-api-key", "github-pat", "low-thing"}) {
		t.Errorf("rules = %v: want only referenced rules, sorted", ids)
	}
	sev := map[string]string{}
	for _, r := range run.Tool.Driver.Rules {
		sev[r.ID] = r.Properties["security-severity"].(string)
		if r.Properties["precision"] == nil || r.Help.Text == "" || !strings.Contains(r.Help.Markdown, "Remediation") {
			t.Errorf("rule %s: help/precision missing: %+v", r.ID, r)
		}
		tags := r.Properties["tags"].([]any)
		if !slices.Contains(tags, any("security")) {
			t.Errorf("rule %s tags %v lack security", r.ID, tags)
		}
	}
	if !slices.Equal([]string{sev["github-pat"], sev["aws-access-key"], sev["generic-api-key"], sev["low-thing"]},
		[]string{"9.5", "8.0", "5.5", "3.0"}) {
		t.Errorf("security-severity = %v", sev)
	}
	if !strings.Contains(run.Tool.Driver.Rules[2].Help.Text, "github.com/settings/tokens") {
		t.Error("github-pat help lacks the rule's remediation")
	}
	levels := map[string]string{}
	for _, r := range run.Results {
		levels[r.RuleID] = r.Level
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d points at %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		if r.PartialFingerprints["nhiscan/v1"] == "" || r.PartialFingerprints["nhiscan/v1"] != r.Fingerprints["nhiscan/v1"] {
			t.Errorf("result %s fingerprints: %v %v", r.RuleID, r.PartialFingerprints, r.Fingerprints)
		}
		if len(r.Locations) == 0 {
			// code scanning rejects the whole file for one unlocated result
			t.Errorf("result %s has no location", r.RuleID)
		}
		for _, l := range r.Locations {
			for k := range l.Properties {
				if k != "commit" && k != "blob" && k != "unreachable" {
					t.Errorf("location property %q: only commit and blob belong there", k)
				}
			}
			if l.PhysicalLocation == nil || l.PhysicalLocation.ArtifactLocation.URI == "" {
				t.Errorf("result %s: a location without an artifact fails the code scanning upload", r.RuleID)
				continue
			}
			reg := l.PhysicalLocation.Region
			if reg.StartLine < 1 || reg.StartColumn < 1 || reg.EndLine < reg.StartLine || reg.EndColumn < 1 {
				t.Errorf("region %+v out of range", reg)
			}
		}
	}
	if !maps(levels, map[string]string{"github-pat": "error", "aws-access-key": "error", "generic-api-key": "warning", "low-thing": "warning"}) {
		t.Errorf("levels = %v", levels)
	}
	for _, bad := range []string{"alice@example.com", "Alice Example", "Mallory", "mallory"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("SARIF holds personal data %q", bad)
		}
	}
	if !strings.Contains(run.Results[0].Message.Text, "GitHub personal access token (secret ghp_*****)") {
		t.Errorf("message = %q", run.Results[0].Message.Text)
	}

	// every path became a valid relative URI that decodes back to the path
	uris := map[string]bool{}
	for _, r := range run.Results {
		for _, l := range r.Locations {
			al := l.PhysicalLocation.ArtifactLocation
			if al.URIBaseID != "%SRCROOT%" {
				t.Errorf("uri %q: uriBaseId %q", al.URI, al.URIBaseID)
			}
			u, err := url.Parse(al.URI)
			if err != nil || u.Scheme != "" || u.Host != "" || u.RawQuery != "" || u.Fragment != "" {
				t.Errorf("uri %q is not a plain relative reference: %v %+v", al.URI, err, u)
				continue
			}
			if strings.ContainsAny(al.URI, " \n\r\t\x1b<>\"") || !isASCII(al.URI) {
				t.Errorf("uri %q holds characters a URI may not", al.URI)
			}
			uris[u.Path] = true
		}
	}
	lowBlob := fx.res.Findings[3].Locations[0].Blob
	for _, p := range append(hostilePaths, "git-blob-"+lowBlob) {
		p = strings.TrimPrefix(p, "./")
		if !uris[p] {
			t.Errorf("hostile path %q has no matching URI", p)
		}
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

func TestSARIFRegionAndURI(t *testing.T) {
	regions := []struct {
		name string
		in   finding.Location
		want sarifRegion
	}{
		{"unknown", finding.Location{}, sarifRegion{1, 1, 1, 1}},
		{"normal", finding.Location{Line: 3, Column: 5, EndLine: 3, EndColumn: 20}, sarifRegion{3, 5, 3, 20}},
		{"end before start", finding.Location{Line: 3, Column: 9, EndLine: 3, EndColumn: 2}, sarifRegion{3, 9, 3, 9}},
		{"end line missing", finding.Location{Line: 7, Column: 2}, sarifRegion{7, 2, 7, 2}},
		{"multi-line", finding.Location{Line: 7, Column: 9, EndLine: 9, EndColumn: 1}, sarifRegion{7, 9, 9, 1}},
		{"negative", finding.Location{Line: -4, Column: -1, EndLine: -2, EndColumn: -3}, sarifRegion{1, 1, 1, 1}},
	}
	for _, tt := range regions {
		t.Run("region/"+tt.name, func(t *testing.T) {
			if got := sarifRegionFor(tt.in); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	uris := []struct{ in, uri, base string }{
		{"a/b.go", "a/b.go", "%SRCROOT%"},
		{"./a b.go", "a%20b.go", "%SRCROOT%"},
		{"c:x", "c%3Ax", "%SRCROOT%"},
		{"n\nl", "n%0Al", "%SRCROOT%"},
		{"é", "%C3%A9", "%SRCROOT%"},
		{"q?#%", "q%3F%23%25", "%SRCROOT%"},
		{"/abs/p a", "file:///abs/p%20a", ""},
	}
	for _, tt := range uris {
		t.Run("uri/"+tt.in, func(t *testing.T) {
			got := sarifURI(tt.in)
			if got.URI != tt.uri || got.URIBaseID != tt.base {
				t.Errorf("sarifURI(%q) = %+v, want %s %s", tt.in, got, tt.uri, tt.base)
			}
		})
	}
}

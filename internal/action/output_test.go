package action

import (
	"regexp"
	"strings"
	"testing"

	"nhiscan/finding"
	"nhiscan/fixtures"
)

func sampleFinding(secret string, locs ...finding.Location) finding.Finding {
	return finding.Finding{
		Fingerprint: finding.Fingerprint("github-pat", secret), RuleID: "github-pat",
		Description: "GitHub Personal Access Token", Severity: "high",
		Secret: secret, Redacted: finding.Redact(secret), Locations: locs,
	}
}

func TestEscapes(t *testing.T) {
	cases := []struct {
		name, in, data, prop string
	}{
		{"plain", "config/app.env", "config/app.env", "config/app.env"},
		{"percent", "100%", "100%25", "100%25"},
		{"newlines", "a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"property separators", "a:b,c", "a:b,c", "a%3Ab%2Cc"},
		{"fake command", "x\n::set-env name=A::1", "x%0A::set-env name=A::1", "x%0A%3A%3Aset-env name=A%3A%3A1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := escapeData(tc.in); got != tc.data {
				t.Errorf("escapeData(%q) = %q, want %q", tc.in, got, tc.data)
			}
			if got := escapeProperty(tc.in); got != tc.prop {
				t.Errorf("escapeProperty(%q) = %q, want %q", tc.in, got, tc.prop)
			}
		})
	}
}

func TestWriteAnnotations(t *testing.T) {
	secret := fixtures.NewGen(3).GitHubToken("ghp_")
	commit := strings.Repeat("c", 40)
	cases := []struct {
		name string
		loc  finding.Location
		want string
	}{
		{"file and line", finding.Location{Commit: commit, Path: "config/app.env", Line: 2, Column: 14, EndLine: 2, EndColumn: 54},
			"::error file=config/app.env,line=2,endLine=2,col=14,endColumn=54,title=nhiscan%3A github-pat::GitHub Personal Access Token leaked (ghp_*****, fingerprint "},
		{"hostile path", finding.Location{Path: "a,b:c\n::warning::x%.env", Line: 1},
			"::error file=a%2Cb%3Ac%0A%3A%3Awarning%3A%3Ax%25.env,line=1,title=nhiscan%3A github-pat::"},
		{"no path", finding.Location{Blob: strings.Repeat("b", 40), Unreachable: true},
			"::error title=nhiscan%3A github-pat::"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteAnnotations(&b, []finding.Finding{sampleFinding(secret, tc.loc)}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.HasPrefix(out, tc.want) {
				t.Errorf("annotation\n%q\nwant prefix\n%q", out, tc.want)
			}
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Errorf("annotation is not one line: %q", out)
			}
			if strings.Contains(out, secret) {
				t.Error("annotation holds the secret")
			}
			if !strings.Contains(out, "gitleaks:allow") {
				t.Error("annotation lacks the allow hint")
			}
		})
	}
	t.Run("verified", func(t *testing.T) {
		for _, tc := range []struct {
			v    finding.Verification
			want string
		}{
			{finding.Verification{Status: finding.StatusLive}, "; verified live: the provider accepted it. "},
			{finding.Verification{Status: finding.StatusUnknown, Reason: "timeout\n::x"}, "; verified unknown (timeout%0A::x). "},
		} {
			f := sampleFinding(secret, finding.Location{Path: "a.env", Line: 1})
			f.Verification = &tc.v
			var b strings.Builder
			if err := WriteAnnotations(&b, []finding.Finding{f}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) || strings.Count(b.String(), "\n") != 1 {
				t.Errorf("annotation %q lacks %q", b.String(), tc.want)
			}
		}
	})
	t.Run("capped", func(t *testing.T) {
		var locs []finding.Location
		for i := range MaxAnnotations + 5 {
			locs = append(locs, finding.Location{Path: "f", Line: i + 1})
		}
		var b strings.Builder
		if err := WriteAnnotations(&b, []finding.Finding{sampleFinding(secret, locs...)}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(b.String(), "::error "); n != MaxAnnotations {
			t.Errorf("%d annotations, want %d", n, MaxAnnotations)
		}
		if !strings.Contains(b.String(), "::warning title=nhiscan::more locations") {
			t.Error("cap not announced")
		}
	})
}

func TestWriteSummary(t *testing.T) {
	secret := fixtures.NewGen(4).GitHubToken("ghp_")
	commit := strings.Repeat("d", 40)
	plan := Plan{Revs: []string{"a", "^b"}, Commits: 2, Description: "push to refs/heads/<b>main</b>: commits a..b"}
	cases := []struct {
		name    string
		plan    Plan
		fs      []finding.Finding
		want    []string
		notWant []string
	}{
		{name: "finding", plan: plan,
			fs:      []finding.Finding{sampleFinding(secret, finding.Location{Commit: commit, Path: "config/app.env", Line: 2})},
			want:    []string{"| Rule | Location | Commit | Secret (redacted) |", "| github-pat | config/app\\.env:2 | dddddddddddd | ghp\\_\\*\\*\\*\\*\\* |", "gitleaks:allow", `\<b\>main\</b\>`},
			notWant: []string{"<b>"}},
		{name: "hostile path", plan: plan,
			fs:      []finding.Finding{sampleFinding(secret, finding.Location{Commit: commit, Path: "x|y<img src=x onerror=alert(1)>[l](http://e)\n| z", Line: 1})},
			want:    []string{`x\|y\<img src\=x onerror\=alert\(1\)\>\[l\]\(http\://e\) \| z:1`},
			notWant: []string{"<img", "](http"}},
		{name: "verified", plan: plan,
			fs: func() []finding.Finding {
				live := sampleFinding(secret, finding.Location{Commit: commit, Path: "config/app.env", Line: 2})
				live.Verification = &finding.Verification{Status: finding.StatusLive, Identity: map[string]string{"login": "<b>bot</b>", "id": "7"},
					Privileges: finding.Privileges{Level: "admin", Flags: []string{"org-admin"}}}
				other := sampleFinding(fixtures.NewGen(5).GitHubToken("ghp_"), finding.Location{Commit: commit, Path: "b.env", Line: 1})
				return []finding.Finding{live, other}
			}(),
			want: []string{"| Status | Rule | Location | Commit | Secret (redacted) | Identity | Privileges |",
				`| **live** | github-pat | config/app\.env:2 | dddddddddddd | ghp\_\*\*\*\*\* | login\=\<b\>bot\</b\> | admin org-admin |`,
				`| not verified | github-pat | b\.env:1 |`},
			notWant: []string{"<b>"}},
		{name: "clean", plan: plan, want: []string{"**No secrets found.**", "Scanned 0 commits"}},
		{name: "empty range", plan: Plan{Empty: true, Description: "new branch: nothing to scan"}, want: []string{"**Nothing was scanned.**", "nothing to scan"}, notWant: []string{"| Rule"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteSummary(&b, tc.plan, tc.fs, finding.Stats{}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("summary lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, secret) {
				t.Error("summary holds the secret")
			}
			// What markdown renders once escapes are removed.
			active := regexp.MustCompile(`\\[[:punct:]]`).ReplaceAllString(out, "")
			for _, w := range tc.notWant {
				if strings.Contains(active, w) {
					t.Errorf("summary holds %q:\n%s", w, out)
				}
			}
		})
	}
}

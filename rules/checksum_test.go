package rules

import (
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/fixtures"
)

func TestChecksumOK(t *testing.T) {
	g := fixtures.NewGen(11)
	cases := []struct {
		name   string
		secret string
		want   bool
	}{
		{"github classic", g.GitHubToken("ghp_"), true},
		{"github oauth", g.GitHubToken("gho_"), true},
		{"github app", g.GitHubToken("ghs_"), true},
		{"github bad checksum", g.GitHubTokenBadChecksum("ghp_"), false},
		{"github user bad checksum", g.GitHubTokenBadChecksum("ghu_"), false},
		{"npm", g.NPMToken(), true},
		{"npm bad checksum", g.NPMTokenBadChecksum(), false},
		{"fine-grained pat (no checksum known)", g.GitHubFineGrainedPAT(), true},
		{"other format", g.SlackBotToken(), true},
		{"wrong length", "ghp_abc", true},
		{"empty", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChecksumOK(tc.secret); got != tc.want {
				t.Errorf("ChecksumOK = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzChecksumOK(f *testing.F) {
	f.Add("ghp_0123456789012345678901234567890123456")
	f.Add("npm_")
	f.Fuzz(func(t *testing.T, s string) { ChecksumOK(s) })
}

// The documented AWS example secret is not reported; a generated one is.
func TestAWSExampleSecretAllowed(t *testing.T) {
	rs, err := Load(Options{EnableRules: []string{"aws-secret-access-key"}})
	if err != nil {
		t.Fatal(err)
	}
	d := detect.NewDetector(rs.Config)
	if fs := d.DetectString(`aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`); len(fs) != 0 {
		t.Errorf("example secret reported: %d findings", len(fs))
	}
	_, secret := fixtures.NewGen(3).AWSKeyPair()
	if fs := d.DetectString(`aws_secret_access_key = "` + secret + `"`); len(fs) != 1 {
		t.Errorf("generated secret: %d findings, want 1", len(fs))
	}
}

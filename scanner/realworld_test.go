package scanner

import (
	"encoding/base64"
	"strings"
	"testing"

	"nhiscan/fixtures"
)

// JSON written inside a string (a CI variable, an env value) is read with
// its escapes undone, and the finding sits on the escaped line.
func TestEngineEscapedJSON(t *testing.T) {
	e := testEngine(t)
	g := fixtures.NewGen(95)
	auth := base64.StdEncoding.EncodeToString([]byte("ci-bot:" + g.DockerHubPAT()))
	_, secret := g.AWSKeyPair()
	cases := []struct{ name, path, data, rule, secret string }{
		{"docker auths in a CI variable", ".gitlab-ci.yml", "variables:\n  DOCKER_AUTH_CONFIG: \"{\\\"auths\\\":{\\\"registry.example\\\":{\\\"auth\\\":\\\"" + auth + "\\\"}}}\"\n", "docker-config-auth", auth},
		{"aws secret in an env value", "lambda.env", "APP_SECRETS=\"{\\\"aws_secret_access_key\\\":\\\"" + secret + "\\\"}\"\n", "aws-secret-access-key", secret},
		{"literal newlines", "values.json", "{\"c\": \"{\\n  \\\"aws_secret_access_key\\\": \\\"" + secret + "\\\"\\n}\"}\n", "aws-secret-access-key", secret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := hitsOf(t, e, tc.path, tc.data)
			if _, ok := got[tc.rule][tc.secret]; !ok {
				t.Errorf("%s not found (all %v)", tc.rule, keys(got))
			}
		})
	}
	if got := hitsOf(t, e, "ci.yml", "X: \"{\\\"aws_secret_access_key\\\":\\\"${AWS_SECRET_ACCESS_KEY}\\\"}\"\n"); len(got) != 0 {
		t.Errorf("placeholder in escaped JSON reported: %v", keys(got))
	}
}

// Binary files are read for their printable strings with the
// high-confidence rules only.
func TestEngineBinaryStrings(t *testing.T) {
	e := testEngine(t)
	g := fixtures.NewGen(96)
	gh := g.GitHubToken("ghp_")
	pyc := append([]byte{0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 'z', 12}, "GITHUB_TOKEN"...)
	pyc = append(append(append(pyc, 0xfa, byte(len(gh))), gh...), 0x4e, 0x29, 0)
	found := false
	for _, h := range e.scanBinary(testCtx(t), pyc, "app/__pycache__/s.pyc") {
		found = found || h.Secret == gh
	}
	if !found {
		t.Error("ghp_ token in a .pyc not found")
	}
	blob := append([]byte{0x7f, 'E', 'L', 'F', 0}, "api_key = \"a8f5f167f44f4964e6c998dee827110c\""...)
	blob = append(append(blob, 0), "password="+g.PasswordLike()...)
	if hits := e.scanBinary(testCtx(t), append(blob, 0), "bin/tool"); len(hits) != 0 {
		t.Errorf("generic-looking strings of a binary reported: %s", hits[0].RuleID)
	}
}

// TestEngineBinaryStringsLarge: in a large binary, strings are scanned in
// bounded windows; a token deep inside and a private key across a window
// boundary are still found, once each.
func TestEngineBinaryStringsLarge(t *testing.T) {
	e := testEngine(t)
	g := fixtures.NewGen(97)
	gh := g.GitHubToken("ghp_")
	key := g.OpenSSHPrivateKey()
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			if i%7 == 0 {
				b[i] = 0x01
			} else {
				b[i] = 'a' + byte(i%26)
			}
		}
		return b
	}
	var blob []byte
	blob = append(blob, noise(3<<20)...)
	blob = append(append(blob, 0), "token="+gh...)
	blob = append(blob, 0)
	blob = append(blob, noise(binaryWindow-200)...)
	blob = append(append(blob, 0), key...)
	blob = append(blob, 0)
	blob = append(blob, noise(1<<20)...)
	var tokens, keys int
	for _, h := range e.scanBinary(testCtx(t), blob, "bin/big") {
		switch {
		case h.Secret == gh:
			tokens++
		case strings.Contains(h.Secret, "PRIVATE KEY") || strings.Contains(key, h.Secret) && len(h.Secret) > 40:
			keys++
		}
	}
	if tokens != 1 || keys != 1 {
		t.Errorf("found the token %d times and the key %d times, want once each", tokens, keys)
	}
}

func TestPlausible(t *testing.T) {
	cases := []struct {
		rule, secret, match string
		want                bool
	}{
		{"generic-api-key", "0123456789abcdef0123456789abcdef", "API_KEY=0123456789abcdef0123456789abcdef", false},
		{"generic-api-key", "Xk7q1234567890123456789012345678", "AUTH_TOKEN=Xk7q1234567890123456789012345678", false},
		{"generic-api-key", "ghp_0a1b2c3dAbCdEfGh0a1b2c3d4e", "GITHUB_TOKEN=ghp_0a1b2c3dAbCdEfGh0a1b2c3d4e", false},
		{"generic-api-key", "d5130f1c0e0b46e1a1d3e9b5c7f2a4b6", "AWS_SECRET_ACCESS_KEY=d5130f1c0e0b46e1a1d3e9b5c7f2a4b6", false},
		{"aws-secret-access-key", "d5130f1c0e0b46e1a1d3e9b5c7f2a4b6d5130f1c", "", false},
		{"generic-api-key", "Zq8vK2mN4pR7sT1wX5yB9cD3fG6hJ0kL", "API_KEY=Zq8vK2mN4pR7sT1wX5yB9cD3fG6hJ0kL", true},
		{"github-pat", "ghp_Zq8vK2mN4pR7sT1wX5yB9cD3fG6hJ0kLmN", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.secret[:6], func(t *testing.T) {
			if got := plausible(hit{RuleID: tc.rule, Secret: tc.secret, Match: tc.match}); got != tc.want {
				t.Errorf("plausible = %v, want %v", got, tc.want)
			}
		})
	}
}

package scanner

import (
	"bytes"
	"context"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"

	"nhiscan/rules"
)

// Three things real leaks need beyond the rules' regexes:
//
//   - plausible drops matches that cannot be issued credentials: counting
//     sequences and 1234567890 padding, a provider prefix on a value its
//     own rule rejected (a truncated or mangled token that only the generic
//     rule still matches), and a hex value under an AWS secret name.
//   - scanEscaped reads JSON written inside a string (an env var or a YAML
//     value holding {\"auths\": …}, a JSON value with literal \n): such a
//     line is scanned again with its escapes undone.
//   - scanBinary reads the printable strings of a binary file (a .pyc, a
//     .class, an executable) with the high-confidence rules only.

// plausible reports whether h may be a credential.
func plausible(h hit) bool {
	s := h.Secret
	generic := strings.Contains(h.RuleID, "generic")
	// A counting run of 8 is beyond chance in a random value of up to 200
	// characters; other rules need the full 1234567890 padding, and a
	// password found by its key name may really be 12345678.
	if run := countingRun(s); len(s) <= 200 && (generic && run >= 8 || !generic && run >= 10 && h.RuleID != "config-password") {
		return false
	}
	if generic && hasProviderPrefix(s) {
		return false
	}
	if (h.RuleID == "aws-secret-access-key" || generic && awsSecretName(h.Match)) && allHex(s) {
		return false
	}
	return true
}

// countingRun returns the longest run of characters that each follow the
// previous one by +1 or -1 (0123456789, abcdefgh, 98765432).
func countingRun(s string) int {
	best, up, down := 1, 1, 1
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1]+1 && isAlnum(s[i]) {
			up++
		} else {
			up = 1
		}
		if s[i]+1 == s[i-1] && isAlnum(s[i]) {
			down++
		} else {
			down = 1
		}
		best = max(best, up, down)
	}
	return best
}

// providerPrefixes are the prefixes of formats a specific rule checks
// (length, alphabet, checksum). A generic match starting with one is a
// value that rule rejected.
var providerPrefixes = []string{
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "glrt-", "gldt-", "glptt-", "gloas-",
	"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe", "xapp-", "sk_live_", "sk_test_", "rk_live_", "rk_test_",
	"sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-", "npm_", "pypi-", "akia", "asia", "hvs.", "hvb.", "hvr.",
	"dckr_pat_", "dckr_oat_", "sg.", "shpat_", "shpss_", "shpca_", "shppa_", "dop_v1_", "doo_v1_", "dor_v1_",
	"hf_", "api_org_", "key-", "pmak-", "lin_api_", "glsa_", "glc_", "atatt3", "cfut_", "cfat_", "cfk_", "hrku-", "dapi",
}

func hasProviderPrefix(s string) bool {
	low := strings.ToLower(s)
	for _, p := range providerPrefixes {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return false
}

// awsSecretName reports an AWS secret key name in a generic match.
func awsSecretName(match string) bool {
	m := strings.ToLower(match)
	return strings.Contains(m, "aws") && strings.Contains(m, "secret")
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// escapedLines returns the lines in [from, to] accepted by ok that hold
// JSON escaped inside a string: an escaped quote followed by a colon (\":)
// or preceded by an equals sign (=\"). lo is the offset of line from.
func escapedLines(t text, lo, hi, from, to int, ok func(int) bool) []int {
	var out []int
	data := t.data[lo:hi]
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(`\"`))
		if i < 0 {
			break
		}
		p := off + i
		l := t.lineOf(lo + p)
		off = t.end(l) - lo
		if l < from || l > to || !ok(l) {
			if off >= len(data) {
				break
			}
			continue
		}
		line := t.line(l)
		if len(line) <= longLine && (bytes.Contains(line, []byte(`\":`)) || bytes.Contains(line, []byte(`\" :`)) || bytes.Contains(line, []byte(`=\"`))) {
			out = append(out, l)
		}
		if off >= len(data) {
			break
		}
	}
	return out
}

// unescape undoes \" \\ \/ and turns \n \r \t into spaces; orig maps every
// output byte to its input offset.
func unescape(line []byte) (out []byte, orig []int) {
	out = make([]byte, 0, len(line))
	orig = make([]int, 0, len(line))
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			switch line[i+1] {
			case '"', '\\', '/':
				out, orig = append(out, line[i+1]), append(orig, i)
				i++
				continue
			case 'n', 'r', 't':
				out, orig = append(out, ' '), append(orig, i)
				i++
				continue
			}
		}
		out, orig = append(out, c), append(orig, i)
	}
	return out, orig
}

// scanEscaped scans each line with its escapes undone, with every rule
// but the generic one, and places findings on the escaped text. Findings
// already made on the line are dropped.
func (e *Engine) scanEscaped(ctx context.Context, t text, lines []int, path string, have []hit) []hit {
	var out []hit
	for _, l := range lines {
		un, orig := unescape(t.line(l))
		if !e.keywords.any(toLower(nil, un)) {
			continue
		}
		if dumpHook != nil {
			dumpHook("escaped", string(un))
		}
		for _, f := range e.main.DetectContext(ctx, detect.Fragment{Raw: string(un) + "\n", FilePath: path, StartLine: l + 1}) {
			h := hitOf(f)
			if h.StartLine != l+1 {
				continue
			}
			h.EndLine = l + 1
			if h.StartCol >= 1 && h.StartCol <= len(orig) {
				h.StartCol = orig[h.StartCol-1] + 1
			}
			if h.EndCol >= 1 && h.EndCol <= len(orig) {
				h.EndCol = orig[h.EndCol-1] + 1
			}
			h.Line = string(t.line(l))
			if !seenOnLine(have, h) && !seenOnLine(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// highConfidencePrefixes name the rules whose matches are certain enough to
// report from a binary file's strings: prefixed or checksummed token
// formats and private keys. Keyword-anchored and generic rules are not
// among them: in binary data they match noise.
var highConfidencePrefixes = []string{
	"github-", "gitlab-", "npm-access-token", "pypi-upload-token", "slack-bot-token", "slack-user-token", "slack-app-token",
	"slack-config-", "slack-webhook-url", "stripe-access-token", "openai-api-key", "anthropic-", "aws-access-token",
	"private-key", "putty-private-key", "sendgrid-api-token", "shopify-", "digitalocean-", "huggingface-", "dockerhub-pat",
	"vault-batch-token", "cloudflare-api-token", "grafana-", "doppler-", "postman-api-token", "linear-api-key",
	"pulumi-api-token", "age-secret-key", "heroku-api-key-v2", "discord-webhook-url", "sentry-", "databricks-api-token",
}

// HighConfidence reports whether rule id is used on binary files.
func HighConfidence(id string) bool {
	for _, p := range highConfidencePrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// binaryDetector holds the high-confidence rules, built on first use.
func (e *Engine) binaryDetector() *detect.Detector {
	e.binOnce.Do(func() {
		cfg := withoutRegexRulePaths(e.rules.Config)
		e.bin = detect.NewDetector(rules.Subset(cfg, HighConfidence))
	})
	return e.bin
}

// maxBinaryScan bounds the bytes of one binary file read for strings.
const maxBinaryScan = 32 << 20

// scanBinary scans the printable strings of a binary file: every byte that
// is not printable ASCII (or a line break) becomes a space, so strings keep
// their byte offsets and line numbers; where a "line" of the binary has
// grown past binaryLine bytes, the next non-printable byte ends it instead
// (a string is never cut: it holds no such byte). The lines are then given
// to the detector in windows of at most binaryWindow bytes that overlap by
// binaryOverlap lines (a PEM block spans lines), so a large binary costs
// memory in proportion to a window, not to the file.
func (e *Engine) scanBinary(ctx context.Context, data []byte, path string) []hit {
	if len(data) > maxBinaryScan {
		data = data[:maxBinaryScan]
	}
	d := e.binaryDetector()
	if len(d.Config.Rules) == 0 {
		return nil
	}
	buf := make([]byte, len(data))
	lineLen := 0
	for i, c := range data {
		switch {
		case c == '\n':
			buf[i], lineLen = c, 0
		case c == '\t' || 0x20 <= c && c <= 0x7e:
			buf[i] = c
			lineLen++
		case lineLen > binaryLine:
			buf[i], lineLen = '\n', 0
		default:
			buf[i] = ' '
			lineLen++
		}
	}
	t := splitLines(buf, nil)
	if t.lines() == 0 {
		return nil
	}
	var hits []hit
	for from := 0; from < t.lines(); {
		if ctx.Err() != nil {
			return nil
		}
		to := from
		for to+1 < t.lines() && t.end(to+1)-t.starts[from] <= binaryWindow {
			to++
		}
		hits = append(hits, e.detectWith(ctx, d, t, from, to, path)...)
		if to+1 >= t.lines() {
			break
		}
		from = max(to+1-binaryOverlap, from+1)
	}
	// A string seen by two overlapping windows is one hit (gitleaks may
	// place it a column apart when it opens one window's text).
	type key struct {
		rule, secret string
		line         int
	}
	seen := map[key]bool{}
	out := hits[:0]
	for _, h := range hits {
		k := key{h.RuleID, h.Secret, h.StartLine}
		if !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return checksummed(out)
}

// Windows of a binary file's strings (see scanBinary).
const (
	binaryLine    = 4 << 10
	binaryWindow  = 256 << 10
	binaryOverlap = 64
)

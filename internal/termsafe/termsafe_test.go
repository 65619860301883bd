package termsafe

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "config/app.env", "config/app.env"},
		{"space and unicode", "dossier/clé été.txt", "dossier/clé été.txt"},
		{"escape", "a\x1b[31mred", `"a\x1b[31mred"`},
		{"osc", "x\x1b]8;;https://evil/\x07y", `"x\x1b]8;;https://evil/\ay"`},
		{"carriage return", "ok\rfake", `"ok\rfake"`},
		{"newline", "a\nb", `"a\nb"`},
		{"bidi override", "abc\u202etxt.exe", `"abc\u202etxt.exe"`},
		{"invalid utf8", "a\xffb", `"a\xffb"`},
		{"leading quote", `"x"`, `"\"x\""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"keeps newlines and tabs", "a\tb\nc\n", "a\tb\nc\n"},
		{"escape", "a\x1b[2Jb\n", `a\x1b[2Jb` + "\n"},
		{"cr", "x\ry", `x\ry`},
		{"bidi", "a\u202eb", `a\u202eb`},
		{"invalid", "a\xffb", `a\xffb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Line(tc.in)
			if got != tc.want {
				t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.ContainsAny(got, "\x1b\r\x07") {
				t.Errorf("Line(%q) kept a control character", tc.in)
			}
		})
	}
}

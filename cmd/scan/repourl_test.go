package main

import "testing"

func TestBrowseURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"git@github.com:o/r.git", "https://github.com/o/r"},
		{"https://github.com/o/r.git\n", "https://github.com/o/r"},
		{"https://x-access-token:SECRETVALUE@github.com/o/r", "https://github.com/o/r"},
		{"ssh://git@gitlab.example.com:2222/g/sub/p.git", "https://gitlab.example.com/g/sub/p"},
		{"http://ghe.local/o/r/", "https://ghe.local/o/r"},
		{"/srv/mirrors/r.git", ""},
		{"file:///srv/r.git", ""},
		{"javascript:alert(1)//x/y", ""},
		{"https://github.com/onlyowner", ""},
		{"https://github.com/o/../r", ""},
		{"", ""},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := browseURL(c.in); got != c.want {
				t.Errorf("browseURL(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

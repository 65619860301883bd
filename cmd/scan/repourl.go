package main

import (
	"nhiscan/internal/gitcmd"

	"context"
	"net/url"
	"os"
	"strings"
)

// browseURL turns a git remote URL into the https address of the repository
// in its web browser (for links to commit/line in reports), or "" when the
// remote is not a recognisable hosted repository. User info (which may hold
// a token) is always dropped.
//
//	git@github.com:o/r.git            -> https://github.com/o/r
//	https://x:TOKEN@github.com/o/r.git -> https://github.com/o/r
//	ssh://git@gitlab.example.com/g/p   -> https://gitlab.example.com/g/p
func browseURL(remote string) string {
	remote = strings.TrimSpace(remote)
	if remote == "" || strings.ContainsAny(remote, " \t\r\n\"'<>") {
		return ""
	}
	var host, path string
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "https", "http", "ssh", "git":
		default:
			return ""
		}
		host, path = u.Hostname(), u.Path
	} else if at := strings.Index(remote, "@"); at >= 0 && strings.Contains(remote[at:], ":") {
		// scp-like: user@host:owner/repo.git
		rest := remote[at+1:]
		i := strings.Index(rest, ":")
		host, path = rest[:i], rest[i+1:]
	} else {
		return ""
	}
	path = strings.Trim(strings.TrimSuffix(strings.Trim(path, "/"), ".git"), "/")
	if host == "" || strings.Count(path, "/") < 1 || strings.Contains(path, "..") {
		return ""
	}
	return "https://" + host + "/" + path
}

// repoURLFor is the link base of reports about the repository in dir:
// --repo-url when given, else the Actions repository when running in
// GitHub Actions, else the origin remote's web address, else "".
func (g *globalOpts) repoURLFor(ctx context.Context, dir string) string {
	if g.repoURL != "" {
		return strings.TrimRight(g.repoURL, "/")
	}
	if repo := os.Getenv("GITHUB_REPOSITORY"); repo != "" && os.Getenv("GITHUB_ACTIONS") == "true" {
		server := os.Getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		return browseURL(strings.TrimRight(server, "/") + "/" + repo)
	}
	out, err := gitcmd.Command(ctx, dir, "remote", "get-url", "origin").Output()
	if err != nil {
		return ""
	}
	return browseURL(string(out))
}

package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"nhiscan/internal/egress"
)

// Host is the GitHub (or GitHub Enterprise Server) a crawl talks to: its
// REST API and its git host. Everything the crawler's token reaches — API
// calls, clones, fetches — goes over https to these hosts only, through
// the egress gate. Clone URLs are built here from OWNER/NAME; a clone_url
// in an API answer is never used.
type Host struct {
	API *url.URL // REST base with a trailing slash, e.g. https://api.github.com/
	Git *url.URL // git base with a trailing slash, e.g. https://github.com/
}

// ParseHost reads --api-url: "" is github.com (api.github.com for the
// API); otherwise https://HOST[:PORT]/api/v3/ of a GitHub Enterprise Server,
// whose repositories are at https://HOST[:PORT]/OWNER/NAME.git. Anything but
// https is refused: the token would travel in clear.
func ParseHost(apiURL string) (Host, error) {
	if apiURL == "" {
		return Host{API: &url.URL{Scheme: "https", Host: "api.github.com", Path: "/"}, Git: &url.URL{Scheme: "https", Host: "github.com", Path: "/"}}, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return Host{}, fmt.Errorf("--api-url: not a URL; want https://HOST/api/v3/")
	}
	if u.Scheme != "https" {
		return Host{}, fmt.Errorf("--api-url %s://%s…: refused: only https (the token would travel in clear); want https://HOST/api/v3/", u.Scheme, u.Host)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Host{}, errors.New("--api-url: no user info, query or fragment; want https://HOST/api/v3/")
	}
	api := &url.URL{Scheme: "https", Host: strings.ToLower(u.Host), Path: strings.TrimSuffix(u.Path, "/") + "/"}
	return Host{API: api, Git: &url.URL{Scheme: "https", Host: api.Host, Path: "/"}}, nil
}

// hostPort is an egress allowlist entry: a bare host for port 443.
func hostPort(u *url.URL) string {
	h := strings.ToLower(u.Host)
	return strings.TrimSuffix(h, ":443")
}

// Dest is the egress destination of the crawl: the API and git hosts.
func (h Host) Dest() egress.Dest {
	hosts := []string{hostPort(h.API)}
	if g := hostPort(h.Git); g != hosts[0] {
		hosts = append(hosts, g)
	}
	return egress.Dest{Provider: "github", Hosts: hosts}
}

// GitHost is the git host (host[:port]), where git may send the token.
func (h Host) GitHost() string { return h.Git.Host }

// APIHost is the API host (host[:port]), where API calls send the token.
func (h Host) APIHost() string { return h.API.Host }

// CloneURL is the https clone URL of OWNER/NAME on the git host. Names that
// GitHub never gives (anything but letters, digits, '.', '-', '_'; "." or
// "..") are refused.
func (h Host) CloneURL(fullName string) (string, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || !safeName.MatchString(owner) || !safeName.MatchString(name) || owner == "." || owner == ".." || name == "." || name == ".." {
		return "", fmt.Errorf("repository name %q: not OWNER/NAME", fullName)
	}
	u := *h.Git
	u.Path = h.Git.Path + owner + "/" + strings.TrimSuffix(name, ".git") + ".git"
	return u.String(), nil
}

func (h Host) orDefault() Host {
	if h.API == nil || h.Git == nil {
		d, _ := ParseHost("")
		return d
	}
	return h
}

// NewHTTPClient is the crawl's HTTP client: the egress transport (https,
// TLS 1.2+, system roots plus SSL_CERT_FILE, HTTPS_PROXY/NO_PROXY unless
// NoProxy) under a guard that lets requests and redirects reach h's hosts
// only. The API client, the GitHub App token calls and git clones and
// fetches all use it.
func NewHTTPClient(h Host, o egress.TransportOptions) (*http.Client, error) {
	h = h.orDefault()
	tr, err := egress.NewTransport(o)
	if err != nil {
		return nil, err
	}
	d := h.Dest()
	return &http.Client{Transport: egress.Guard(tr, &d), CheckRedirect: egress.CheckRedirect(5, &d)}, nil
}

// go-git picks its transport by URL scheme from a process-wide table.
// nhiscan puts one https transport there that sends each request through
// the RoundTripper its context carries (the crawl's guarded client) and
// refuses requests without one; http, ssh, git and file are taken out, so
// no clone can leave the gate whatever URL reaches go-git.
var gitTransportOnce sync.Once

type gitRTKey struct{}

func installGitTransport() {
	gitTransportOnce.Do(func() {
		client.InstallProtocol("https", githttp.NewClient(&http.Client{Transport: ctxTransport{}}))
		for _, scheme := range []string{"http", "ssh", "git", "file"} {
			client.InstallProtocol(scheme, nil)
		}
	})
}

type ctxTransport struct{}

func (ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, ok := req.Context().Value(gitRTKey{}).(http.RoundTripper)
	if !ok || rt == nil {
		return nil, errors.New("refused: git request outside the crawl's egress gate")
	}
	return rt.RoundTrip(req)
}

// withGitTransport returns ctx whose git requests go through rt.
func withGitTransport(ctx context.Context, rt http.RoundTripper) context.Context {
	installGitTransport()
	return context.WithValue(ctx, gitRTKey{}, rt)
}

package github

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"sync/atomic"
)

// ETagCache is an http.RoundTripper that makes GETs conditional: it keeps
// each answer with its ETag in a folder (0700, files 0600: listings of
// private repositories are sensitive) and sends If-None-Match next time; a
// 304 Not Modified, which GitHub does not count against the rate limit, is
// answered from the cache. The cache key includes a hash of the
// Authorization header, so answers are never shared across identities.
type ETagCache struct {
	Base http.RoundTripper
	Dir  string

	hits atomic.Int64
}

// NotModified returns how many answers came from the cache after a 304.
func (c *ETagCache) NotModified() int { return int(c.hits.Load()) }

func (c *ETagCache) key(req *http.Request) string {
	h := sha256.New()
	h.Write([]byte(req.URL.String()))
	h.Write([]byte{0})
	h.Write([]byte(req.Header.Get("Authorization")))
	h.Write([]byte{0})
	h.Write([]byte(req.Header.Get("Accept")))
	return filepath.Join(c.Dir, hex.EncodeToString(h.Sum(nil))[:40])
}

// RoundTrip implements http.RoundTripper.
func (c *ETagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	base := c.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if req.Method != http.MethodGet || c.Dir == "" || req.Header.Get("If-None-Match") != "" {
		return base.RoundTrip(req)
	}
	file := c.key(req)
	cached, _ := c.load(file, req)
	out := req
	if cached != nil {
		out = req.Clone(req.Context())
		out.Header.Set("If-None-Match", cached.Header.Get("ETag"))
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotModified && cached != nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// Fresh rate-limit headers, cached everything else.
		for k, v := range resp.Header {
			if len(k) > 12 && k[:12] == "X-Ratelimit-" {
				cached.Header[k] = v
			}
		}
		c.hits.Add(1)
		return cached, nil
	}
	if cached != nil {
		cached.Body.Close()
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "" {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		c.save(file, resp, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}

func (c *ETagCache) load(file string, req *http.Request) (*http.Response, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
	if err != nil || resp.Header.Get("ETag") == "" {
		return nil, err
	}
	return resp, nil
}

func (c *ETagCache) save(file string, resp *http.Response, body []byte) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	saved := *resp
	saved.Body = io.NopCloser(bytes.NewReader(body))
	saved.ContentLength = int64(len(body))
	saved.TransferEncoding = nil
	saved.Header = resp.Header.Clone()
	saved.Header.Del("Set-Cookie")
	dump, err := httputil.DumpResponse(&saved, true)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".etag-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(dump)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
	}
}

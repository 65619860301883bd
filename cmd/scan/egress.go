package main

import (
	"fmt"

	"nhiscan/internal/egress"
)

// egressNoProxy is --no-proxy for a client that will carry credentials; the
// first call warns once on stderr when a proxy with an added certificate
// authority could read them (egress.ProxyWarning). The warning is printed
// even with --quiet: it is about where credentials go.
func (g *globalOpts) egressNoProxy() bool {
	g.proxyWarned.Do(func() {
		if msg := egress.ProxyWarning(g.noProxy); msg != "" && g.stderr != nil {
			fmt.Fprintln(g.stderr, msg)
		}
	})
	return g.noProxy
}

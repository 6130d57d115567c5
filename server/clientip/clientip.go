// Package clientip decides which address a request came from: the
// connection's peer, or — only when that peer is a proxy the operator
// trusts (SWITCHBOARD_TRUSTED_PROXIES) — the address that proxy says it
// forwarded for. A client can write any X-Forwarded-For it likes, so the
// header is believed only hop by hop, from the right, while the hop that
// added it is trusted.
package clientip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of proxies whose X-Forwarded-For is believed.
type Proxies struct{ trusted []netip.Prefix }

// ParseProxies reads a list of CIDRs or single addresses ("10.0.0.0/8",
// "192.0.2.7", "fd00::/8"); every malformed entry is reported at once.
func ParseProxies(list []string) (Proxies, error) {
	var p Proxies
	var bad []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			pr, err := netip.ParsePrefix(s)
			if err != nil {
				bad = append(bad, s)
				continue
			}
			p.trusted = append(p.trusted, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			bad = append(bad, s)
			continue
		}
		a = a.Unmap()
		p.trusted = append(p.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(bad) > 0 {
		return Proxies{}, fmt.Errorf("%q are neither addresses nor CIDRs", bad)
	}
	return p, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, pr := range p.trusted {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Of returns the client address of r: its peer's, unless the peer is a
// trusted proxy, in which case the right-most X-Forwarded-For entry that is
// not itself a trusted proxy. A malformed entry stops the walk at the last
// hop that could be believed.
func (p Proxies) Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	client := peer.Unmap()
	if len(p.trusted) == 0 || !p.trusts(client) {
		return client.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		entries := strings.Split(hops[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(entries[j]))
			if err != nil {
				return client.String()
			}
			client = a.Unmap()
			if !p.trusts(client) {
				return client.String()
			}
		}
	}
	return client.String()
}

type ctxKey struct{}

// Middleware records each request's client address for FromRequest.
func (p Proxies) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p.Of(r))))
	})
}

// FromRequest returns the address Middleware recorded for r, or without
// the middleware (tests mounting a handler alone) r's peer address.
func FromRequest(r *http.Request) string {
	if a, ok := r.Context().Value(ctxKey{}).(string); ok {
		return a
	}
	return Proxies{}.Of(r)
}

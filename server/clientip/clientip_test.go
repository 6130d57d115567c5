package clientip_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboardhq/switchboard/server/clientip"
)

func TestClientAddressBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	proxies, err := clientip.ParseProxies([]string{"10.0.0.0/8", " 192.0.2.7 ", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		proxies clientip.Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies configured: the header is ignored", clientip.Proxies{}, "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer: the header is ignored", proxies, "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer without the header", proxies, "10.1.2.3:4000", nil, "10.1.2.3"},
		{"trusted peer forwarding a client", proxies, "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged left entry is not believed", proxies, "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped from the right", proxies, "192.0.2.7:80", []string{"198.51.100.1, 10.9.9.9", "10.0.0.1"}, "198.51.100.1"},
		{"a malformed entry stops the walk", proxies, "10.1.2.3:4000", []string{"198.51.100.1, junk"}, "10.1.2.3"},
		{"every hop trusted: the left-most", proxies, "10.1.2.3:4000", []string{"10.0.0.2, 10.0.0.1"}, "10.0.0.2"},
		{"IPv6 proxy and client", proxies, "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv4-mapped peer", proxies, "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.Of(r); got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseProxiesNamesEveryMalformedEntry(t *testing.T) {
	t.Parallel()
	_, err := clientip.ParseProxies([]string{"10.0.0.0/8", "10.0.0.0/99", "proxy.example.com"})
	if err == nil || err.Error() != `["10.0.0.0/99" "proxy.example.com"] are neither addresses nor CIDRs` {
		t.Fatalf("err = %v", err)
	}
}

func TestMiddlewareRecordsTheAddressForHandlers(t *testing.T) {
	t.Parallel()
	proxies, _ := clientip.ParseProxies([]string{"127.0.0.1"})
	var got string
	h := proxies.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = clientip.FromRequest(r) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "198.51.100.1" {
		t.Fatalf("FromRequest = %q", got)
	}
}

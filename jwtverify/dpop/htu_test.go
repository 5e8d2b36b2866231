package dpop

import (
	"net/url"
	"testing"
)

// TestNormalizeURLRefusesHostless: "https://:" has a Host (":") but no
// hostname; it used to normalise to "https:///", which does not normalise
// again. Every URL without a hostname is refused.
func TestNormalizeURLRefusesHostless(t *testing.T) {
	for _, raw := range []string{"https://:", "https://:/cart", "https://:443/cart", "http://:80", "https://[]/x", "https://%20/x"} {
		if got, ok := NormalizeURL(raw); ok {
			t.Errorf("NormalizeURL(%q) = %q, accepted", raw, got)
		}
	}
}

// TestNormalizeURLComparesASCIIHostsOnly: strings.ToLower folds the Kelvin
// sign (U+212A) to "k", so "\u212aey.test" used to equal key.test. Hosts are
// compared in their ASCII (punycode) form only; a non-ASCII host, raw or
// percent-encoded, is refused.
func TestNormalizeURLComparesASCIIHostsOnly(t *testing.T) {
	for _, raw := range []string{
		"https://\u212aey.test/cart",
		"https://%E2%84%AAey.test/cart",
		"https://b\u00fccher.test/cart",
		"https://\uff4bey.test/cart", // full-width k
	} {
		if got, ok := NormalizeURL(raw); ok {
			t.Errorf("NormalizeURL(%q) = %q, accepted", raw, got)
		}
	}
	if got, ok := NormalizeURL("https://xn--bcher-kva.test/cart"); !ok || got != "https://xn--bcher-kva.test/cart" {
		t.Errorf("punycode host: %q, %v", got, ok)
	}
}

// TestNormalizeURLIdempotent: what NormalizeURL returns normalises to
// itself, for inputs that exercise every rule (FuzzNormalizeURL explores
// the rest).
func TestNormalizeURLIdempotent(t *testing.T) {
	for _, raw := range []string{
		"HTTPS://API.Example.TEST:0443/a/%7euser/%c3%a9?q#f",
		"https://a.test/a%2fb",
		"https://a.test/a[b]",
		"https://[0:0:0:0:0:0:0:1]:08443",
		"https://1.2.3.4:443",
		"http://a.test:/x",
		"https://a.test//x/./../y",
		"https://a.test/%5B",
		"https://my_service.internal/x",
	} {
		n, ok := NormalizeURL(raw)
		if !ok {
			t.Errorf("NormalizeURL(%q) refused", raw)
			continue
		}
		if n2, ok := NormalizeURL(n); !ok || n2 != n {
			t.Errorf("NormalizeURL(%q) = %q, which normalises to %q, %v", raw, n, n2, ok)
		}
	}
}

// TestNormalizeURLEquivalences pins what counts as the same URL and what does
// not.
func TestNormalizeURLEquivalences(t *testing.T) {
	same := [][2]string{
		{"https://a.test:0443/x", "https://a.test/x"},
		{"https://a.test/%7e", "https://a.test/~"},
		{"https://a.test/%c3%a9", "https://a.test/%C3%A9"},
		{"https://[0:0:0:0:0:0:0:1]/", "https://[::1]/"},
		{"http://a.test:/x", "http://a.test/x"},
	}
	for _, p := range same {
		a, ok1 := NormalizeURL(p[0])
		b, ok2 := NormalizeURL(p[1])
		if !ok1 || !ok2 || a != b {
			t.Errorf("%q -> %q, %q -> %q: want equal", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"https://a.test/a%2Fb", "https://a.test/a/b"}, // RFC 3986 §2.2: %2F is data, "/" a delimiter
		{"https://a.test:8443/x", "https://a.test/x"},
		{"https://a.test./x", "https://a.test/x"},
	}
	for _, p := range different {
		a, ok1 := NormalizeURL(p[0])
		b, ok2 := NormalizeURL(p[1])
		if ok1 && ok2 && a == b {
			t.Errorf("%q and %q both normalise to %q", p[0], p[1], a)
		}
	}
	for _, bad := range []string{"https://a.test:0/x", "https://a.test:65536/x", "https://[fe80::1%25en0]/x"} {
		if got, ok := NormalizeURL(bad); ok {
			t.Errorf("NormalizeURL(%q) = %q, accepted", bad, got)
		}
	}
}

// FuzzNormalizeURL: whatever NormalizeURL accepts, it maps to an ASCII URL
// with a non-empty hostname that normalises to itself.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{target, "https://:", "HTTPS://A.test:0443/%7e?x#y", "https://\u212aey.test/", "https://[::1%25z]/", "http://a.test/a%2fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, ok := NormalizeURL(raw)
		if !ok {
			return
		}
		for i := 0; i < len(n); i++ {
			if n[i] >= 0x80 || n[i] <= ' ' {
				t.Fatalf("NormalizeURL(%q) = %q: byte %#x", raw, n, n[i])
			}
		}
		u, err := url.Parse(n)
		if err != nil || u.Hostname() == "" {
			t.Fatalf("NormalizeURL(%q) = %q: no hostname (%v)", raw, n, err)
		}
		if n2, ok := NormalizeURL(n); !ok || n2 != n {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", raw, n, n2, ok)
		}
	})
}

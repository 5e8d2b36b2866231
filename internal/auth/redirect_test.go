package auth

import (
	"net/url"
	"strings"
	"testing"
)

// TestRedirectAllowedExact: under ExactMatch only the registered URI (with
// scheme and host in any case) passes; every open-redirect variant fails
// (security-bar.md O3).
func TestRedirectAllowedExact(t *testing.T) {
	reg := []string{"https://app.example.com/cb", "https://app.example.com/q?a=1", "com.example.app:/oauth", "http://127.0.0.1:8080/cb"}
	tests := []struct {
		uri  string
		want bool
	}{
		{"https://app.example.com/cb", true},
		{"HTTPS://APP.Example.COM/cb", true},
		{"https://app.example.com/q?a=1", true},
		{"com.example.app:/oauth", true},
		{"http://127.0.0.1:8080/cb", true},
		{"https://app.example.com/cb/", false},       // trailing slash
		{"https://app.example.com/CB", false},        // path case
		{"https://app.example.com/cb?", false},       // empty query added
		{"https://app.example.com/cb?x=1", false},    // query added
		{"https://app.example.com/q?a=1&b=2", false}, // parameter added
		{"https://app.example.com/cb#frag", false},   // fragment
		{"https://app.example.com/cb#", false},       // empty fragment
		{"https://evil@app.example.com/cb", false},   // userinfo
		{"https://app.example.com@evil.example/cb", false},
		{"https://app.example.com/cb/../cb", false}, // traversal
		{"https://app.example.com/x/../cb", false},
		{"https://app.example.com/%63b", false}, // encoded "c"
		{"https://app.example.com/cb%2F", false},
		{"https://app.example.com:443/cb", false},  // explicit default port
		{"https://app.example.com:8443/cb", false}, // other port
		{"http://app.example.com/cb", false},       // other scheme
		{"https://app.example.com.evil.example/cb", false},
		{"https://evil.example/cb", false},
		{"//app.example.com/cb", false}, // scheme-relative
		{"/cb", false},
		{"https://app.example.com\\@evil.example/cb", false},
		{"https://app.example.com/cb\n", false},
		{"", false},
		{"https://app.example.com/cb ", false},
		{"http://127.0.0.1:8081/cb", false},
	}
	for _, tt := range tests {
		if got := RedirectAllowed(reg, "", tt.uri); got != tt.want {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
	// A wildcard entry is ignored under ExactMatch.
	if RedirectAllowed([]string{"https://*.example.com/cb"}, policyExactMatch, "https://a.example.com/cb") {
		t.Error("a wildcard entry matched under ExactMatch")
	}
}

// TestRedirectAllowedWildcards follows FusionAuth's url-validation.mdx rules.
func TestRedirectAllowedWildcards(t *testing.T) {
	tests := []struct {
		pattern, uri string
		want         bool
	}{
		{"https://*.example.com/cb", "https://a.example.com/cb", true},
		{"https://*.example.com/cb", "https://A.Example.com/cb", true},
		{"https://*.example.com/cb", "https://example.com/cb", false},
		{"https://*.example.com/cb", "https://a.b.example.com/cb", false},
		{"https://*.example.com/cb", "https://evil.com/.example.com/cb", false},
		{"https://*.example.com/cb", "https://a.example.com.evil.com/cb", false},
		{"https://app-*.example.com/cb", "https://app-42.example.com/cb", true},
		{"https://app-*.example.com/cb", "https://app-.example.com/cb", false},
		{"https://*.com/cb", "https://example.com/cb", false},               // fewer than three labels
		{"https://*.0.0.1/cb", "https://127.0.0.1/cb", false},               // IP address
		{"https://a.*.example.com/cb", "https://a.b.example.com/cb", false}, // not the left-most label
		{"http://localhost:*/cb", "http://localhost:3000/cb", true},
		{"http://localhost:*/cb", "http://localhost/cb", false},
		{"https://example.com/*/cb", "https://example.com/x/cb", true},
		{"https://example.com/*/cb", "https://example.com/x/y/cb", false},
		{"https://example.com/*/cb", "https://example.com//cb", false},
		{"https://example.com/*/par*tial/*", "https://example.com/a/parXtial/b", true},
		{"https://example.com/cb?tenant=*", "https://example.com/cb?tenant=acme", true},
		{"https://example.com/cb?tenant=*", "https://example.com/cb?tenant=", false},
		{"https://example.com/cb?tenant=*", "https://example.com/cb?tenant=a&b=c", false},
		{"*://example.com/cb", "https://example.com/cb", false},
		{"https://*.example.com/cb", "https://u@a.example.com/cb", false},
		{"https://*.example.com/cb", "https://a.example.com/cb#x", false},
		// A wildcard segment never stands for a dot segment, which the
		// browser resolves to another path (RFC 9700 §4.1.3).
		{"https://example.com/cb/*", "https://example.com/cb/..", false},
		{"https://example.com/cb/*", "https://example.com/cb/%2e%2E", false},
		{"https://example.com/cb/*", "https://example.com/cb/.%2e", false},
		{"https://example.com/cb/*", "https://example.com/cb/.", false},
		{"https://example.com/*/cb", "https://example.com/../cb", false},
		{"https://example.com/cb/*", "https://example.com/cb/...", true},
		{"https://example.com/cb/*", "https://example.com/cb/.well", true},
	}
	for _, tt := range tests {
		if got := RedirectAllowed([]string{tt.pattern}, policyAllowWildcards, tt.uri); got != tt.want {
			t.Errorf("%s ~ %s = %v, want %v", tt.pattern, tt.uri, got, tt.want)
		}
	}
}

// FuzzRedirectAllowed: whatever is accepted for an exact registration has
// the registration's scheme, host, port, path and query, and no userinfo or
// fragment.
func FuzzRedirectAllowed(f *testing.F) {
	for _, s := range []string{"https://app.example.com/cb", "https://APP.example.com/cb", "https://app.example.com/cb#",
		"https://a@app.example.com/cb", "https://app.example.com/%63b"} {
		f.Add(s)
	}
	reg := "https://app.example.com/cb?a=1"
	f.Fuzz(func(t *testing.T, uri string) {
		if !RedirectAllowed([]string{reg, "https://*.w.example.com/p/*"}, policyAllowWildcards, uri) {
			return
		}
		u, err := url.Parse(uri)
		if err != nil || u.User != nil || u.Fragment != "" || strings.Contains(uri, "#") {
			t.Fatalf("accepted %q with userinfo or fragment", uri)
		}
		h := strings.ToLower(u.Hostname())
		if h != "app.example.com" && !strings.HasSuffix(h, ".w.example.com") {
			t.Fatalf("accepted %q on host %q", uri, h)
		}
	})
}

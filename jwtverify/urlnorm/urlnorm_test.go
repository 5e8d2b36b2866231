package urlnorm

import (
	"net/url"
	"testing"
)

func TestHost(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Key.TEST", "key.test", true},
		{"xn--bcher-kva.test", "xn--bcher-kva.test", true},
		{"my_service", "my_service", true},
		{"1.2.3.4", "1.2.3.4", true},
		{"0:0:0:0:0:0:0:1", "[::1]", true},
		{"::FFFF:1.2.3.4", "[::ffff:1.2.3.4]", true},
		{"\u212aey.test", "", false}, // Kelvin sign: ToLower would make it "key.test"
		{"\uff4bey.test", "", false}, // full-width k
		{"b\u00fccher.test", "", false},
		{"", "", false},
		{"a..test", "", false},
		{"a.test.", "", false},
		{".a.test", "", false},
		{"fe80::1%en0", "", false},
		{"a b.test", "", false},
		{"a%41.test", "", false},
		{"a/b", "", false},
		{string(make([]byte, 64)) + ".test", "", false},
	}
	for _, tt := range tests {
		got, ok := Host(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Host(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://App.Example.TEST", "https://app.example.test", true},
		{"HTTPS://app.example.test:443/path?q#f", "https://app.example.test", true},
		{"http://app.example.test:80", "http://app.example.test", true},
		{"http://app.example.test:0080", "http://app.example.test", true},
		{"https://app.example.test:8443", "https://app.example.test:8443", true},
		{"https://[::1]:8443", "https://[::1]:8443", true},
		{"https://\u212aey.test", "", false},
		{"https://%E2%84%AAey.test", "", false},
		{"https://:", "", false},
		{"https://:443", "", false},
		{"https://user@app.example.test", "", false},
		{"ftp://app.example.test", "", false},
		{"app.example.test", "", false},
		{"*", "", false},
		{"null", "", false},
		{"https://a.test:0", "", false},
		{"https://a.test:99999", "", false},
	}
	for _, tt := range tests {
		got, ok := Origin(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Origin(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzOrigin: an accepted origin is ASCII, has a hostname, and is its own
// origin (so a configured origin compares equal to what a browser sends).
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://app.example.test", "https://:", "HTTP://A.test:0080/x", "https://\u212aey.test", "https://[::1%25z]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, ok := Origin(raw)
		if !ok {
			return
		}
		for i := 0; i < len(o); i++ {
			if o[i] >= 0x80 || o[i] <= ' ' {
				t.Fatalf("Origin(%q) = %q: byte %#x", raw, o, o[i])
			}
		}
		if u, err := url.Parse(o); err != nil || u.Hostname() == "" || u.Path != "" {
			t.Fatalf("Origin(%q) = %q: not scheme://host[:port] (%v)", raw, o, err)
		}
		if o2, ok := Origin(o); !ok || o2 != o {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", raw, o, o2, ok)
		}
	})
}

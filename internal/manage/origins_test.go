package manage

import "testing"

// TestNormalizeOrigin: configured origins become what a browser sends
// (RFC 6454 §6.1); anything that is not an http(s) origin becomes "".
func TestNormalizeOrigin(t *testing.T) {
	tests := map[string]string{
		"https://App.Example.test/":     "https://app.example.test",
		"https://app.example.test:443":  "https://app.example.test",
		"http://app.example.test:80/x":  "http://app.example.test",
		"http://localhost:3000":         "http://localhost:3000",
		"http://[::1]:8080":             "http://[::1]:8080",
		"*":                             "",
		"null":                          "",
		"app.example.test":              "",
		"ftp://app.example.test":        "",
		"https://user:pw@app.example.t": "",
		"https://\u212aey.test":         "",
		"https://:":                     "",
		"https://app.example.test:0":    "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := NormalizeOrigin(in); got != want {
				t.Fatalf("normalizeOrigin(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

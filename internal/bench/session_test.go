package bench

import (
	"net/http"
	"testing"
)

// TestRefreshCookie: the refresh cookie is found beside the access_token
// cookie, scoped or not; a cookie whose name only starts like one is not it.
func TestRefreshCookie(t *testing.T) {
	const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	tests := []struct {
		name        string
		lines       []string
		wName, wVal string
	}{
		{"after the access cookie", []string{"access_token=" + jwt + "; Path=/; HttpOnly; SameSite=Lax",
			"refresh_token=AbC-1_x; Path=/; Expires=Sat, 02 Jan 2027 05:23:24 GMT; Max-Age=2592000; HttpOnly; SameSite=Lax"},
			"refresh_token", "AbC-1_x"},
		{"scoped", []string{"refresh_token_6b1f7e9a-3c44-4d6e-9f59-5a2b0c1d9e01=v1; Path=/; HttpOnly"},
			"refresh_token_6b1f7e9a-3c44-4d6e-9f59-5a2b0c1d9e01", "v1"},
		{"look-alike name skipped", []string{"refresh_tokens=no; Path=/", "refresh_token=yes; Path=/"}, "refresh_token", "yes"},
		{"none", []string{"access_token=" + jwt + "; Path=/"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, v := refreshCookie(http.Header{"Set-Cookie": tt.lines})
			if n != tt.wName || v != tt.wVal {
				t.Fatalf("refreshCookie = %q, %q; want %q, %q", n, v, tt.wName, tt.wVal)
			}
		})
	}
}

package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// A webhook whose deliveries could only fail is refused when it is saved:
// a port outside 1–65535 or no host in its URL, a Basic user-id with a
// colon (RFC 7617 splits at it) or a control character. Nothing is stored.
func TestWebhookURLsAndBasicUsersThatCannotWorkRefused(t *testing.T) {
	s := newStack(t)
	hook := func(url, user string) string {
		return `{"webhook":{"url":"` + url + `","connectTimeout":1000,"readTimeout":2000,"global":true,` +
			`"httpAuthenticationUsername":"` + user + `","httpAuthenticationPassword":"pw"}}`
	}
	for _, c := range []struct{ name, url, user, field string }{
		{"port above 65535", "http://127.0.0.1:99999/", "", "webhook.url"},
		{"port 0", "http://127.0.0.1:0/", "", "webhook.url"},
		{"no host", "http://:80/", "", "webhook.url"},
		{"user with a colon", "https://hooks.example.test/", "a:b", "webhook.httpAuthenticationUsername"},
		{"user with CR LF", "https://hooks.example.test/", `a\r\nb`, "webhook.httpAuthenticationUsername"},
	} {
		res := s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: hook(c.url, c.user)})
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), `"[invalid]`+c.field+`"`) {
			t.Errorf("%s: %d %s, want 400 [invalid]%s", c.name, res.status, res.body, c.field)
		}
	}
	list := s.do(call{method: "GET", path: "/api/webhook", hdr: admin})
	wantStatus(t, list, 200)
	if strings.Contains(string(list.body), `"url"`) {
		t.Fatalf("a refused webhook was stored: %s", list.body)
	}
	for _, ok := range []string{"http://127.0.0.1:65535/", "https://hooks.example.test/x"} {
		wantStatus(t, s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: hook(ok, "hook-user")}), 200)
	}
}

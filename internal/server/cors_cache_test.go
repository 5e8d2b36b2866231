package server_test

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestCORSOriginsForgottenOnChange: the origin set is an internal/cache
// value that this node forgets as soon as an application or the system
// configuration changes through it, however long its TTL (an hour here,
// LATCHKEY_CACHE_TTL); other nodes forget it through the change feed
// (multinode TestChangesArePushedToOtherNodes).
func TestCORSOriginsForgottenOnChange(t *testing.T) {
	s := newConfiguredStack(t, func(c *config.Config) { c.CacheTTL = time.Hour })
	preflight := func(origin string) bool {
		res := s.do(call{method: "OPTIONS", path: "/api/jwt/refresh", hdr: map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST"}})
		return res.header.Get("Access-Control-Allow-Origin") == origin
	}
	for _, tc := range []struct{ name, origin, method, path, body string }{
		{"application", "https://shop.example.test", "POST", "/api/application/0f1a2b3c-0000-4000-8000-0000000000a9",
			`{"application":{"name":"Shop","oauthConfiguration":{"authorizedOriginURLs":["https://shop.example.test"]}}}`},
		{"system configuration", "https://admin.example.test", "PATCH", "/api/system-configuration",
			`{"systemConfiguration":{"corsConfiguration":{"enabled":true,"allowedOrigins":["https://admin.example.test"]}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if preflight(tc.origin) {
				t.Fatal("allowed before it was configured")
			}
			res := s.do(call{method: tc.method, path: tc.path, body: tc.body, hdr: map[string]string{"Authorization": apiKey}})
			if res.status != 200 {
				t.Fatalf("%s: %d %s", tc.method, res.status, res.body)
			}
			if !preflight(tc.origin) {
				t.Fatal("not allowed right after the change, though this node made it")
			}
		})
	}
}

package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestRateLimiterBuckets: a burst of limit, then refusals with the wait
// until the next token; tokens come back evenly over the window; an IPv6
// client is its /64, IPv4 addresses are separate; an override changes or
// turns off a rule.
func TestRateLimiterBuckets(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	rule := &rateLimit{"test", 3, time.Minute}
	l := newLimiter(map[string]Rate{"off": {Limit: 0, Window: time.Minute}}, c.Now)
	a := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if ok, _ := l.allow(rule, a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow(rule, a)
	if ok || wait != 20*time.Second {
		t.Fatalf("4th request: allowed %v, wait %s; want refused, 20s (60s/3)", ok, wait)
	}
	if ok, _ := l.allow(rule, netip.MustParseAddr("192.0.2.2")); !ok {
		t.Fatal("another IPv4 address shares the bucket")
	}
	c.Advance(19 * time.Second)
	if ok, wait := l.allow(rule, a); ok || wait != time.Second {
		t.Fatalf("after 19s: allowed %v, wait %s; want refused, 1s", ok, wait)
	}
	c.Advance(time.Second)
	if ok, _ := l.allow(rule, a); !ok {
		t.Fatal("a token did not come back after 20s")
	}

	v6 := rule
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:aaaa::1"} {
		ok, _ := l.allow(v6, netip.MustParseAddr(addr))
		if want := i < 3; ok != want {
			t.Fatalf("IPv6 request %d from %s: allowed %v, want %v (one /64, one bucket)", i+1, addr, ok, want)
		}
	}
	if ok, _ := l.allow(v6, netip.MustParseAddr("2001:db8:1:2:bbbb::1")); ok {
		t.Fatal("4th request from the same /64 allowed")
	}
	if ok, _ := l.allow(v6, netip.MustParseAddr("2001:db8:1:3::1")); !ok {
		t.Fatal("another /64 shares the bucket")
	}
	for range 10 {
		if ok, _ := l.allow(&rateLimit{"off", 1, time.Minute}, a); !ok {
			t.Fatal("a rule turned off by Limits.Rates refused a request")
		}
	}
}

// TestRateLimitedAnswer: the middleware answers 429 with Retry-After and a
// FusionAuth body, before the handler runs, and keeps counting per address
// (the trusted proxy's forwarded client, not the proxy).
func TestRateLimitedAnswer(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	calls := 0
	h := s.handler([]route{{pattern: "POST /api/limited", auth: public, body: maxBody,
		rate:    &rateLimit{"limited", 2, time.Minute},
		handler: func(w http.ResponseWriter, r *http.Request) { calls++; writeEmpty(w, 200) }}})
	send := func(client string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/limited", strings.NewReader("{}"))
		req.RemoteAddr = "10.1.2.3:4567"
		req.Header.Set("X-Forwarded-For", client)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for range 2 {
		if rec := send("198.51.100.7"); rec.Code != 200 {
			t.Fatalf("within the limit: %d", rec.Code)
		}
	}
	rec := send("198.51.100.7")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "30" || calls != 2 {
		t.Fatalf("over the limit: %d Retry-After %q, handler ran %d times", rec.Code, rec.Header().Get("Retry-After"), calls)
	}
	if got := rec.Body.String(); !strings.Contains(got, `"code":"[RateLimitedException]"`) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("429 body %s", got)
	}
	if rec := send("198.51.100.8"); rec.Code != 200 {
		t.Fatalf("another client behind the same proxy: %d", rec.Code)
	}
}

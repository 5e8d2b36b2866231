package multinode

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// recoverTimeout bounds how long a node may take to notice that its
// database is back (the pool redials on the next request).
const recoverTimeout = 30 * time.Second

// TestDatabaseOutage: a node whose PostgreSQL stops answers 503 with a JSON
// body (not a hang, not a 500, no stack trace) on every database-backed
// endpoint, and serves again by itself once the database is back, with the
// sessions it issued before intact. The database is a private server this
// test starts and stops, so no other test is disturbed.
func TestDatabaseOutage(t *testing.T) {
	requirePostgres(t)
	pg := startPrivatePostgres(t)
	ks, _ := writeKickstart(t)
	nd := launch(t, "nodeA", pg.url(), ks)
	nd.waitReady(t)
	rt := login(t, nd, userEmail, raceApp).str("refreshToken")

	pg.stop(t)
	requests := []struct {
		name, method, path string
		body               any
	}{
		{"status", "GET", "/api/status", nil},
		{"login", "POST", "/api/login", map[string]any{"loginId": userEmail, "password": password, "applicationId": raceApp}},
		{"refresh", "POST", "/api/jwt/refresh", refresh(rt)},
		{"management API", "GET", "/api/application/" + raceApp, nil},
	}
	for _, tc := range requests {
		t.Run("down/"+tc.name, func(t *testing.T) {
			start := time.Now()
			r, err := send(tc.method, nd.URL+tc.path, tc.body, "Authorization", "unknown-key-still-needs-a-lookup")
			if err != nil {
				t.Fatalf("no answer within %s (a hang or a dropped connection): %v", httpTimeout, err)
			}
			if r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !json.Valid(r.body) {
				t.Fatalf("%d %q %s; want 503 with a JSON body", r.status, r.header.Get("Content-Type"), r.body)
			}
			if strings.Contains(string(r.body), "goroutine") || strings.Contains(string(r.body), "dial") {
				t.Fatalf("body leaks internals: %s", r.body)
			}
			t.Logf("503 after %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(r.body)))
		})
	}

	pg.start(t)
	deadline := time.Now().Add(recoverTimeout)
	for nd.do(t, "GET", "/api/status", nil).status != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("node did not recover within %s of the database's return", recoverTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := nd.do(t, "POST", "/api/jwt/refresh", refresh(rt)); r.status != 200 {
		t.Fatalf("session from before the outage: %d %s", r.status, r.body)
	}
	login(t, nd, userEmail, raceApp)
}

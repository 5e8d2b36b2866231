package multinode

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// pushWait bounds how long a test waits for a pushed change. It is not the
// latency claim (each change lands within milliseconds when it passes); it
// only ends a test whose change was never pushed, far inside the hour the
// caches would otherwise keep the old record.
const pushWait = 10 * time.Second

// cachedForAnHour makes every node keep what it read for an hour, so a change
// seen on another node within pushWait can only have been pushed to it (the
// PostgreSQL change feed, LISTEN/NOTIFY), not reloaded at the end of a TTL.
const cachedForAnHour = "LATCHKEY_CACHE_TTL=1h"

// defaultTenantID is latchkey's fixed default tenant id (docs/decisions.md),
// as an API client would know it.
const defaultTenantID = "b54ca84b-aceb-4215-9678-473afdeaabed"

// pushed polls check on the other node until it holds, and fails the test
// when it still does not after pushWait. The polls start 5 ms apart and
// back off to 200 ms, so a check that logs in stays far below the login
// rate limit (120 a minute per address) for all of pushWait.
func pushed(t *testing.T, what string, check func() bool) {
	t.Helper()
	start := time.Now()
	for pause := 5 * time.Millisecond; !check(); pause = min(2*pause, 200*time.Millisecond) {
		if time.Since(start) > pushWait {
			t.Fatalf("%s: not in effect on B %s after the change, with caches kept for an hour: the change was not pushed", what, pushWait)
		}
		time.Sleep(pause)
	}
	t.Logf("%s: in effect on B %s after the change", what, time.Since(start).Round(time.Millisecond))
}

// TestChangesArePushedToOtherNodes: with caches that would keep a record for
// an hour, an application, tenant or signing-key change made through node A
// is applied by node B within moments, because A's transaction notified
// every node and B dropped what it had cached.
func TestChangesArePushedToOtherNodes(t *testing.T) {
	c := startCluster(t, 2, cachedForAnHour, "LATCHKEY_KEY_PUBLISH_AHEAD=1ms") // new keys sign at once: the push is measured
	a, b := c.nodes[0], c.nodes[1]

	t.Run("application", func(t *testing.T) { changeTokenLifetime(t, a, b, c.apiKey, 90) })

	t.Run("tenant", func(t *testing.T) {
		// The default tenant requires an API key on /api/login without an
		// applicationId (loginConfiguration.requireAuthentication).
		anonymous := func() int {
			return b.do(t, "POST", "/api/login", map[string]any{"loginId": userEmail, "password": password}).status
		}
		if s := anonymous(); s != 401 { // B has the tenant cached now
			t.Fatalf("before: login without applicationId on B = %d, want 401", s)
		}
		r := a.do(t, "PATCH", "/api/tenant/"+defaultTenantID,
			map[string]any{"tenant": map[string]any{"loginConfiguration": map[string]any{"requireAuthentication": false}}},
			"Authorization", c.apiKey)
		if r.status != 200 {
			t.Fatalf("PATCH on A: %d %s", r.status, r.body)
		}
		pushed(t, "login without an API key allowed", func() bool { return anonymous() == 200 })
	})

	// The CORS origin set is made of the applications and the system
	// configuration: B forgets it on either change.
	t.Run("CORS origins", func(t *testing.T) {
		preflight := func(origin string) bool {
			r := b.do(t, "OPTIONS", "/api/jwt/refresh", nil, "Origin", origin, "Access-Control-Request-Method", "POST")
			return r.header.Get("Access-Control-Allow-Origin") == origin
		}
		const viaSystem, viaApp = "https://admin.multinode.test", "https://spa.multinode.test"
		if preflight(viaSystem) || preflight(viaApp) { // B has the origin set cached now
			t.Fatal("before: origins allowed on B that nobody configured")
		}
		r := a.do(t, "PATCH", "/api/system-configuration", map[string]any{"systemConfiguration": map[string]any{
			"corsConfiguration": map[string]any{"enabled": true, "allowedOrigins": []string{viaSystem}}}}, "Authorization", c.apiKey)
		if r.status != 200 {
			t.Fatalf("PATCH system configuration on A: %d %s", r.status, r.body)
		}
		pushed(t, "system corsConfiguration", func() bool { return preflight(viaSystem) })
		r = a.do(t, "PATCH", "/api/application/"+raceApp, map[string]any{"application": map[string]any{
			"oauthConfiguration": map[string]any{"authorizedOriginURLs": []string{viaApp}}}}, "Authorization", c.apiKey)
		if r.status != 200 {
			t.Fatalf("PATCH application on A: %d %s", r.status, r.body)
		}
		pushed(t, "application authorizedOriginURLs", func() bool { return preflight(viaApp) })
	})

	t.Run("signing key", func(t *testing.T) {
		jwks(t, b) // B has the key set cached now
		r := a.do(t, "POST", "/api/key/rotate", map[string]string{"algorithm": "ES256"}, "Authorization", c.apiKey)
		var out struct{ Key struct{ ID string } }
		if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Key.ID == "" {
			t.Fatalf("rotate on A: %d %s", r.status, r.body)
		}
		pushed(t, "new key published and used", func() bool {
			k, _ := jwks(t, b)
			return k[out.Key.ID] == "ES256" && kid(t, login(t, b, userEmail, raceApp).str("token")) == out.Key.ID
		})
	})
	// API keys are never cached, so no push is needed: a key deleted through
	// A is refused by B on its very next request (no polling), even though
	// B accepted it a moment before and caches everything else for an hour.
	t.Run("API key deleted", func(t *testing.T) {
		const leaked = "leaked-key-0123456789abcdef0123456789abcdef"
		r := a.do(t, "POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"key": leaked}}, "Authorization", c.apiKey)
		if r.status != 200 {
			t.Fatalf("create on A: %d %s", r.status, r.body)
		}
		var created struct{ APIKey struct{ ID string } }
		if err := json.Unmarshal(r.body, &created); err != nil || created.APIKey.ID == "" {
			t.Fatalf("create on A: %s", r.body)
		}
		if s := b.do(t, "GET", "/api/application", nil, "Authorization", leaked).status; s != 200 {
			t.Fatalf("the new key on B: %d", s)
		}
		if r := a.do(t, "DELETE", "/api/api-key/"+created.APIKey.ID, nil, "Authorization", c.apiKey); r.status != 200 {
			t.Fatalf("delete on A: %d %s", r.status, r.body)
		}
		if s := b.do(t, "GET", "/api/application", nil, "Authorization", leaked).status; s != 401 {
			t.Fatalf("the deleted key on B right after its deletion: %d, want 401", s)
		}
	})
}

// changeTokenLifetime caches the race application on b (a login), sets its
// access-token lifetime to secs through a, and waits for b's tokens to have
// it.
func changeTokenLifetime(t *testing.T, a, b *node, apiKey string, secs int) {
	t.Helper()
	lifetime := func() int {
		var claims struct{ Exp, Iat int }
		if err := json.Unmarshal(part(t, login(t, b, userEmail, raceApp).str("token"), 1), &claims); err != nil {
			t.Fatal(err)
		}
		return claims.Exp - claims.Iat
	}
	if got := lifetime(); got == secs { // b has the application cached now
		t.Fatalf("before: b's tokens live %d s already", got)
	}
	r := a.do(t, "PATCH", "/api/application/"+raceApp,
		map[string]any{"application": map[string]any{"jwtConfiguration": map[string]any{"timeToLiveInSeconds": secs}}},
		"Authorization", apiKey)
	if r.status != 200 {
		t.Fatalf("PATCH on A: %d %s", r.status, r.body)
	}
	pushed(t, fmt.Sprintf("access-token lifetime %d s", secs), func() bool { return lifetime() == secs })
}

// TestChangeFeedRecoversAfterDatabaseOutage: the change feed's connection
// dies with the database; once PostgreSQL is back, the feed reconnects by
// itself and changes are pushed again (caches kept for an hour, so nothing
// else could explain B applying A's change). The database is a private
// server this test stops and starts.
func TestChangeFeedRecoversAfterDatabaseOutage(t *testing.T) {
	requirePostgres(t)
	pg := startPrivatePostgres(t)
	ks, apiKey := writeKickstart(t)
	a := launch(t, "nodeA", pg.url(), ks, cachedForAnHour)
	b := launch(t, "nodeB", pg.url(), ks, cachedForAnHour)
	a.waitReady(t)
	b.waitReady(t)
	changeTokenLifetime(t, a, b, apiKey, 90) // the feed works before the outage

	pg.stop(t)
	pg.start(t)
	for _, nd := range []*node{a, b} {
		deadline := time.Now().Add(recoverTimeout)
		for nd.do(t, "GET", "/api/status", nil).status != 200 {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover within %s of the database's return", nd.name, recoverTimeout)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	changeTokenLifetime(t, a, b, apiKey, 120)
}

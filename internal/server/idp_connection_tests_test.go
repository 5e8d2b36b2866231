package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// startTest starts a connection test of provider with key and returns its id.
func startTest(t *testing.T, s *stack, provider string, hdr ...string) string {
	t.Helper()
	m := s.apiOK("POST", "/api/identity-provider/test", map[string]any{"identityProviderId": provider}, hdr...)
	id, _ := m["connectionTestId"].(string)
	if len(id) < 32 {
		t.Fatalf("connectionTestId %q", id)
	}
	return id
}

// testResult reads a connection test's result.
func testResult(t *testing.T, s *stack, id string) map[string]any {
	t.Helper()
	m := s.apiOK("GET", "/api/identity-provider/test?connectionTestId="+id, nil)
	r, _ := m["result"].(map[string]any)
	return r
}

// runTest starts test id's test-mode sign-in in a new browser; when the
// provider is reachable it signs email in at the upstream and follows the
// callback. It returns down's last answer.
func runTest(t *testing.T, down, up *stack, id, email string) result {
	t.Helper()
	return runTestOf(t, down, up, idpID, id, email)
}

// runTestOf is runTest through provider.
func runTestOf(t *testing.T, down, up *stack, provider, id, email string) result {
	t.Helper()
	b := newBrowser(down)
	_, challenge := pkce("conn-test-")
	start := b.get("/oauth2/federate/" + provider + "?" + authzQuery(forumsApp, forumsCallback, challenge, "connectionTestId", id).Encode())
	loc := start.header.Get("Location")
	if start.status != http.StatusFound || up == nil || !strings.HasPrefix(loc, up.URL+"/oauth2/authorize?") {
		return start
	}
	v := formFields(t, b.get(loc))
	v.Set("loginId", email)
	v.Set("password", alicePass)
	back := b.send(http.MethodPost, up.URL+"/oauth2/authorize", v.Encode(), map[string]string{"Origin": up.URL})
	callback := back.header.Get("Location")
	if !strings.HasPrefix(callback, down.URL+"/oauth2/callback?") {
		t.Fatalf("upstream answer %d %q", back.status, callback)
	}
	return b.get(callback)
}

// federateStart is the first answer of test id's test-mode sign-in with
// provider: where the browser is sent, if anywhere.
func federateStart(t *testing.T, down *stack, provider, id string) result {
	t.Helper()
	_, challenge := pkce("conn-test-")
	return newBrowser(down).get("/oauth2/federate/" + provider + "?" + authzQuery(forumsApp, forumsCallback, challenge, "connectionTestId", id).Encode())
}

// steps are a result's steps as "title:success" strings.
func steps(r map[string]any) []string {
	out := []string{}
	for _, s := range r["steps"].([]any) {
		m := s.(map[string]any)
		out = append(out, m["title"].(string)+":"+map[bool]string{true: "ok", false: "failed"}[m["success"] == true])
	}
	return out
}

// TestIdentityProviderConnectionTest: a connection test of a disabled
// provider starts with no steps and no success; the test-mode sign-in
// through the upstream records each step and the account it named, and
// signs nobody in: no code for the client, no user, no link, no session.
// The same test cannot be run twice.
func TestIdentityProviderConnectionTest(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	down.apiOK("PATCH", "/api/identity-provider/"+idpID, map[string]any{"identityProvider": map[string]any{"type": "OpenIDConnect", "enabled": false}})
	started := down.api("POST", "/api/identity-provider/test", map[string]any{"identityProviderId": idpID})
	managementGolden(t, "identity-provider-test-start", started.status, started.body)
	id := startTest(t, down, idpID)
	r := testResult(t, down, id)
	if r["success"] != false || len(r["steps"].([]any)) != 0 || r["identityProviderId"] != idpID || r["startInstant"] == nil || r["email"] != nil {
		t.Fatalf("a test not run yet: %v", r)
	}
	res := runTest(t, down, up, id, "dave@example.test")
	if res.status != 200 || res.header.Get("Location") != "" || !strings.Contains(string(res.body), "connection test is complete") {
		t.Fatalf("test-mode callback: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	done := down.api("GET", "/api/identity-provider/test?connectionTestId="+id, nil)
	managementGolden(t, "identity-provider-test-result", done.status, done.body)
	r = testResult(t, down, id)
	want := []string{"Resolve the provider's endpoints:ok", "Authenticate the user at the provider:ok", "Exchange the authorization code:ok", "Resolve the user:ok"}
	if got := steps(r); !equal(got, want) || r["success"] != true || r["email"] != "dave@example.test" || r["identityProviderUserId"] == "" {
		t.Fatalf("after the test-mode sign-in: %v", r)
	}
	if _, err := down.Store.FindUser(context.Background(), storage.UserFilter{TenantID: tenantID, Email: "dave@example.test"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the test created or found a user: %v", err)
	}
	// Run again (a replayed or second sign-in): refused, the result kept.
	if res := federateStart(t, down, idpID, id); res.status != 404 || res.header.Get("Location") != "" {
		t.Fatalf("second run sent the browser on: %d %q", res.status, res.header.Get("Location"))
	}
	if res := runTest(t, down, up, id, "dave@example.test"); res.status != 404 || res.header.Get("Location") != "" {
		t.Fatalf("second run: %d %q", res.status, res.header.Get("Location"))
	}
	if got := steps(testResult(t, down, id)); !equal(got, want) {
		t.Fatalf("after the refused second run: %v", got)
	}
}

// TestIdentityProviderConnectionTestRecordsFailures: a provider whose
// issuer cannot be reached records a failed step at once (the browser is
// not sent anywhere), and the result is no success; no detail carries
// the provider's configuration.
func TestIdentityProviderConnectionTestRecordsFailures(t *testing.T) {
	down := newOAuthStack(t)
	dead := "9b8c7d6e-0000-4000-8000-0000000000f4"
	down.apiOK("POST", "/api/identity-provider/"+dead, map[string]any{"identityProvider": map[string]any{"type": "OpenIDConnect", "name": "Dead", "buttonText": "Dead",
		"oauth2": map[string]any{"client_id": "dead-client", "client_secret": upstreamSecret, "issuer": "http://127.0.0.1:1/unreachable"}}})
	id := startTest(t, down, dead)
	res := runTestOf(t, down, nil, dead, id, "")
	if res.status != 200 || res.header.Get("Location") != "" {
		t.Fatalf("test of an unreachable provider: %d %q", res.status, res.header.Get("Location"))
	}
	m := down.api("GET", "/api/identity-provider/test?connectionTestId="+id, nil)
	r := testResult(t, down, id)
	if got := steps(r); !equal(got, []string{"Resolve the provider's endpoints:failed"}) || r["success"] != false {
		t.Fatalf("unreachable provider: %v", r)
	}
	if strings.Contains(string(m.body), upstreamSecret) || strings.Contains(string(m.body), "unreachable") {
		t.Fatalf("the result names the provider's configuration: %s", m.body)
	}
}

// TestIdentityProviderConnectionTestRefusals (adversarial): the API
// refuses a missing, malformed or unknown provider or tenant and a
// missing, unknown or expired test id with FusionAuth's errors, storing
// nothing, and a test beyond the open-test bound; the test-mode sign-in refuses an unknown test, another
// provider's test and an expired one, recording nothing.
func TestIdentityProviderConnectionTestRefusals(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{}, 400, "[blank]identityProviderId"},
		{map[string]any{"identityProviderId": "not-a-uuid"}, 400, "[invalid]identityProviderId"},
		{map[string]any{"identityProviderId": uuid.NewString()}, 400, "[invalid]identityProviderId"},
		{map[string]any{"identityProviderId": idpID, "tenantId": uuid.NewString()}, 400, "[invalid]tenantId"},
		{map[string]any{"identityProviderId": idpID, "tenantId": "x"}, 400, "[invalid]tenantId"},
	} {
		res := down.api("POST", "/api/identity-provider/test", c.body)
		if res.status != c.status || !strings.Contains(string(res.body), c.code) {
			t.Errorf("start %v: %d %s, want %d %s", c.body, res.status, res.body, c.status, c.code)
		}
	}
	if res := down.api("GET", "/api/identity-provider/test", nil); res.status != 400 || !strings.Contains(string(res.body), "[missing]connectionTestId") {
		t.Errorf("results without an id: %d %s", res.status, res.body)
	}
	if res := down.api("GET", "/api/identity-provider/test?connectionTestId=nope", nil); res.status != 404 {
		t.Errorf("results of an unknown test: %d %s", res.status, res.body)
	}
	// Another provider's test is no test of this one.
	other := "9b8c7d6e-0000-4000-8000-0000000000f3"
	down.apiOK("POST", "/api/identity-provider/"+other, map[string]any{"identityProvider": map[string]any{"type": "OpenIDConnect", "name": "Other", "buttonText": "Other",
		"oauth2": map[string]any{"client_id": "c", "client_secret": "s", "issuer": up.URL}}})
	foreign := startTest(t, down, other)
	if res := federateStart(t, down, idpID, foreign); res.status != 404 || res.header.Get("Location") != "" {
		t.Errorf("another provider's test sent the browser on: %d %q", res.status, res.header.Get("Location"))
	}
	if res := runTest(t, down, up, foreign, "dave@example.test"); res.status != 404 || res.header.Get("Location") != "" {
		t.Errorf("another provider's test: %d %q", res.status, res.header.Get("Location"))
	}
	if res := runTest(t, down, up, "unknown-test-id", "dave@example.test"); res.status != 404 {
		t.Errorf("an unknown test: %d", res.status)
	}
	// Expired: neither readable nor runnable.
	id := startTest(t, down, idpID)
	down.Clock.Advance(manage.ConnectionTestTTL + time.Second)
	if res := runTest(t, down, up, id, "dave@example.test"); res.status != 404 || res.header.Get("Location") != "" {
		t.Errorf("an expired test: %d %q", res.status, res.header.Get("Location"))
	}
	if res := down.api("GET", "/api/identity-provider/test?connectionTestId="+id, nil); res.status != 404 {
		t.Errorf("results of an expired test: %d %s", res.status, res.body)
	}
	// At most manage.MaxOpenConnectionTests unexpired tests per provider.
	for range manage.MaxOpenConnectionTests {
		startTest(t, down, idpID)
	}
	if res := down.api("POST", "/api/identity-provider/test", map[string]any{"identityProviderId": idpID}); res.status != 400 ||
		!strings.Contains(string(res.body), "[tooMany]identityProviderId") {
		t.Errorf("one test too many: %d %s", res.status, res.body)
	}
	if n := countConnectionTests(t, down); n != manage.MaxOpenConnectionTests {
		t.Errorf("open tests after the refused one: %d", n)
	}
	for _, tid := range []string{foreign, id} {
		if ct, err := down.Store.GetIdentityProviderConnectionTest(context.Background(), tid, 0); err != nil || ct.CompleteInstant != 0 {
			t.Errorf("a refused run recorded %+v, %v", ct, err)
		}
	}
}

// TestIdentityProviderConnectionTestNeedsItsPermission: without a key, or
// with keys lacking /api/identity-provider/test (or its method), both
// endpoints are 401 and no test is stored.
func TestIdentityProviderConnectionTestNeedsItsPermission(t *testing.T) {
	down := newOAuthStack(t)
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	id := startTest(t, down, idpID)
	ctx := context.Background()
	keys := map[string]map[string][]string{
		"idp-only-key-0123456789abcdef0123456789abcdef":  {"/api/identity-provider": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"test-read-key-0123456789abcdef0123456789abcdef": {"/api/identity-provider/test": {"GET"}},
	}
	for key, endpoints := range keys {
		must(t, down.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), TenantID: tenantID,
			KeyHash: manage.HashAPIKey(key), Endpoints: endpoints, InsertInstant: down.Clock.Now().UnixMilli()}))
	}
	start := map[string]any{"identityProviderId": idpID}
	for _, c := range []struct {
		key, method string
		status      int
	}{
		{"", "POST", 401}, {"", "GET", 401},
		{"idp-only-key-0123456789abcdef0123456789abcdef", "POST", 401},
		{"idp-only-key-0123456789abcdef0123456789abcdef", "GET", 401},
		{"test-read-key-0123456789abcdef0123456789abcdef", "POST", 401},
		{"test-read-key-0123456789abcdef0123456789abcdef", "GET", 200},
	} {
		var res result
		if c.method == "POST" {
			res = down.api("POST", "/api/identity-provider/test", start, "Authorization", c.key)
		} else {
			res = down.api("GET", "/api/identity-provider/test?connectionTestId="+id, nil, "Authorization", c.key)
		}
		if res.status != c.status {
			t.Errorf("%s with key %q: %d %s, want %d", c.method, c.key, res.status, res.body, c.status)
		}
	}
	if n := countConnectionTests(t, down); n != 1 {
		t.Fatalf("refused keys stored tests: %d in all", n)
	}
}

// TestIdentityProviderConnectionTestTenantScope: a key scoped to a tenant
// starts tests in its own tenant only (naming another is [invalid]),
// another tenant's test is invisible to it, and an application of one
// tenant cannot run another tenant's test.
func TestIdentityProviderConnectionTestTenantScope(t *testing.T) {
	down := newOAuthStack(t)
	down.withOtherTenant()
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	theirs := down.apiOK("POST", "/api/identity-provider/test", map[string]any{"identityProviderId": idpID, "tenantId": otherTenant})["connectionTestId"].(string)
	if res := down.api("GET", "/api/identity-provider/test?connectionTestId="+theirs, nil, "Authorization", scopedKey); res.status != 404 {
		t.Errorf("another tenant's test with the scoped key: %d %s", res.status, res.body)
	}
	// Nor can an application of another tenant run it.
	if res := federateStart(t, down, idpID, theirs); res.status != 404 || res.header.Get("Location") != "" {
		t.Errorf("another tenant's test sent the browser on: %d %q", res.status, res.header.Get("Location"))
	}
	if res := runTest(t, down, up, theirs, "dave@example.test"); res.status != 404 || res.header.Get("Location") != "" {
		t.Errorf("another tenant's test through this tenant's application: %d %q", res.status, res.header.Get("Location"))
	}
	if ct, err := down.Store.GetIdentityProviderConnectionTest(context.Background(), theirs, 0); err != nil || ct.CompleteInstant != 0 {
		t.Errorf("the refused run recorded %+v, %v", ct, err)
	}
	res := down.api("POST", "/api/identity-provider/test", map[string]any{"identityProviderId": idpID, "tenantId": otherTenant}, "Authorization", scopedKey)
	if res.status != 400 || !strings.Contains(string(res.body), "[invalid]tenantId") {
		t.Errorf("a test in another tenant with the scoped key: %d %s", res.status, res.body)
	}
	if n := countConnectionTests(t, down); n != 1 {
		t.Fatalf("tests stored: %d, want only the global key's", n)
	}
	mine := startTest(t, down, idpID, "Authorization", scopedKey)
	if r := down.apiOK("GET", "/api/identity-provider/test?connectionTestId="+mine, nil, "Authorization", scopedKey); r["result"] == nil {
		t.Fatalf("the scoped key's own test: %v", r)
	}
}

// countConnectionTests counts the provider's unexpired connection tests.
func countConnectionTests(t *testing.T, s *stack) int {
	t.Helper()
	n, err := s.Store.CountIdentityProviderConnectionTests(context.Background(), idpID, s.Clock.Now().UnixMilli())
	must(t, err)
	return n
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// The full-stack tests wire the real storage (SQLite in t.TempDir), keys,
// auth and HTTP server on an httptest server with an injected clock. The
// world: one tenant; Store (unscoped cookie, origin store.example.test) and
// Forums (scoped cookie, origin forums.example.test), both anonymous-login
// SPAs with refresh enabled; alice registered to Store only.
const (
	tenantID   = "0f1a2b3c-0000-4000-8000-000000000001"
	storeApp   = "0f1a2b3c-0000-4000-8000-0000000000a1"
	forumsApp  = "0f1a2b3c-0000-4000-8000-0000000000a2"
	aliceID    = "0f1a2b3c-0000-4000-8000-0000000000b1"
	aliceEmail = "alice@example.test"
	alicePass  = "correct horse battery staple"
	apiKey     = "test-api-key-0123456789abcdef0123456789abcdef"
	secret     = "s3cret-client-secret"
	storeSite  = "https://store.example.test"
	forumsSite = "https://forums.example.test"
)

// updating reports the -update flag. The flag itself is registered once for
// the package's tests (management_golden_test.go registers it too, and a flag
// can be defined only once), so it is looked up rather than defined here.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type stack struct {
	t     testing.TB
	URL   string
	Store storage.Storage
	Keys  *keys.Manager
	Clock *clock
	Srv   *server.Server
}

// newStack starts a server; edit changes the world before it is stored.
func newStack(t testing.TB, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	ctx := context.Background()
	var hdl http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hdl.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := sqlstorage.OpenTest(t)
	km := keys.New(st, keys.Options{Now: clk.Now, Issuer: ts.URL})
	must(t, km.Init(ctx))
	tenant := storage.Tenant{ID: tenantID, Name: "Default", Issuer: ts.URL,
		JWTConfiguration: storage.TenantJWTConfiguration{Enabled: true, TimeToLiveInSeconds: 300,
			RefreshTokenTimeToLiveInMinutes: 60, RefreshTokenExpirationPolicy: "Fixed", RefreshTokenUsagePolicy: "OneTimeUse"},
		FailedAuthenticationConfiguration: storage.FailedAuthenticationConfiguration{Enabled: true,
			TooManyAttempts: 3, ResetCountInSeconds: 60, ActionDuration: 5, ActionDurationUnit: "MINUTES"},
		PasswordEncryptionConfiguration: storage.PasswordEncryptionConfiguration{
			EncryptionScheme: "salted-pbkdf2-hmac-sha256", EncryptionSchemeFactor: 1000},
		LoginConfiguration: storage.TenantLoginConfiguration{RequireAuthentication: true},
	}
	mkApp := func(id, name, origin string, scoped bool) *storage.Application {
		return &storage.Application{ID: id, TenantID: tenantID, Name: name, Active: true, State: "Active",
			Roles:               []storage.ApplicationRole{{ID: "r-" + name, Name: "user"}},
			LoginConfiguration:  storage.ApplicationLoginConfig{AllowTokenRefresh: true, GenerateRefreshTokens: true},
			CookieConfiguration: storage.ApplicationCookieConfig{Scoped: scoped},
			OAuthConfiguration: storage.ApplicationOAuthConfig{ClientID: id, ClientSecret: secret,
				ClientAuthenticationPolicy: "Required", GenerateRefreshTokens: true,
				EnabledGrants: []string{"password", "refresh_token"}, AuthorizedOriginURLs: []string{origin}}}
	}
	apps := map[string]*storage.Application{
		storeApp: mkApp(storeApp, "Store", storeSite, false), forumsApp: mkApp(forumsApp, "Forums", forumsSite, true)}
	for _, e := range edit {
		e(apps, &tenant)
	}
	must(t, st.CreateTenant(ctx, tenant))
	for _, a := range apps {
		must(t, st.CreateApplication(ctx, *a))
	}
	ph, err := password.Hash(alicePass, "salted-pbkdf2-hmac-sha256", 1000)
	must(t, err)
	must(t, st.CreateUser(ctx, storage.User{ID: aliceID, TenantID: tenantID, Active: true, Email: aliceEmail,
		Username: "alice", Verified: true, Password: ph, InsertInstant: clk.Now().UnixMilli()}))
	must(t, st.CreateRegistration(ctx, storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c1",
		ApplicationID: storeApp, UserID: aliceID, Roles: []string{"user"}}))
	must(t, st.CreateAPIKey(ctx, storage.APIKey{ID: "0f1a2b3c-0000-4000-8000-0000000000d1", KeyHash: server.HashAPIKey(apiKey)}))
	logger := slog.New(slog.DiscardHandler)
	svc := auth.New(auth.Config{Store: st, Keys: km, Logger: logger, Now: clk.Now, Issuer: ts.URL, TenantID: tenantID})
	srv := &server.Server{Store: st, Keys: km, Auth: svc, Logger: logger, Now: clk.Now, Config: server.Config{Issuer: ts.URL}}
	hdl = srv.Handler()
	return &stack{t: t, URL: ts.URL, Store: st, Keys: km, Clock: clk, Srv: srv}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call is one HTTP request; hdr values of "" are skipped.
type call struct {
	method, path, body string
	hdr                map[string]string
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (s *stack) do(c call) result {
	s.t.Helper()
	req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
	must(s.t, err)
	if c.body != "" && c.hdr["Content-Type"] == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	must(s.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(s.t, err)
	return result{res.StatusCode, res.Header, b}
}

// login posts alice's credentials for app and returns the result.
func (s *stack) login(app string, hdr map[string]string) result {
	s.t.Helper()
	return s.do(call{method: "POST", path: "/api/login", hdr: hdr,
		body: `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + app + `"}`})
}

// cookieValue returns the value of the named cookie set by res.
func cookieValue(res result, name string) string {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// tokenGolden compares body, normalised (tokens, ids and instants replaced), with
// testdata/token/name.json; -update rewrites it.
func tokenGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("golden %s: body %q: %v", name, body, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	must(t, enc.Encode(normalise("", v)))
	got := buf.Bytes()
	path := filepath.Join("testdata", "token", name+".json")
	if updating() {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from golden file:\n got %s\nwant %s", name, got, want)
	}
}

var volatile = map[string]bool{"token": true, "refreshToken": true, "refreshTokenId": true, "access_token": true,
	"refresh_token": true, "refresh_token_id": true, "id_token": true, "jti": true, "sid": true, "id": true, "kid": true,
	"x": true, "y": true, "n": true, "e": true, "publicKey": true, "iss": true}

func normalise(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(k, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalise(key, e)
		}
		return x
	case string:
		if volatile[key] && x != "" {
			return "<" + key + ">"
		}
	case float64:
		if strings.HasSuffix(key, "Instant") || key == "exp" || key == "iat" || key == "auth_time" {
			return "<" + key + ">"
		}
	}
	return v
}

// TestRefreshTokenAdmin covers the API-key refresh-token endpoints
// (fusionauth-api.md §2.3-§2.4): list, get (no secret in the view), every
// DELETE form, 401 without a key.
func TestRefreshTokenAdmin(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	login := func() (string, string) {
		m := s.login(storeApp, nil).json(t)
		return m["refreshToken"].(string), m["refreshTokenId"].(string)
	}
	rt1, id1 := login()
	res := s.do(call{method: "GET", path: "/api/jwt/refresh?userId=" + aliceID, hdr: key})
	if res.status != 200 || len(res.json(t)["refreshTokens"].([]any)) != 1 {
		t.Fatalf("list: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "GET", path: "/api/jwt/refresh/" + id1, hdr: key})
	if res.status != 200 || strings.Contains(string(res.body), rt1) {
		t.Fatalf("get: %d %s", res.status, res.body)
	}
	tokenGolden(t, "refresh_token_get", res.body)
	if res := s.do(call{method: "GET", path: "/api/jwt/refresh/" + id1}); res.status != 401 {
		t.Fatalf("get without key: %d", res.status)
	}
	if res := s.do(call{method: "DELETE", path: "/api/jwt/refresh/" + id1}); res.status != 401 {
		t.Fatalf("delete without key: %d", res.status)
	}

	tests := []struct {
		name string
		c    func(rt, id string) call
	}{
		{"by id", func(_, id string) call { return call{method: "DELETE", path: "/api/jwt/refresh/" + id} }},
		{"by token query", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?token=" + url.QueryEscape(rt) + "&userId=null&applicationId=undefined"}
		}},
		{"by token form", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh", body: "token=" + url.QueryEscape(rt),
				hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
		}},
		{"by user", func(_, _ string) call { return call{method: "DELETE", path: "/api/jwt/refresh?userId=" + aliceID} }},
		{"by application", func(_, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?applicationId=" + storeApp}
		}},
		{"by user and application", func(_, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh?userId=" + aliceID + "&applicationId=" + storeApp}
		}},
		{"JSON body", func(rt, _ string) call {
			return call{method: "DELETE", path: "/api/jwt/refresh", body: `{"token":"` + rt + `"}`}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, id := login()
			c := tt.c(rt, id)
			if c.hdr == nil {
				c.hdr = map[string]string{}
			}
			c.hdr["Authorization"] = apiKey
			if res := s.do(c); res.status != 200 || len(res.body) != 0 {
				t.Fatalf("status %d body %q", res.status, res.body)
			}
			if res := s.do(call{method: "GET", path: "/api/jwt/refresh/" + id, hdr: key}); res.status != 404 {
				t.Fatalf("token still live: %d", res.status)
			}
		})
	}
	for name, c := range map[string]call{
		"unknown id":    {method: "DELETE", path: "/api/jwt/refresh/0f1a2b3c-0000-4000-8000-0000000000ff", hdr: key},
		"unknown token": {method: "DELETE", path: "/api/jwt/refresh?token=nope", hdr: key},
	} {
		if res := s.do(c); res.status != 404 {
			t.Fatalf("%s: %d", name, res.status)
		}
	}
	if res := s.do(call{method: "DELETE", path: "/api/jwt/refresh", hdr: key}); res.status != 400 {
		t.Fatalf("no selector: %d", res.status)
	}
}

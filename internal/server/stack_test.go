package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/openapi/openapitest"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The token-path tests run the real App through apptest (the one way to
// start the stack) on an injected clock. The world: the default tenant with
// a cheap PBKDF2 factor and a 3-failure lockout; Store (unscoped cookie,
// origin store.example.test) and Forums (scoped cookie, origin
// forums.example.test), both anonymous-login SPAs with refresh enabled;
// alice registered to Store only.
const (
	tenantID   = manage.DefaultTenantID
	storeApp   = "0f1a2b3c-0000-4000-8000-0000000000a1"
	forumsApp  = "0f1a2b3c-0000-4000-8000-0000000000a2"
	aliceID    = "0f1a2b3c-0000-4000-8000-0000000000b1"
	aliceEmail = "alice@example.test"
	alicePass  = "correct horse battery staple"
	apiKey     = "test-api-key-0123456789abcdef0123456789abcdef"
	secret     = "s3cret-client-secret"
	storeSite  = "https://store.example.test"
	forumsSite = "https://forums.example.test"
	// testFactor keeps PBKDF2 cheap; the real cost is benchmarked in
	// internal/password and internal/auth.
	testFactor = 1000
)

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
	Clock *clock
	Srv   *server.Server
}

// newStack starts the App; edit changes the world before it is stored.
func newStack(t testing.TB, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	return newLoggedStack(t, nil, edit...)
}

// newLoggedStack is newStack with the App logging to logger (nil: apptest's
// default).
func newLoggedStack(t testing.TB, logger *slog.Logger, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	return buildStack(t, stackOpts{logger: logger}, edit...)
}

// newConfiguredStack is newStack with operator settings changed by cfg.
func newConfiguredStack(t testing.TB, cfg func(*config.Config)) *stack {
	t.Helper()
	return buildStack(t, stackOpts{cfg: cfg})
}

// newBenchStack is newStack without the per-address rate limits: a
// benchmark sends thousands of requests from one address, and the stack's
// clock is frozen, so a limit's window would never move on.
func newBenchStack(b *testing.B, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	b.Helper()
	return buildStack(b, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "login=0/1m,refresh=0/1m,token=0/1m" }}, edit...)
}

// newTunedStack is newLoggedStack with the webhook worker tuned (a short
// poll interval and backoff for the webhook tests).
func newTunedStack(t testing.TB, logger *slog.Logger, webhooks outbox.Config, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	return buildStack(t, stackOpts{logger: logger, webhooks: webhooks}, edit...)
}

// stackOpts are what the stack constructors vary: the App's logger (nil:
// apptest's default), operator settings, the webhook worker's tuning.
type stackOpts struct {
	logger   *slog.Logger
	cfg      func(*config.Config)
	webhooks outbox.Config
	janitor  time.Duration // the janitor's pass interval (0: the default)
	tracing  *observe.Tracing
	store    storage.Storage // nil: apptest's fresh store
}

func buildStack(t testing.TB, o stackOpts, edit ...func(apps map[string]*storage.Application, tenant *storage.Tenant)) *stack {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
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
	in := apptest.Start(t, apptest.Options{Now: clk.Now, APIKey: apiKey, Logger: o.logger, Config: o.cfg, Webhooks: o.webhooks,
		JanitorInterval: o.janitor, Tracing: o.tracing, Store: o.store,
		Tenant: func(tn *storage.Tenant) {
			tn.JWTConfiguration = storage.TenantJWTConfiguration{Enabled: true, TimeToLiveInSeconds: 300,
				RefreshTokenTimeToLiveInMinutes: 60, RefreshTokenExpirationPolicy: "Fixed", RefreshTokenUsagePolicy: "OneTimeUse"}
			tn.FailedAuthenticationConfiguration = storage.FailedAuthenticationConfiguration{Enabled: true,
				TooManyAttempts: 3, ResetCountInSeconds: 60, ActionDuration: 5, ActionDurationUnit: "MINUTES"}
			tn.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{
				EncryptionScheme: "salted-pbkdf2-hmac-sha256", EncryptionSchemeFactor: testFactor}
			tn.LoginConfiguration = storage.TenantLoginConfiguration{RequireAuthentication: true}
			for _, e := range edit {
				e(apps, tn)
			}
		},
		Seed: func(ctx context.Context, st storage.Storage) error {
			for _, a := range apps {
				if err := st.CreateApplication(ctx, *a); err != nil {
					return err
				}
			}
			ph, err := password.Hash(context.Background(), alicePass, "salted-pbkdf2-hmac-sha256", testFactor)
			if err != nil {
				return err
			}
			if err := st.CreateUser(ctx, storage.User{ID: aliceID, TenantID: tenantID, Active: true, Email: aliceEmail,
				Username: "alice", Verified: true, Password: ph, InsertInstant: clk.Now().UnixMilli()}); err != nil {
				return err
			}
			return st.CreateRegistration(ctx, storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c1",
				ApplicationID: storeApp, UserID: aliceID, Roles: []string{"user"}})
		},
	})
	return &stack{t: t, URL: in.URL, Store: in.Store, Clock: clk, Srv: in.App.Server}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call is one HTTP request; hdr values of "" are skipped, and hdr["Host"]
// is sent as the request's host.
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
	if h := c.hdr["Host"]; h != "" {
		req.Host = h // the client sends req.Host, not a Host header
	}
	// Every exchange is checked against the OpenAPI description.
	res, err := openapitest.Transport(s.t, nil).RoundTrip(req)
	must(s.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(s.t, err)
	return result{res.StatusCode, res.Header, b}
}

// doIn serves c in the handler itself (no connection) with ctx as the
// request's context: a deadline passed, or a client gone (canceled).
func (s *stack) doIn(ctx context.Context, c call) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequestWithContext(ctx, c.method, c.path, strings.NewReader(c.body))
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Srv.Handler().ServeHTTP(rec, req)
	return rec
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

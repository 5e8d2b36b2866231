package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// Fixed identities of the test world; every test builds its own world.
const (
	tenantID  = "0f1a2b3c-0000-4000-8000-000000000001"
	appID     = "0f1a2b3c-0000-4000-8000-0000000000a1"
	otherApp  = "0f1a2b3c-0000-4000-8000-0000000000a2"
	userID    = "0f1a2b3c-0000-4000-8000-0000000000b1"
	issuer    = "https://login.example.test"
	userEmail = "Alice@Example.test"
	userName  = "alice"
	goodPass  = "correct horse battery staple"
	testAlg   = "salted-pbkdf2-hmac-sha256"
	// testFactor keeps PBKDF2 cheap in tests; the cost itself is benchmarked
	// in internal/password.
	testFactor = 1000
)

// clock is the injected Now: tests advance it instead of sleeping. It is
// frozen until Run, after which it also moves with real time, as a server's
// clock does while concurrent requests are served: a race test must run on
// a running clock, or a frozen instant hides every "just after" case.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	running bool
	since   time.Time // real time when Run was called
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return c.t.Add(time.Since(c.since))
	}
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Run makes the clock move with real time from now on.
func (c *clock) Run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		c.running, c.since = true, time.Now()
	}
}

// countingHasher wraps the real hasher and counts hash evaluations, the
// observable proof that a locked account is not checked and that an unknown
// user costs one evaluation like a wrong password.
type countingHasher struct {
	hasher
	evals atomic.Int64
}

func (h *countingHasher) Verify(ctx context.Context, plain string, ph storage.PasswordHash) (bool, error) {
	h.evals.Add(1)
	return h.hasher.Verify(ctx, plain, ph)
}

func (h *countingHasher) DummyVerify(ctx context.Context, plain, scheme string, factor int) error {
	h.evals.Add(1)
	return h.hasher.DummyVerify(ctx, plain, scheme, factor)
}

type env struct {
	t      testing.TB
	ctx    context.Context
	store  storage.Storage
	keys   *keys.Manager
	svc    *Service
	clock  *clock
	hasher *countingHasher
	logs   *syncBuffer
}

// world is the tenant, application and user a test starts from; options edit
// it before it is stored.
type world struct {
	tenant storage.Tenant
	app    storage.Application
	user   storage.User
	roles  []string
	// noPassword: the user has none (one an identity provider created).
	noPassword bool
}

func defaultWorld() world {
	return world{
		tenant: storage.Tenant{
			ID: tenantID, Name: "Default", Issuer: issuer,
			JWTConfiguration: storage.TenantJWTConfiguration{
				Enabled: true, TimeToLiveInSeconds: 300, RefreshTokenTimeToLiveInMinutes: 60,
				RefreshTokenExpirationPolicy: policyFixed, RefreshTokenUsagePolicy: usageReusable,
				RefreshTokenSlidingWindowConfiguration: storage.RefreshTokenSlidingWindowConfiguration{MaximumTimeToLiveInMinutes: 90},
			},
			FailedAuthenticationConfiguration: storage.FailedAuthenticationConfiguration{
				Enabled: true, TooManyAttempts: 3, ResetCountInSeconds: 60, ActionDuration: 5, ActionDurationUnit: "MINUTES",
			},
			PasswordEncryptionConfiguration: storage.PasswordEncryptionConfiguration{
				EncryptionScheme: testAlg, EncryptionSchemeFactor: testFactor,
			},
		},
		app: storage.Application{
			ID: appID, TenantID: tenantID, Name: "Store", Active: true, State: "Active",
			Roles:              []storage.ApplicationRole{{ID: "r1", Name: "user"}, {ID: "r2", Name: "admin"}},
			LoginConfiguration: storage.ApplicationLoginConfig{AllowTokenRefresh: true, GenerateRefreshTokens: true},
			OAuthConfiguration: storage.ApplicationOAuthConfig{ClientID: appID, GenerateRefreshTokens: true,
				EnabledGrants: []string{"password", "refresh_token"}},
		},
		user:  storage.User{ID: userID, TenantID: tenantID, Active: true, Email: userEmail, Username: userName, Verified: true},
		roles: []string{"user"},
	}
}

// newEnv opens a fresh database (sqlstorage.OpenTest), real signing keys and
// a Service on a fixed clock.
func newEnv(t testing.TB, opts ...func(*world)) *env {
	t.Helper()
	w := defaultWorld()
	for _, o := range opts {
		o(&w)
	}
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := sqlstorage.OpenTest(t)
	km := keys.New(st, keys.Options{Now: clk.Now, Issuer: issuer})
	must(t, km.Init(ctx))
	must(t, st.CreateTenant(ctx, w.tenant))
	must(t, st.CreateApplication(ctx, w.app))
	other := w.app
	other.ID, other.Name, other.OAuthConfiguration.ClientID = otherApp, "Forums", otherApp
	must(t, st.CreateApplication(ctx, other))
	if !w.noPassword {
		pec := w.tenant.PasswordEncryptionConfiguration
		h, err := password.Hash(context.Background(), goodPass, pec.EncryptionScheme, pec.EncryptionSchemeFactor)
		must(t, err)
		w.user.Password = h
	}
	must(t, st.CreateUser(ctx, w.user))
	if w.roles != nil {
		must(t, st.CreateRegistration(ctx, storage.Registration{ID: "reg-1", ApplicationID: appID, UserID: userID, Roles: w.roles}))
	}
	logs := &syncBuffer{}
	svc := New(Config{Store: st, Keys: km, Now: clk.Now, TenantID: tenantID,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ch := &countingHasher{hasher: svc.pw}
	svc.pw = ch
	return &env{t: t, ctx: ctx, store: st, keys: km, svc: svc, clock: clk, hasher: ch, logs: logs}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// login logs alice into the application and fails the test on error.
func (e *env) login() Tokens {
	e.t.Helper()
	tok, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, IPAddress: "192.0.2.1"})
	must(e.t, err)
	if tok.RefreshToken == "" {
		e.t.Fatal("login issued no refresh token")
	}
	return tok
}

func (e *env) refresh(raw string) (Tokens, error) {
	return e.svc.Refresh(e.ctx, RefreshRequest{RefreshToken: raw, IPAddress: "192.0.2.1"})
}

// record reads the refresh-token record by id.
func (e *env) record(id string) storage.RefreshToken {
	e.t.Helper()
	rt, err := e.store.GetRefreshToken(e.ctx, id)
	must(e.t, err)
	return rt
}

// claims validates an access token through the service and returns its claims.
func (e *env) claims(token string) map[string]any {
	e.t.Helper()
	c, err := e.svc.Validate(e.ctx, token)
	must(e.t, err)
	return c
}

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

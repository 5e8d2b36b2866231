package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// The helpers of the package's unit tests: a Server over the real store
// (sqlstorage.OpenTest) seeded through the storage API, on an injected
// clock, and the real handler with stubbed endpoints.

// unitStore is the real store of a unit test, with the seeding its tests do
// through the storage API; a failed write fails the test.
type unitStore struct {
	*sqlstorage.Store
	tb testing.TB
}

// putSystem stores c as the system configuration.
func (u *unitStore) putSystem(c storage.SystemConfiguration) {
	u.tb.Helper()
	if err := u.PutSystemConfiguration(context.Background(), c); err != nil {
		u.tb.Fatalf("put system configuration: %v", err)
	}
}

// updateApplication stores the application id as change leaves it.
func (u *unitStore) updateApplication(id string, change func(*storage.Application)) {
	u.tb.Helper()
	a, err := u.GetApplication(context.Background(), id)
	if err != nil {
		u.tb.Fatalf("get application %s: %v", id, err)
	}
	change(&a)
	if err := u.UpdateApplication(context.Background(), a); err != nil {
		u.tb.Fatalf("update application %s: %v", id, err)
	}
}

const (
	storeAppID  = "3c219e58-ed0e-4b18-ad48-f4f92793ae32"
	forumsAppID = "7a5e3b1c-2d4f-4e6a-8b9c-0d1e2f3a4b5c"
)

// clock is an injectable, advanceable Now.
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

// stubbed is s's real handler with the handler of every row that names a
// method replaced by h: the middleware and guard run as they do in
// production, the endpoints do not.
func stubbed(s *Server, h http.HandlerFunc) http.Handler {
	rs := s.routes()
	for i := range rs {
		if strings.Contains(rs[i].pattern, " ") {
			rs[i].handler = h
		}
	}
	return s.handler(rs)
}

func newUnitServer(t testing.TB) (*Server, *unitStore, *clock) {
	t.Helper()
	fs := &unitStore{Store: sqlstorage.OpenTest(t), tb: t}
	for _, a := range []storage.Application{
		{ID: storeAppID, Active: true, OAuthConfiguration: storage.ApplicationOAuthConfig{
			AuthorizedOriginURLs: []string{"https://store.example.test/"}}},
		{ID: forumsAppID, Active: true, CookieConfiguration: storage.ApplicationCookieConfig{Scoped: true},
			OAuthConfiguration: storage.ApplicationOAuthConfig{AuthorizedOriginURLs: []string{"https://forums.example.test:8443"}}},
	} {
		if err := fs.CreateApplication(context.Background(), a); err != nil {
			t.Fatalf("create application %s: %v", a.ID, err)
		}
	}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return &Server{Store: fs, Manage: manage.New(fs, nil, c.Now), Logger: slog.New(slog.DiscardHandler), Now: c.Now,
		Config: Config{Issuer: "https://login.example.test"}}, fs, c
}

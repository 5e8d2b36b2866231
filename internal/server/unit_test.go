package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The helpers of the package's unit tests: a Server over a partial fake
// store (the methods the CORS and routing tests read) on an injected clock,
// and the real handler with stubbed endpoints.

// fakeStore embeds the contract and implements only what the unit tests of
// the HTTP layer touch; anything else panics, which the test would notice.
type fakeStore struct {
	storage.Storage
	mu    sync.Mutex
	apps  map[string]storage.Application
	sys   *storage.SystemConfiguration
	loads atomic.Int32
}

func (f *fakeStore) GetSystemConfiguration(context.Context) (storage.SystemConfiguration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sys == nil {
		return storage.SystemConfiguration{}, storage.ErrNotFound
	}
	return *f.sys, nil
}

func (f *fakeStore) ListApplications(_ context.Context, inactive bool) ([]storage.Application, error) {
	f.loads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []storage.Application
	for _, a := range f.apps {
		if a.Active != inactive {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeStore) GetApplication(_ context.Context, id string) (storage.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.apps[id]
	if !ok {
		return a, storage.ErrNotFound
	}
	return a, nil
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

func newUnitServer(t testing.TB) (*Server, *fakeStore, *clock) {
	t.Helper()
	fs := &fakeStore{apps: map[string]storage.Application{
		storeAppID: {ID: storeAppID, Active: true, OAuthConfiguration: storage.ApplicationOAuthConfig{
			AuthorizedOriginURLs: []string{"https://store.example.test/"}}},
		forumsAppID: {ID: forumsAppID, Active: true, CookieConfiguration: storage.ApplicationCookieConfig{Scoped: true},
			OAuthConfiguration: storage.ApplicationOAuthConfig{AuthorizedOriginURLs: []string{"https://forums.example.test:8443"}}},
	}}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return &Server{Store: fs, Manage: manage.New(fs, nil, c.Now), Logger: slog.New(slog.DiscardHandler), Now: c.Now,
		Config: Config{Issuer: "https://login.example.test"}}, fs, c
}

package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/openapi/openapitest"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// Options tune Start; the zero value is a plain fresh instance.
type Options struct {
	// Kickstart is the text of a Kickstart file applied at start.
	Kickstart string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Config adjusts the configuration before Open (Addr and Issuer are
	// already set to the test listener).
	Config func(*config.Config)
	// Store reuses a store (e.g. to restart on the same database); default a
	// fresh sqlstorage.OpenTest.
	Store storage.Storage
	// Logger (default: discard, or stderr when LATCHKEY_TEST_LOG=1).
	Logger *slog.Logger
	// Tenant, when set, edits the default tenant (manage.NewDefaultTenant)
	// before it is stored and the App opens, e.g. a cheap PBKDF2 factor or a
	// lockout policy. Ignored when Store already holds a default tenant.
	Tenant func(*storage.Tenant)
	// Seed stores the test's world (applications, users, ...) before the
	// App opens, so the first request already sees it.
	Seed func(ctx context.Context, st storage.Storage) error
	// APIKey is the value of the super key Start creates (default: random).
	APIKey string
	// Webhooks tunes the webhook delivery worker (app.Options.Webhooks),
	// e.g. a short poll interval and backoff.
	Webhooks outbox.Config
	// JanitorInterval overrides the janitor's pass interval
	// (app.Options.JanitorInterval), e.g. to see a pass within a test.
	JanitorInterval time.Duration
	// Limits bound concurrent password verification (app.Options.Limits),
	// e.g. a short wait for a hashing turn.
	Limits server.Limits
	// Tracing replaces the configured tracing (app.Options.Tracing), e.g.
	// spans recorded in memory.
	Tracing *observe.Tracing
}

// Instance is a running App.
type Instance struct {
	URL string
	// APIKey is a super key (key manager) created directly in storage; empty
	// when a Kickstart was given (use its keys).
	APIKey string
	App    *app.App
	Store  storage.Storage
	Client *http.Client
}

// Start opens and runs the App; it is stopped in t.Cleanup.
func Start(t testing.TB, o Options) *Instance {
	t.Helper()
	st := o.Store
	if st == nil {
		st = sqlstorage.OpenTest(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apptest: listen: %v", err)
	}
	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.DatabaseURL = "unused-store-injected"
	if o.Kickstart != "" {
		cfg.Kickstart = filepath.Join(t.TempDir(), "kickstart.json")
		if err := os.WriteFile(cfg.Kickstart, []byte(o.Kickstart), 0o600); err != nil {
			t.Fatalf("apptest: %v", err)
		}
	}
	if o.Config != nil {
		o.Config(&cfg)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("LATCHKEY_TEST_LOG") == "1" {
			logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	if err := seed(st, o, cfg.Issuer); err != nil {
		_ = ln.Close()
		t.Fatalf("apptest: seed: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.Options{Store: st, Now: o.Now, Logger: logger, Listener: ln, Webhooks: o.Webhooks,
		JanitorInterval: o.JanitorInterval, Limits: o.Limits, Tracing: o.Tracing})
	if err != nil {
		cancel()
		_ = ln.Close()
		t.Fatalf("apptest: open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("apptest: run: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("apptest: close: %v", err)
		}
	})
	// The client checks every exchange against the OpenAPI description, so
	// the tests that use it keep the description true.
	in := &Instance{URL: a.URL(), App: a, Store: st, Client: &http.Client{Timeout: 30 * time.Second, Transport: openapitest.Transport(t, nil)}}
	if o.Kickstart == "" {
		in.APIKey = o.APIKey
		if in.APIKey == "" {
			in.APIKey = rand.Text() + rand.Text()
		}
		k := storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(in.APIKey), Description: "apptest super key",
			KeyManager: true, InsertInstant: time.Now().UnixMilli()}
		if err := st.CreateAPIKey(context.Background(), k); err != nil {
			t.Fatalf("apptest: create API key: %v", err)
		}
	}
	return in
}

// seed applies Options.Tenant and Options.Seed to the store.
func seed(st storage.Storage, o Options, issuer string) error {
	ctx := context.Background()
	if o.Tenant != nil {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		t := manage.NewDefaultTenant(issuer, now())
		o.Tenant(&t)
		if err := st.CreateTenant(ctx, t); err != nil && !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	if o.Seed != nil {
		return o.Seed(ctx, st)
	}
	return nil
}

// Do sends a request and returns the response (body already read and
// closed) and its body. body may be nil, a string or []byte (sent as is), or
// anything else (sent as JSON). headers are name, value pairs; the
// instance's API key is sent as Authorization unless headers set one ("" to
// send none), and Content-Type is application/json for a body unless set.
func (in *Instance) Do(t testing.TB, method, path string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apptest: marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, in.URL+path, rd)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	if in.APIKey != "" {
		req.Header.Set("Authorization", in.APIKey)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(headers)%2 != 0 {
		t.Fatalf("apptest: headers must be name, value pairs")
	}
	for i := 0; i < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := in.Client.Do(req)
	if err != nil {
		t.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("apptest: read body: %v", err)
	}
	return resp, b
}

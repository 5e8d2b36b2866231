package app_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

const (
	userEmail = "dora@example.test"
	userPass  = "drain-me-gently-please"
)

// watchedListener reports when http.Server.Shutdown closes it: the moment
// new connections start being refused.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *watchedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

// running is an App serving on a loopback port, stopped by cancel.
type running struct {
	App    *app.App
	Addr   string
	APIKey string
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; runErr is its result
	runErr error
	ln     *watchedListener
}

// returned reports whether Run has returned, without waiting.
func (r *running) returned() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// wait waits for Run and returns its result.
func (r *running) wait() error {
	<-r.done
	return r.runErr
}

// start opens and runs an App on a fresh SQLite database with one user
// (userEmail / userPass) and a super API key. wrap, if set, wraps the store.
func start(t *testing.T, opts app.Options, edit func(*config.Config), wrap func(storage.Storage) storage.Storage) *running {
	t.Helper()
	var st storage.Storage = sqlstorage.OpenTest(t)
	ctx := context.Background()
	ph, err := password.Hash(context.Background(), userPass, password.PBKDF2SHA256, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, storage.User{ID: uuid.NewString(), TenantID: manage.DefaultTenantID, Active: true,
		Email: userEmail, Verified: true, Password: ph, InsertInstant: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	r := &running{APIKey: rand.Text() + rand.Text(), done: make(chan struct{})}
	if err := st.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), KeyHash: manage.HashAPIKey(r.APIKey),
		KeyManager: true, InsertInstant: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		st = wrap(st)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.ln = &watchedListener{Listener: inner, closed: make(chan struct{})}
	r.Addr = inner.Addr().String()
	cfg := config.Default()
	cfg.Addr, cfg.Issuer, cfg.DatabaseURL = r.Addr, "http://"+r.Addr, "unused-store-injected"
	if edit != nil {
		edit(&cfg)
	}
	opts.Store, opts.Listener = st, r.ln
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := app.Open(ctx, cfg, opts)
	if err != nil {
		_ = inner.Close()
		t.Fatalf("open: %v", err)
	}
	r.App = a
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.runErr = a.Run(runCtx); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(time.Minute): // failsafe only: a hung Run must not hang the suite
			t.Error("Run did not return")
		}
		_ = a.Close()
	})
	return r
}

// rawConn is a hand-driven HTTP/1.1 connection, for clients that misbehave
// on purpose (slow bodies, trickled headers).
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// Failsafe: a broken server fails the test instead of hanging it.
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	return &rawConn{Conn: c, br: bufio.NewReader(c)}
}

// startLogin sends the headers of a login whose body is still to come, with
// Expect: 100-continue, and returns once the server asked for the body: the
// handler is running, so the request is in flight.
func (c *rawConn) startLogin(t *testing.T, apiKey, body string) {
	t.Helper()
	_, err := io.WriteString(c, "POST /api/login HTTP/1.1\r\nHost: latchkey.test\r\nAuthorization: "+apiKey+
		"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil || res.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: %v %v", res, err)
	}
}

func loginBody(email, pass string) string {
	return `{"loginId":"` + email + `","password":"` + pass + `"}`
}

package app_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/server"
)

// TestShutdownDrainsInFlight is security-bar.md D8 / §5.8. Logins are held
// in flight on slow body uploads when the context is cancelled (what SIGTERM
// does in cmd/latchkey). Then: the listener closes so new connections are
// refused, /api/status answers 503, Run waits; when the uploads finish every
// login completes with its token, and Run returns nil.
func TestShutdownDrainsInFlight(t *testing.T) {
	const inFlight = 20
	// The logins' bodies are held back by the test, across the shutdown,
	// for as long as the machine takes to run this far: every server-side
	// clock that runs meanwhile (the request's deadline, 15 s by default,
	// which ended a login with 503 under heavy load; ReadTimeout and
	// WriteTimeout, 30 s) is set beyond the connections' one-minute failsafe
	// (dial), so no timer decides the outcome.
	const beyondFailsafe = 10 * time.Minute
	r := start(t, app.Options{Limits: server.Limits{HashConcurrency: 4, HashQueue: inFlight, HashWait: beyondFailsafe},
		HTTP: app.HTTPLimits{ReadTimeout: beyondFailsafe, WriteTimeout: beyondFailsafe, RequestTimeout: beyondFailsafe}},
		func(c *config.Config) { c.ShutdownTimeout = beyondFailsafe }, nil)
	body := loginBody(userEmail, userPass)
	conns := make([]*rawConn, inFlight)
	for i := range conns {
		conns[i] = dial(t, r.Addr)
		conns[i].startLogin(t, r.APIKey, body)
		if _, err := io.WriteString(conns[i], body[:10]); err != nil {
			t.Fatal(err)
		}
	}

	r.cancel()
	<-r.ln.closed

	if c, err := net.Dial("tcp", r.Addr); err == nil {
		_ = c.Close()
		t.Fatal("a new connection was accepted while draining")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while draining: %v, want connection refused", err)
	}
	rec := httptest.NewRecorder()
	r.App.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/status", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "draining") {
		t.Fatalf("/api/status while draining: %d %s", rec.Code, rec.Body)
	}
	if r.returned() {
		t.Fatalf("Run returned (%v) with %d requests in flight", r.wait(), inFlight)
	}

	for i, c := range conns {
		if _, err := io.WriteString(c, body[10:]); err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
	}
	for i, c := range conns {
		res, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"token":"`) {
			t.Fatalf("conn %d: in-flight login ended %d %s", i, res.StatusCode, b)
		}
	}
	if err := r.wait(); err != nil {
		t.Fatalf("Run after a complete drain: %v, want nil", err)
	}
}

// TestShutdownDrainTimeout: a request that never finishes cannot hold the
// process: past ShutdownTimeout, Run closes the connection and returns an
// error naming the drain (cmd/latchkey then exits 1).
func TestShutdownDrainTimeout(t *testing.T) {
	r := start(t, app.Options{}, func(c *config.Config) { c.ShutdownTimeout = 50 * time.Millisecond }, nil)
	c := dial(t, r.Addr)
	body := loginBody(userEmail, userPass)
	c.startLogin(t, r.APIKey, body)
	r.cancel()
	err := r.wait()
	if err == nil || !strings.Contains(err.Error(), "drain did not finish") {
		t.Fatalf("Run = %v, want the drain timeout error", err)
	}
	if _, err := c.br.ReadByte(); err == nil {
		t.Fatal("the stuck connection was left open after the drain timeout")
	}
}

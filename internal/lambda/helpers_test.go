package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a goroutine-safe log sink for tests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records parses the JSON log lines.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// newTestEngine is an engine logging JSON into a buffer. Tests that are not
// about the deadline get a generous one, so a loaded machine (or -race)
// cannot turn a slow call into a failure.
func newTestEngine(t *testing.T, cfg Config) (*Engine, *logBuffer) {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return New(cfg), logs
}

func jwtLambda(id, body string) Lambda {
	return Lambda{ID: id, Name: "test " + id, Type: JWTPopulate, Body: body, Enabled: true,
		EngineType: EngineGraalJS, InsertInstant: 1, LastUpdateInstant: 1}
}

// baseClaims are an access token's claims as token minting builds them.
func baseClaims() map[string]any {
	return map[string]any{
		"iss": "https://auth.example.com", "sub": "8f9c3b1e-0000-4000-8000-000000000001",
		"aud": "app-1", "exp": int64(1900000000), "iat": int64(1899999000), "jti": "jti-1",
		"auth_time": int64(1899999000), "authenticationType": "PASSWORD",
		"tid": "tenant-1", "applicationId": "app-1", "sid": "session-1",
		"roles": []string{"user"}, "email": "ana@example.com", "email_verified": true,
		"cnf": map[string]string{"jkt": "thumbprint"}, "scope": "openid offline_access",
	}
}

const testUser = `{"id":"8f9c3b1e-0000-4000-8000-000000000001","email":"ana@example.com",` +
	`"firstName":"Ana","data":{"favoriteColor":"teal","plan":"gold"}}`

const testRegistration = `{"applicationId":"app-1","roles":["user"],"data":{"department":"R&D"}}`

func populate(t *testing.T, e *Engine, body string) Result {
	t.Helper()
	return e.Populate(context.Background(), jwtLambda("l-"+t.Name(), body), Input{
		Claims: baseClaims(), User: decode(testUser),
		Registration: decode(testRegistration), Scopes: []string{"openid"},
	})
}

// mustSucceed fails the test unless the call succeeded.
func mustSucceed(t *testing.T, r Result) map[string]any {
	t.Helper()
	if r.Err != nil {
		f, _ := r.Err.(*Failure)
		t.Fatalf("populate failed: %v: %s", r.Err, f.Detail)
	}
	return r.Claims
}

// failureReason returns the call's failure reason, failing the test if it
// succeeded or if its claims are not the caller's own, unchanged.
func failureReason(t *testing.T, r Result, in map[string]any) Reason {
	t.Helper()
	f, ok := r.Err.(*Failure)
	if !ok {
		t.Fatalf("want a *Failure, got %v; claims %v", r.Err, r.Claims)
	}
	a, _ := json.Marshal(r.Claims)
	b, _ := json.Marshal(in)
	if !bytes.Equal(a, b) {
		t.Errorf("a failed call changed the claims:\n got %s\nwant %s", a, b)
	}
	return f.Reason
}

// within fails the test if f hangs: it waits limit plus a minute, so a
// loaded machine (race detector, two cores shared with other tests) never
// trips it. It is not a speed check; which limit stopped a call is asserted
// by the call's failure reason.
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	limit += time.Minute
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("did not return within %v", limit)
	}
}

// decode is a JSON view as callers pass it.
func decode(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// hangingStore answers nothing until the caller gives up, like a database
// behind a network partition (a stopped server refuses at once; this one
// never answers).
type hangingStore struct{ *fakeStore }

func (hangingStore) GetAPIKeyByHash(ctx context.Context, _ []byte) (storage.APIKey, error) {
	<-ctx.Done()
	return storage.APIKey{}, ctx.Err()
}

// TestHangingDatabaseAnswers503: a request whose database call never returns
// is answered with a 503 JSON error and Retry-After once the request timeout
// passes — not a hang, not a 500 (issue #5: "a database that disappears later
// gives 503s, not hangs").
func TestHangingDatabaseAnswers503(t *testing.T) {
	s, fs, c := newUnitServer(t)
	hanging := hangingStore{fs}
	s.Store, s.Manage = hanging, manage.New(hanging, nil, c.Now)
	s.Config.RequestTimeout = 50 * time.Millisecond
	req := httptest.NewRequest("GET", "/api/user/0f1a2b3c-0000-4000-8000-0000000000b1", nil)
	req.Header.Set("Authorization", "some-api-key-0123456789")
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.Handler().ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a timing assertion
		t.Fatal("the request hung on a database that does not answer")
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(rec.Body.String(), "[ServiceUnavailable]") {
		t.Fatalf("got %d %v %s, want 503 with Retry-After and a JSON error", rec.Code, rec.Header(), rec.Body)
	}
}

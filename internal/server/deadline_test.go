package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestImportOutlivesTheRequestTimeout: a route with a timeout of its own
// (POST /api/user/import's batch, one transaction of thousands of users)
// keeps its context past Config.RequestTimeout, which still ends every
// other request's work, with a 503 from writeInternal; the real route
// table gives the import route that timeout. Before, a 10,000-user batch
// on a loaded host hit the 15 s request deadline and was answered 503.
func TestImportOutlivesTheRequestTimeout(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Config.RequestTimeout = 20 * time.Millisecond
	var longErr, shortErr error
	h := s.handler([]route{
		{pattern: "POST /api/long", auth: public, body: maxBody, timeout: importTimeout,
			handler: func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(2 * s.Config.RequestTimeout)
				if longErr = r.Context().Err(); longErr != nil {
					s.writeInternal(w, r, longErr)
					return
				}
				writeEmpty(w, http.StatusOK)
			}},
		{pattern: "POST /api/short", auth: public, body: maxBody,
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(time.Minute): // a guard against a hang, not a timing assertion
				}
				shortErr = r.Context().Err()
				s.writeInternal(w, r, shortErr)
			}}})
	send := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader("{}")))
		return rec.Code
	}
	if code := send("/api/long"); code != http.StatusOK || longErr != nil {
		t.Errorf("the long route: %d, context %v; want 200 with its context alive past the request timeout", code, longErr)
	}
	if code := send("/api/short"); code != http.StatusServiceUnavailable || !errors.Is(shortErr, context.DeadlineExceeded) {
		t.Errorf("another route: %d, context %v; want 503 at the request timeout", code, shortErr)
	}
	for _, rt := range s.routes() {
		if rt.pattern == "POST /api/user/import" && rt.timeout != importTimeout {
			t.Errorf("POST /api/user/import has timeout %v, want %v", rt.timeout, importTimeout)
		}
	}
}

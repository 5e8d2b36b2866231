package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestOutageIsLoggedAsACount: a database outage fails every request the
// same way; the first 503 is logged, the next ones within the minute are
// not, and the next line after it carries how many were held back. Every
// request still gets its 503.
func TestOutageIsLoggedAsACount(t *testing.T) {
	var logs bytes.Buffer
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := &Server{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.Now}
	fail := func() {
		rec := httptest.NewRecorder()
		s.writeInternal(rec, httptest.NewRequest("POST", "/api/login", nil), fmt.Errorf("%w: dial tcp: connection refused", storage.ErrUnavailable))
		if rec.Code != 503 {
			t.Fatalf("status %d, want 503", rec.Code)
		}
	}
	for range 50 {
		fail()
	}
	if n := strings.Count(logs.String(), "database unavailable"); n != 1 {
		t.Fatalf("%d lines for 50 identical failures within a minute, want 1:\n%s", n, logs.String())
	}
	clk.Advance(61 * time.Second)
	fail()
	if n := strings.Count(logs.String(), "database unavailable"); n != 2 || !strings.Contains(logs.String(), "repeated=49") {
		t.Fatalf("after the minute: want a second line with repeated=49:\n%s", logs.String())
	}
}

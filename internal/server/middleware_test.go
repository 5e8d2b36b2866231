package server

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestHSTSOnlyOverHTTPS is the HSTS half of security-bar.md H3: a browser
// ignores HSTS over plain HTTP (RFC 6797 §8.1), and sending it there on a
// development host would pin localhost to HTTPS; so it is sent over TLS, or
// when a trusted proxy says the client used https, with max-age ≥ 1 year.
// A direct client claiming X-Forwarded-Proto gets none.
func TestHSTSOnlyOverHTTPS(t *testing.T) {
	s, _, _ := newUnitServer(t)
	s.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	hdl := s.Handler()
	tests := []struct {
		name, peer, proto string
		tls               bool
		want              bool
	}{
		{"plain direct", "192.0.2.7:5000", "", false, false},
		{"direct client claims https", "192.0.2.7:5000", "https", false, false},
		{"TLS direct", "192.0.2.7:5000", "", true, true},
		{"trusted proxy says https", "10.1.2.3:5000", "https", false, true},
		{"trusted proxy says http", "10.1.2.3:5000", "http", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/no/such/page", nil)
			req.RemoteAddr = tt.peer
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			hdl.ServeHTTP(rec, req)
			hsts := rec.Header().Get("Strict-Transport-Security")
			if (hsts != "") != tt.want {
				t.Fatalf("HSTS %q, want present=%v", hsts, tt.want)
			}
			if tt.want {
				age, err := strconv.Atoi(strings.TrimPrefix(strings.Split(hsts, ";")[0], "max-age="))
				if err != nil || age < 31536000 {
					t.Fatalf("HSTS %q: max-age must be at least one year", hsts)
				}
			}
		})
	}
}

// hangingStore answers nothing until the caller gives up, like a database
// behind a network partition (a stopped server refuses at once; this one
// never answers).
type hangingStore struct{ *unitStore }

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

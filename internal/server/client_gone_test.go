package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// TestRefreshWhoseClientWentAwayIsNoServerError: a refresh whose client went
// away before it was answered (the request's context canceled, as when the
// connection closes or the client's timeout fires) is answered 499, logged
// at debug level as the client's doing, and consumes nothing: the same
// refresh token refreshes afterwards. Before, each such request was logged
// as an internal error and counted as a 500 (thousands of ERROR lines when a
// load balancer's timeout fires under load).
func TestRefreshWhoseClientWentAwayIsNoServerError(t *testing.T) {
	var logs loghygiene.Buffer
	s := newLoggedStack(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	grant := s.token(url.Values{"grant_type": {"password"}, "client_id": {storeApp}, "client_secret": {secret},
		"username": {aliceEmail}, "password": {alicePass}, "scope": {"offline_access"}})
	rt, _ := grant.json(t)["refresh_token"].(string)
	if grant.status != 200 || rt == "" {
		t.Fatalf("password grant: %d %s", grant.status, grant.body)
	}
	gone := func(c call) *httptest.ResponseRecorder {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return s.doIn(ctx, c)
	}
	oauth := gone(call{method: "POST", path: "/oauth2/token", hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}}.Encode()})
	api := gone(call{method: "POST", path: "/api/jwt/refresh", hdr: map[string]string{"Content-Type": "application/json"},
		body: `{"refreshToken":"` + rt + `"}`})
	for name, rec := range map[string]*httptest.ResponseRecorder{"/oauth2/token": oauth, "/api/jwt/refresh": api} {
		if rec.Code != 499 {
			t.Errorf("%s refresh whose client went away: %d %s; want 499", name, rec.Code, rec.Body)
		}
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Count(out, "client went away before its answer") != 2 {
		t.Fatalf("log: want two debug lines saying the client went away, and no error:\n%s", out)
	}
	again := s.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}})
	if next, _ := again.json(t)["refresh_token"].(string); again.status != 200 || next == "" || next == rt {
		t.Fatalf("the refresh token after two abandoned refreshes: %d %s; want it unconsumed", again.status, again.body)
	}
}

// TestCanceledWorkOfALiveClientIsAServerError: an operation that ended with
// context.Canceled while its request's client is still there (a cancel of
// the server's own) is not the client's doing: 500 and an error line, as
// before; the same error with the request's context canceled is 499 at
// debug level.
func TestCanceledWorkOfALiveClientIsAServerError(t *testing.T) {
	var logs loghygiene.Buffer
	s := newLoggedStack(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	canceled := fmt.Errorf("auth: something of the server's own: %w", context.Canceled)
	live := httptest.NewRecorder()
	s.Srv.WriteInternalForTest(live, httptest.NewRequest("POST", "/api/jwt/refresh", nil), canceled)
	if live.Code != 500 || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("canceled work of a live client: %d, log:\n%s\nwant 500 and an error line", live.Code, logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := httptest.NewRecorder()
	s.Srv.WriteInternalForTest(gone, httptest.NewRequestWithContext(ctx, "POST", "/api/jwt/refresh", nil), canceled)
	if gone.Code != 499 || strings.Count(logs.String(), "level=ERROR") != 1 || !strings.Contains(logs.String(), "client went away before its answer") {
		t.Fatalf("the same error with the client gone: %d, log:\n%s\nwant 499 and no second error line", gone.Code, logs.String())
	}
}

// TestCORSWhoseClientWentAwayWarnsNothing: a cross-origin request whose
// client went away while the allowed origins were loading logs no warning
// that loading them failed (it did not: the load goes on), only a debug
// line; the next request is answered with the origin allowed.
func TestCORSWhoseClientWentAwayWarnsNothing(t *testing.T) {
	var logs loghygiene.Buffer
	s := newLoggedStack(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	preflight := call{method: "OPTIONS", path: "/api/login", hdr: map[string]string{
		"Origin": storeSite, "Access-Control-Request-Method": "POST"}}
	s.Srv.ForgetOrigins() // the next request loads the set
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.doIn(ctx, preflight)
	if out := logs.String(); strings.Contains(out, "level=WARN") || !strings.Contains(out, "cors: client went away while the allowed origins loaded") {
		t.Fatalf("a preflight whose client went away: want a debug line and no warning, log:\n%s", out)
	}
	if rec := s.doIn(context.Background(), preflight); rec.Header().Get("Access-Control-Allow-Origin") != storeSite {
		t.Fatalf("the next preflight: %d, Access-Control-Allow-Origin %q, want %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), storeSite)
	}
}

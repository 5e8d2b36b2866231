package appkit_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/demo/appkit/appkittest"
)

func TestHandleNeedsAValidToken(t *testing.T) {
	trusted := appkittest.NewSigner(t, "k1")
	_, srv := newApp(t, trusted, nil)
	soon := time.Now().Add(time.Minute)
	tests := []struct {
		name, token string
		want        int
	}{
		{"valid", trusted.Token(t, "alice", appID, soon), 200},
		{"missing", "", 401},
		{"other audience", trusted.Token(t, "alice", "someone-else", soon), 401},
		{"expired", trusted.Token(t, "alice", appID, time.Now().Add(-10*time.Minute)), 401},
		{"untrusted key", appkittest.NewSigner(t, "k1").Token(t, "alice", appID, soon), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := appkittest.Call(t, srv, "GET", "/api/me", tt.token, "")
			if status != tt.want {
				t.Fatalf("status %d, want %d (%v)", status, tt.want, body)
			}
			if tt.want == 200 && body["sub"] != "alice" {
				t.Errorf("handler saw claims %v, want sub alice", body)
			}
		})
	}
}

func TestFailAndDecode(t *testing.T) {
	trusted := appkittest.NewSigner(t, "k1")
	tok := trusted.Token(t, "alice", appID, time.Now().Add(time.Minute))
	secret := errors.New("no such table: plants_v2 at /var/secret/garden.db")
	tests := []struct {
		name, method, path, body string
		fail                     error
		want                     int
		wantError                string
	}{
		{"database error is a generic 500", "GET", "/api/fail", "", secret, 500, "internal"},
		{"no rows is a 404", "GET", "/api/fail", "", fmt.Errorf("lookup: %w", sql.ErrNoRows), 404, "not_found"},
		{"body decoded", "POST", "/api/echo", `{"Name":"fern"}`, nil, 200, ""},
		{"unknown field refused", "POST", "/api/echo", `{"Name":"fern","Admin":true}`, nil, 400, "invalid_request"},
		{"oversized body refused", "POST", "/api/echo", `{"Name":"` + strings.Repeat("x", 100) + `"}`, nil, 400, "invalid_request"},
		{"not JSON refused", "POST", "/api/echo", `Name=fern`, nil, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newApp(t, trusted, tt.fail)
			status, hdr, body := appkittest.Call(t, srv, tt.method, tt.path, tok, tt.body)
			if status != tt.want || body == nil || hdr.Get("Content-Type") != "application/json" || hdr.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d %v %v, want %d with a JSON body", status, hdr, body, tt.want)
			}
			if tt.wantError != "" && body["error"] != tt.wantError {
				t.Errorf("error %v, want %q", body["error"], tt.wantError)
			}
			if strings.Contains(fmt.Sprint(body), "secret") || strings.Contains(fmt.Sprint(body), "plants") {
				t.Errorf("the answer shows the database error: %v", body)
			}
		})
	}
}

func TestFirstVisitIsOncePerUser(t *testing.T) {
	a, _ := newApp(t, appkittest.NewSigner(t, "k1"), nil)
	steps := []struct {
		user string
		want bool
	}{{"alice", true}, {"alice", false}, {"bob", true}, {"alice", false}, {"bob", false}}
	for i, s := range steps {
		t.Run(fmt.Sprintf("%d %s", i, s.user), func(t *testing.T) {
			got, err := a.FirstVisit(s.user)
			if err != nil || got != s.want {
				t.Errorf("FirstVisit(%s) = %v, %v; want %v", s.user, got, err, s.want)
			}
		})
	}
}

package jwtverify

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	p := newIDP(t)
	v := p.verifier(t, nil)
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFromContext(r.Context())
		if !ok {
			t.Error("no claims in context")
			return
		}
		fmt.Fprintf(w, "cart of %s", c.Subject)
	}))
	valid := p.token(t, "ec-1", p.claims())
	expired := p.claims()
	expired["exp"] = p.clock.Now().Unix() - 60
	otherAud := p.claims()
	otherAud["aud"] = "forums"
	// carol authenticated but is not registered for the Store: FusionAuth's
	// token for her names the Store in aud and has no applicationId/roles.
	carol := p.claims()
	carol["sub"] = "carol"
	delete(carol, "applicationId")
	delete(carol, "roles")
	tests := []struct {
		name, auth, query string
		status            int
		body              string
	}{
		{"valid", "Bearer " + valid, "", 200, "cart of u-1"},
		{"scheme case-insensitive", "bearer " + valid, "", 200, "cart of u-1"},
		{"missing", "", "", 401, `{"error":"invalid_token","error_description":"missing bearer token"}`},
		{"token only in query", "", "?access_token=" + valid, 401, `{"error":"invalid_token","error_description":"missing bearer token"}`},
		{"basic scheme", "Basic dXNlcjpwdw==", "", 401, `{"error":"invalid_token","error_description":"missing bearer token"}`},
		{"expired", "Bearer " + p.token(t, "ec-1", expired), "", 401, `{"error":"invalid_token","error_description":"token expired"}`},
		{"other audience", "Bearer " + p.token(t, "ec-1", otherAud), "", 401, `{"error":"invalid_token","error_description":"token audience not accepted"}`},
		{"not registered (carol)", "Bearer " + p.token(t, "ec-1", carol), "", 401, `{"error":"invalid_token","error_description":"token user not registered for this application"}`},
		{"forged", "Bearer " + valid[:len(valid)-4] + "AAAA", "", 401, `{"error":"invalid_token","error_description":"token signature invalid"}`},
		{"1 MB", "Bearer " + strings.Repeat("A", 1<<20), "", 401, `{"error":"invalid_token","error_description":"token too large"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/load-shopping-cart"+tt.query, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body, _ := io.ReadAll(w.Result().Body)
			if w.Code != tt.status || strings.TrimSpace(string(body)) != tt.body {
				t.Fatalf("got %d %s, want %d %s", w.Code, body, tt.status, tt.body)
			}
			if tt.status == 401 {
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token"`) {
					t.Fatalf("WWW-Authenticate = %q", got)
				}
				if w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
					t.Fatalf("Content-Type = %q", w.Header().Get("Content-Type"))
				}
			}
		})
	}
	t.Run("JWKS outage is 503", func(t *testing.T) {
		q := newIDP(t)
		q.status = http.StatusBadGateway
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+q.token(t, "ec-1", q.claims()))
		q.verifier(t, nil).Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", w.Code)
		}
	})
}

package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The benchmarks go through s.Handler() (middleware, CORS, decoding, auth,
// SQLite) with httptest recorders, so the HTTP layer's overhead over the
// password hash (internal/password benchmarks) and one signature + one
// storage transaction (internal/auth benchmarks) is visible in one run.

func serve(b *testing.B, s *stack, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Srv.Handler().ServeHTTP(rec, req)
	return rec
}

func BenchmarkLoginHTTP(b *testing.B) {
	s := newBenchStack(b)
	hdl := s.Srv.Handler()
	body := `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkRefreshHTTP refreshes a OneTimeUse token with its cookie, each
// iteration presenting the successor the previous one returned.
func BenchmarkRefreshHTTP(b *testing.B) {
	s := newBenchStack(b)
	hdl := s.Srv.Handler()
	rt := s.login(storeApp, nil).json(b)["refreshToken"].(string)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/jwt/refresh", nil)
		req.Header.Set("Cookie", "refresh_token="+rt)
		req.Header.Set("Origin", storeSite)
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
		rt = cookieValue(result{header: rec.Header()}, "refresh_token")
	}
}

func BenchmarkValidateHTTP(b *testing.B) {
	s := newBenchStack(b)
	at := s.login(storeApp, nil).json(b)["token"].(string)
	req := httptest.NewRequest("GET", "/api/jwt/validate", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	if rec := serve(b, s, req); rec.Code != 200 {
		b.Fatalf("status %d", rec.Code)
	}
	hdl := s.Srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkRefreshOAuthHTTP is BenchmarkRefreshHTTP's refresh through the
// refresh_token grant at /oauth2/token, for comparing the two paths.
func BenchmarkRefreshOAuthHTTP(b *testing.B) {
	s := newBenchStack(b)
	hdl := s.Srv.Handler()
	rt := s.token(url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePass},
		"client_id": {storeApp}, "client_secret": {secret}, "scope": {"offline_access"}}).json(b)["refresh_token"].(string)
	b.ReportAllocs()
	for b.Loop() {
		body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {storeApp}, "client_secret": {secret}}.Encode()
		req := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		hdl.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
		var out struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.RefreshToken == "" {
			b.Fatalf("no refresh token in %s", rec.Body)
		}
		rt = out.RefreshToken
	}
}

package demotest_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
)

// TestWrapIdentity: the middleware sees every request to the identity
// server's public URL as the client sent it (method, path, Host), and the client
// gets the identity server's answer unchanged (status, body, Set-Cookie),
// so a browser test through it tests the real thing.
func TestWrapIdentity(t *testing.T) {
	type seen struct{ method, path, host string }
	var mu sync.Mutex
	var log []seen
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			log = append(log, seen{r.Method, r.URL.Path, r.Host})
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	st := demotest.Start(t, demo.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}, nil, demotest.WrapIdentity(mw))
	public, _ := url.Parse(st.IdentityURL)

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCookie bool
	}{
		{"good password: 200, token, refresh cookie", `{"loginId":"` + demo.DemoEmail + `","password":"` + demo.DemoPassword + `","applicationId":"` + demo.StoreAppID + `"}`, 200, true},
		{"bad password: 404, no cookie", `{"loginId":"` + demo.DemoEmail + `","password":"nope","applicationId":"` + demo.StoreAppID + `"}`, 404, false},
		{"bad JSON: 400, no cookie", `{`, 400, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			log = nil
			mu.Unlock()
			res, err := http.Post(st.IdentityURL+"/api/login", "application/json", bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct{ Token string }
			_ = json.NewDecoder(res.Body).Decode(&body)
			var cookie *http.Cookie
			for _, c := range res.Cookies() {
				if c.Name == "refresh_token" {
					cookie = c
				}
			}
			if res.StatusCode != tc.wantStatus || (body.Token != "") != tc.wantCookie || (cookie != nil) != tc.wantCookie {
				t.Errorf("status %d, token %v, cookie %v; want %d, %v", res.StatusCode, body.Token != "", cookie, tc.wantStatus, tc.wantCookie)
			}
			if cookie != nil && (!cookie.HttpOnly || cookie.Domain != "") {
				t.Errorf("the cookie changed on its way: %+v", cookie)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(log) != 1 || log[0].method != "POST" || log[0].path != "/api/login" || log[0].host != public.Host {
				t.Errorf("middleware saw %+v, want one POST /api/login to %s", log, public.Host)
			}
		})
	}
}

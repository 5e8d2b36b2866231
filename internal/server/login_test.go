package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginStatuses covers every /api/login status (fusionauth-api.md §1.3,
// issue #3) and pins the JSON bodies with golden files.
func TestLoginStatuses(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].LoginConfiguration.RequireAuthentication = true
	})
	body := func(login, pw, app string) string {
		return `{"loginId":"` + login + `","password":"` + pw + `","applicationId":"` + app + `"}`
	}
	tests := []struct {
		name, body string
		hdr        map[string]string
		want       int
		golden     string
	}{
		{"registered", body(aliceEmail, alicePass, storeApp), nil, 200, "login_200"},
		{"username, case-insensitive", body("ALICE", alicePass, storeApp), nil, 200, ""},
		{"not registered", body(aliceEmail, alicePass, forumsApp), map[string]string{"Authorization": apiKey}, 202, "login_202"},
		{"api key required", body(aliceEmail, alicePass, forumsApp), nil, 401, ""},
		{"wrong api key", body(aliceEmail, alicePass, forumsApp), map[string]string{"Authorization": "nope"}, 401, ""},
		{"no application, tenant requires a key", `{"loginId":"alice","password":"` + alicePass + `"}`, nil, 401, ""},
		{"no application, with key", `{"loginId":"alice","password":"` + alicePass + `"}`, map[string]string{"Authorization": apiKey}, 200, ""},
		{"wrong password", body(aliceEmail, "nope", storeApp), nil, 404, ""},
		{"unknown user", body("bob@example.test", "nope", storeApp), nil, 404, ""},
		{"blank fields", `{}`, nil, 400, "login_400_blank"},
		{"bad application id", body(aliceEmail, alicePass, "not-a-uuid"), nil, 400, "login_400_application"},
		{"not JSON", "loginId=alice", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, ""},
		{"trailing garbage", body(aliceEmail, alicePass, storeApp) + "x", nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: "/api/login", body: tt.body, hdr: tt.hdr})
			if res.status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.status, tt.want, res.body)
			}
			if tt.golden != "" {
				tokenGolden(t, tt.golden, res.body)
			}
			if got := res.header.Get("Cache-Control"); got != "no-store" {
				t.Fatalf("Cache-Control %q", got)
			}
			// Only a 200 issues tokens, so only a 200 sets cookies (202: none).
			if hasCookie := len(res.header.Values("Set-Cookie")) > 0; hasCookie != (tt.want == 200) {
				t.Fatalf("Set-Cookie %q on status %d", res.header.Values("Set-Cookie"), res.status)
			}
		})
	}
}

// TestLoginFailuresIndistinguishable is L2: unknown user and wrong password
// answer the same status, body and headers (request id aside).
func TestLoginFailuresIndistinguishable(t *testing.T) {
	s := newStack(t)
	a := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`})
	b := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"nobody@example.test","password":"wrong","applicationId":"` + storeApp + `"}`})
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("X-Request-Id")
		h.Del("Date")
		return h
	}
	if a.status != 404 || b.status != 404 || string(a.body) != string(b.body) || len(a.body) != 0 {
		t.Fatalf("statuses %d/%d bodies %q/%q", a.status, b.status, a.body, b.body)
	}
	ha, hb := strip(a.header), strip(b.header)
	for k := range ha {
		if !slices.Equal(ha[k], hb[k]) {
			t.Fatalf("header %s differs: %q vs %q", k, ha[k], hb[k])
		}
	}
	if len(ha) != len(hb) {
		t.Fatalf("header sets differ: %v vs %v", ha, hb)
	}
}

// TestLoginLockedAndExpired: 409 with FusionAuth's actions body once the
// tenant threshold is reached (the correct password does not help); 410 for
// an expired account.
func TestLoginLockedAndExpired(t *testing.T) {
	s := newStack(t)
	for range 3 {
		if res := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"alice","password":"bad","applicationId":"` + storeApp + `"}`}); res.status != 404 {
			t.Fatalf("failure answered %d", res.status)
		}
	}
	res := s.login(storeApp, nil)
	if res.status != 409 {
		t.Fatalf("locked login answered %d %s", res.status, res.body)
	}
	tokenGolden(t, "login_409", res.body)
	if res.header.Get("Set-Cookie") != "" {
		t.Fatal("locked login set a cookie")
	}
	s.Clock.Advance(6 * time.Minute)
	if res := s.login(storeApp, nil); res.status != 200 {
		t.Fatalf("after the lock: %d", res.status)
	}

	u, err := s.Store.GetUser(context.Background(), aliceID)
	must(t, err)
	u.Expiry = s.Clock.Now().Add(-time.Second).UnixMilli()
	must(t, s.Store.UpdateUser(context.Background(), u))
	if res := s.login(storeApp, nil); res.status != 410 || len(res.body) != 0 {
		t.Fatalf("expired user: %d %q", res.status, res.body)
	}
}

// TestLoginCookies: exact Set-Cookie lines, Secure only through a trusted
// proxy's X-Forwarded-Proto, noJWT writes nothing, a scoped application
// writes refresh_token_<id> and leaves the other cookie alone.
func TestLoginCookies(t *testing.T) {
	s := newStack(t)
	res := s.login(storeApp, map[string]string{"X-Forwarded-Proto": "https"}) // untrusted: ignored
	got := res.header.Values("Set-Cookie")
	if len(got) != 2 {
		t.Fatalf("Set-Cookie %q", got)
	}
	m := res.json(t)
	wantAT := "access_token=" + m["token"].(string) + "; Path=/; HttpOnly; SameSite=Lax"
	wantRT := "refresh_token=" + m["refreshToken"].(string) + "; Path=/; Expires=Sun, 01 Mar 2026 13:00:00 GMT; Max-Age=3600; HttpOnly; SameSite=Lax"
	if got[0] != wantAT || got[1] != wantRT {
		t.Fatalf("Set-Cookie\n got %q\nwant %q", got, []string{wantAT, wantRT})
	}
	if int64(m["tokenExpirationInstant"].(float64)) != s.Clock.Now().Add(5*time.Minute).UnixMilli() {
		t.Fatalf("tokenExpirationInstant %v", m["tokenExpirationInstant"])
	}

	res = s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"alice","password":"` + alicePass + `","applicationId":"` + storeApp + `","noJWT":true}`})
	if res.status != 200 || len(res.header.Values("Set-Cookie")) != 0 || res.json(t)["token"] != nil {
		t.Fatalf("noJWT: %d %q %s", res.status, res.header.Values("Set-Cookie"), res.body)
	}

	must(t, s.Store.CreateRegistration(context.Background(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c2",
		ApplicationID: forumsApp, UserID: aliceID, Roles: []string{"user"}}))
	res = s.login(forumsApp, nil)
	names := []string{}
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"access_token", "refresh_token_" + forumsApp}) {
		t.Fatalf("scoped login cookies %v", names)
	}
	if !strings.Contains(res.header.Values("Set-Cookie")[1], "Max-Age=3600") {
		t.Fatalf("scoped refresh cookie %q", res.header.Values("Set-Cookie")[1])
	}
}

// TestLoginIPAddress: the body's ipAddress wins; otherwise the socket peer,
// never a client-supplied X-Forwarded-For from an untrusted peer.
func TestLoginIPAddress(t *testing.T) {
	s := newStack(t)
	for _, tc := range []struct{ name, body, xff, want string }{
		{"body wins", `,"ipAddress":"198.51.100.7"`, "203.0.113.9", "198.51.100.7"},
		{"spoofed XFF ignored", ``, "203.0.113.9", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: "/api/login", hdr: map[string]string{"X-Forwarded-For": tc.xff},
				body: `{"loginId":"alice","password":"` + alicePass + `","applicationId":"` + storeApp + `"` + tc.body + `}`})
			if res.status != 200 {
				t.Fatalf("status %d", res.status)
			}
			rt, err := s.Store.GetRefreshToken(context.Background(), res.json(t)["refreshTokenId"].(string))
			must(t, err)
			if rt.Device.LastAccessedAddress != tc.want {
				t.Fatalf("recorded address %q, want %q", rt.Device.LastAccessedAddress, tc.want)
			}
		})
	}
}

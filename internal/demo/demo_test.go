package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
)

func login(t *testing.T, idp, origin, appID string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"loginId": demo.DemoEmail, "password": demo.DemoPassword, "applicationId": appID})
	req, _ := http.NewRequest("POST", idp+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lr struct{ Token string }
	_ = json.NewDecoder(res.Body).Decode(&lr)
	return res.StatusCode, lr.Token
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestRunSeedsAndServes is `latchkey demo` end to end without a browser: the
// Kickstart seeded both applications and the user, each backend accepts its
// own application's token and refuses the other's, and a second run on the
// same data folder starts again (Kickstart already applied) and stops cleanly.
func TestRunSeedsAndServes(t *testing.T) {
	dir := t.TempDir()
	for run := 1; run <= 2; run++ {
		st := demotest.Start(t, demo.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)}, nil)
		idp, storeURL, forumsURL, out := st.IdentityURL, st.StoreURL, st.ForumsURL, st.Out
		for _, want := range []string{idp, storeURL, forumsURL, st.InboxURL, demo.DemoEmail, demo.DemoPassword, dir,
			idp + "/admin/", demo.AdminEmail, demo.AdminPassword} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %d: output does not mention %q:\n%s", run, want, out)
			}
		}
		status, storeTok := login(t, idp, storeURL, demo.StoreAppID)
		if status != 200 || storeTok == "" {
			t.Fatalf("run %d: Store login: status %d", run, status)
		}
		_, forumsTok := login(t, idp, forumsURL, demo.ForumsAppID)
		tests := []struct {
			name, url, token string
			want             int
		}{
			{"Store token at the Store", storeURL + "/api/load-shopping-cart", storeTok, 200},
			{"Forums token at the Forums", forumsURL + "/api/posts", forumsTok, 200},
			{"Forums token at the Store", storeURL + "/api/load-shopping-cart", forumsTok, 401},
			{"Store token at the Forums", forumsURL + "/api/posts", storeTok, 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := get(t, tt.url, tt.token); got != tt.want {
					t.Errorf("run %d: status %d, want %d", run, got, tt.want)
				}
			})
		}
		res, err := http.Get(idp + "/sdk/latchkey.js")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("SDK not served: %v", err)
		}
		res.Body.Close()
		if err := st.Stop(); err != nil {
			t.Fatalf("run %d: stop: %v", run, err)
		}
	}
}

// TestRunClosesListenersWhenItFails: Options promises Run closes the
// listeners it is given. It must also do so when it fails before serving,
// or a caller waiting on one (demotest, e2e) would wait for ever.
func TestRunClosesListenersWhenItFails(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts demo.Options
	}{
		{"data folder cannot be made", demo.Options{DataDir: filepath.Join(file, "sub")}},
		{"forums address in use", demo.Options{DataDir: t.TempDir(), ForumsAddr: busy.Addr().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var given []net.Listener
			for _, p := range []*net.Listener{&tt.opts.IdentityListener, &tt.opts.StoreListener} {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				*p, given = ln, append(given, ln)
			}
			tt.opts.Out, tt.opts.Logger = io.Discard, slog.New(slog.DiscardHandler)
			if err := demo.Run(context.Background(), tt.opts); err == nil {
				t.Fatal("Run succeeded")
			}
			for _, ln := range given {
				// A deadline already past: an open listener answers at once
				// with a timeout instead of blocking the test.
				_ = ln.(*net.TCPListener).SetDeadline(time.Now())
				if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
					t.Errorf("listener %s still open after Run failed (Accept: %v)", ln.Addr(), err)
				}
			}
		})
	}
}

// TestDemoHostPrefixedCookies: `latchkey demo --cookie-prefix __Host-` runs
// the identity server with __Host- cookie names (Secure, Path=/, no
// Domain), and a refresh with what the browser would send back (the
// prefixed cookie, the SDK's body) works. The SDK needs no setting: it never
// names a cookie, the browser sends them.
func TestDemoHostPrefixedCookies(t *testing.T) {
	st := demotest.Start(t, demo.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), CookiePrefix: "__Host-"}, nil)
	body, _ := json.Marshal(map[string]string{"loginId": demo.DemoEmail, "password": demo.DemoPassword, "applicationId": demo.StoreAppID})
	req, _ := http.NewRequest("POST", st.IdentityURL+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", st.StoreURL)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var rt string
	for _, c := range res.Cookies() {
		if c.Name == "__Host-refresh_token" && c.Secure && c.Path == "/" && c.Domain == "" {
			rt = c.Value
		}
	}
	if res.StatusCode != 200 || rt == "" {
		t.Fatalf("login: %d, Set-Cookie %q", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	req, _ = http.NewRequest("POST", st.IdentityURL+"/api/jwt/refresh", strings.NewReader(`{"token":"stale.jwt.here"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", st.StoreURL)
	req.Header.Set("Cookie", "__Host-refresh_token="+rt)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("refresh with the __Host- cookie: %d", res.StatusCode)
	}
}

// TestDemoMail is the demo's mail path without a browser: "Forgot
// password?" from the Store (no API key) puts a mail in the catcher's
// inbox, over SMTP, whose link opens the Store's own page; a sign-up from
// the Forums gets a confirmation link to the Forums.
func TestDemoMail(t *testing.T) {
	st := demotest.Start(t, demo.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}, nil)
	post := func(path, body, origin string) int {
		req, _ := http.NewRequest("POST", st.IdentityURL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post("/api/user/forgot-password", `{"loginId":"`+demo.DemoEmail+`","applicationId":"`+demo.StoreAppID+`"}`, st.StoreURL); got != 200 {
		t.Fatalf("forgot password: %d", got)
	}
	if got := post("/api/user/registration", `{"user":{"email":"newcomer@example.com","password":"a newcomer's passphrase"},"registration":{"applicationId":"`+demo.ForumsAppID+`"}}`, st.ForumsURL); got != 200 {
		t.Fatalf("sign-up: %d", got)
	}
	links := map[string]string{}
	deadline := time.Now().Add(15 * time.Second)
	for len(links) < 2 && time.Now().Before(deadline) {
		res, err := http.Get(st.InboxURL + "/api/messages")
		if err != nil {
			t.Fatal(err)
		}
		var inbox struct {
			Messages []struct {
				EnvelopeTo []string
				Links      []string
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&inbox)
		res.Body.Close()
		for _, m := range inbox.Messages {
			if len(m.Links) > 0 && len(m.EnvelopeTo) == 1 {
				links[m.EnvelopeTo[0]] = m.Links[0]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	reset, confirm := links[demo.DemoEmail], links["newcomer@example.com"]
	if !strings.HasPrefix(reset, st.StoreURL+"/password/change/") || !strings.HasPrefix(confirm, st.ForumsURL+"/email/verify/") {
		t.Fatalf("links in the inbox: %v", links)
	}
	for _, link := range []string{reset, confirm} {
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(page), `id="reset-form"`) || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("%s: %d, referrer policy %q", link, res.StatusCode, res.Header.Get("Referrer-Policy"))
		}
	}
}

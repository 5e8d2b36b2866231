package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// apiClient calls the identity server from the test, resolving
// *.example.test like the browser.
var apiClient = &newAttacker().Client

// bulkUsers is how many users the console's search has to find one among
// (issue 12: "finds a user among 10,000 by a partial email").
const bulkUsers = 10000

// TestAdminConsoleInChromium walks the admin console of `latchkey demo` in
// Chromium: the admin signs in with the printed login, finds the demo user
// among 10,000 by part of their email, locks them (their Store session in
// another browser profile ends, their next login is answered 409), unlocks
// them (they log in again), rotates the signing key (the JWKS publishes
// both), and edits the Store's refresh policy (the next login gets the new
// lifetime and a reusable refresh token) and its CORS origins (the next
// preflight allows the new one), then walks the newer forms (walkNewForms:
// an API key, the SMTP headers, a localized template preview, a webhook).
// A non-admin who signs in gets the 403 page. Screenshots go to docs/admin/ when LATCHKEY_SCREENSHOTS names it.
func TestAdminConsoleInChromium(t *testing.T) {
	dir := t.TempDir()
	st := demotest.Start(t, demo.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler),
		JWTTTL: jwtTTL, RefreshTTL: time.Minute, GracePeriod: grace},
		func(role string, port int) string { return fmt.Sprintf("http://%s.example.test:%d", role, port) })
	s := stack{idp: st.IdentityURL, store: st.StoreURL, forums: st.ForumsURL, inbox: st.InboxURL}
	seedUsers(t, filepath.Join(dir, "latchkey.db"), bulkUsers)
	browser := newBrowser(t, s)
	shots := t.TempDir()
	admin := s.idp + "/admin"

	// The demo user is signed in to the Store in a profile of their own.
	victim := openTab(t, browser, "victim", true)
	run(t, victim, "the demo user logs in to the Store", chromedp.Navigate(s.store), login(),
		chromedp.WaitVisible(chromedp.ID("cart-status")))

	// Signed in with the keyboard only: typed, and Enter submits the form.
	run(t, browser, "the admin signs in",
		chromedp.Navigate(admin+"/"),
		chromedp.WaitVisible(chromedp.ID("loginId")),
		chromedp.SendKeys(chromedp.ID("loginId"), demo.AdminEmail),
		chromedp.SendKeys(chromedp.ID("password"), demo.AdminPassword+"\r"),
		pageShows(`document.title.startsWith("Dashboard")`, 10*time.Second))
	screenshot(browser, t, shots, "admin-dashboard.png")
	phoneWidth(t, browser, admin+"/", "chart-lockout", "admin-dashboard-phone.png", shots)

	partial := strings.SplitN(demo.DemoEmail, "@", 2)[0][1:] + "@exa" // "ichard@exa"
	run(t, browser, "find the demo user by part of their email",
		chromedp.Navigate(admin+"/users"),
		chromedp.SetValue(chromedp.ID("q"), partial),
		chromedp.Submit(chromedp.ID("q")),
		pageShows(`document.querySelector("#result-count") && document.querySelector("#result-count").textContent.startsWith("1 user")`, 10*time.Second))
	screenshot(browser, t, shots, "admin-users-search.png")
	phoneWidth(t, browser, admin+"/users?q="+partial, "q", "admin-phone.png", shots)
	run(t, browser, "open the user", chromedp.Click(chromedp.CSS(`table a[href^="/admin/users/"]`)),
		chromedp.WaitVisible(chromedp.ID("lock-h")))

	run(t, browser, "lock the user",
		chromedp.Click(chromedp.CSS(`input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/lock"] button`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.includes("locked")`, 10*time.Second))
	screenshot(browser, t, shots, "admin-user-locked.png")
	if got := text(t, browser, "status"); !strings.Contains(got, "locked") {
		t.Fatalf("the user page shows status %q after the lock", got)
	}
	run(t, browser, "the user page lists no live session", chromedp.WaitVisible(chromedp.ID("no-sessions")))
	if code := apiLogin(t, s.idp); code != 409 {
		t.Fatalf("the locked user's login = %d, want 409", code)
	}
	// The Store's session cannot refresh any more: once its JWT expires, the
	// SPA shows its login form again.
	run(t, victim, "the Store session ends", waitState("login", jwtTTL+15*time.Second))

	run(t, browser, "unlock the user",
		chromedp.Click(chromedp.CSS(`form[action$="/unlock"] button`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.includes("unlocked")`, 10*time.Second))
	if code := apiLogin(t, s.idp); code != 200 {
		t.Fatalf("the unlocked user's login = %d, want 200", code)
	}

	before := len(jwks(t, s.idp))
	run(t, browser, "rotate the signing key",
		chromedp.Navigate(admin+"/keys"),
		chromedp.SetValue(chromedp.ID("algorithm"), "ES256"),
		chromedp.Click(chromedp.CSS(`input[name=confirm]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/rotate"] button`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.startsWith("Rotated")`, 10*time.Second))
	screenshot(browser, t, shots, "admin-keys.png")
	keys := jwks(t, s.idp)
	if len(keys) != before+1 {
		t.Fatalf("the JWKS has %d keys after the rotation, want %d", len(keys), before+1)
	}
	page := value(t, browser, "keys table", chromedp.Text(chromedp.ID("keys")))
	for _, k := range keys {
		if !strings.Contains(page, k) {
			t.Fatalf("published key %s is not on the keys page", k)
		}
	}

	run(t, browser, "edit the Store's refresh policy",
		chromedp.Navigate(admin+"/applications/"+demo.StoreAppID),
		chromedp.WaitVisible(chromedp.ID("ttl")),
		chromedp.SetValue(chromedp.ID("ttl"), "77"),
		chromedp.SetValue(chromedp.ID("usagePolicy"), "Reusable"),
		// An OAuth setting on the same form: another origin may call with
		// credentials (CORS) from the next request on.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.getElementById("origins").value += "\n`+newOrigin+`"`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS(`form[action^="/admin/applications/"] button`)),
		pageShows(`document.querySelector(".notice") && document.querySelector(".notice").textContent.startsWith("Saved")`, 10*time.Second))
	screenshot(browser, t, shots, "admin-application.png")
	checkNextLogin(t, s.idp)
	if got := preflight(t, s.idp, newOrigin); got != newOrigin {
		t.Fatalf("CORS preflight from %s after the edit: Access-Control-Allow-Origin %q", newOrigin, got)
	}
	phoneWidth(t, browser, admin+"/applications/"+demo.StoreAppID, "ttl", "admin-application-phone.png", shots)

	walkNewForms(t, browser, s, admin, shots)

	run(t, browser, "the audit log shows the admin's changes",
		chromedp.Navigate(admin+"/audit?user="+demo.AdminEmail),
		chromedp.WaitVisible(chromedp.ID("audit")))
	audit := value(t, browser, "audit table", chromedp.Text(chromedp.ID("audit")))
	for _, want := range []string{"Rotated the ES256 signing key", "Updated the application", "Took the action"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log page lacks %q", want)
		}
	}
	screenshot(browser, t, shots, "admin-audit.png")

	outsider := openTab(t, browser, "outsider", true)
	run(t, outsider, "a non-admin signs in",
		chromedp.Navigate(admin+"/login"),
		chromedp.SetValue(chromedp.ID("loginId"), demo.DemoEmail),
		chromedp.SetValue(chromedp.ID("password"), demo.DemoPassword),
		chromedp.Click(chromedp.CSS(`form.login button`)),
		pageShows(`document.title.startsWith("Not allowed")`, 10*time.Second))
	screenshot(outsider, t, shots, "admin-forbidden.png")
	t.Logf("screenshots in %s", shots)
}

// newOrigin is the origin the console adds to the Store's CORS origins.
const newOrigin = "https://shop2.example.test"

// preflight is the Access-Control-Allow-Origin of a CORS preflight of
// POST /api/jwt/refresh from origin.
func preflight(t *testing.T, idp, origin string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, idp+"/api/jwt/refresh", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Header.Get("Access-Control-Allow-Origin")
}

// pageShows waits until expr is true on the page that a form submission
// loads: evaluating on the page being left fails ("navigated or
// closed"), which is retried, not an error.
func pageShows(expr string, timeout time.Duration) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		deadline := time.Now().Add(timeout)
		var last error
		for time.Now().Before(deadline) {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err == nil && ok {
				return nil
			}
			last = err
			time.Sleep(100 * time.Millisecond)
		}
		body, _ := chromedp.Evaluate[string](`document.location.href + "\n" + document.body.innerText`)(ctx, tg)
		return fmt.Errorf("page never showed %s (last error: %v); the page:\n%s", expr, last, body)
	})
}

// phoneWidth loads page at a phone's width (390 CSS pixels) until the
// element with id ready shows: nothing may stick out sideways (wide tables
// scroll inside their own box, the dashboard's charts stack and scale).
// The screenshot is saved as name; the desktop size is restored afterwards.
func phoneWidth(t *testing.T, ctx context.Context, page, ready, name, shots string) {
	t.Helper()
	run(t, ctx, "phone width", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true})
		return err
	}), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID(ready)))
	overflow := value(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if overflow > 0 {
		t.Errorf("at 390 px the page is %d px too wide", overflow)
	}
	screenshot(ctx, t, shots, name)
	run(t, ctx, "desktop width", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
}

// seedUsers adds n users to the demo's database, written directly (the
// search index is the database's, kept by the store's own writes).
func seedUsers(t *testing.T, db string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstorage.Open(ctx, db, sqlstorage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UnixMilli()
	for i := range n {
		u := storage.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), TenantID: manage.DefaultTenantID,
			Active: true, Email: fmt.Sprintf("user%05d@bulk.example.test", i), FirstName: "Bulk", InsertInstant: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatalf("seed user %d: %v", i, err)
		}
	}
}

// apiLogin logs the demo user in to the Store through /api/login and
// returns the status.
func apiLogin(t *testing.T, idp string) int {
	t.Helper()
	code, _ := loginBody(t, idp)
	return code
}

func loginBody(t *testing.T, idp string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"loginId": demo.DemoEmail, "password": demo.DemoPassword, "applicationId": demo.StoreAppID})
	res, err := apiClient.Post(idp+"/api/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

// checkNextLogin: the login after the edit gets a 77 s access token and a
// refresh token that a refresh hands back unchanged (Reusable).
func checkNextLogin(t *testing.T, idp string) {
	t.Helper()
	code, body := loginBody(t, idp)
	if code != 200 {
		t.Fatalf("login after the edit = %d", code)
	}
	token, _ := body["token"].(string)
	if ttl := jwtExp(t, token) - jwtIat(t, token); ttl != 77 {
		t.Fatalf("the access token lives %d s, want the 77 s set in the console", ttl)
	}
	rt, _ := body["refreshToken"].(string)
	res, err := apiClient.Post(idp+"/api/jwt/refresh", "application/json", strings.NewReader(`{"refreshToken":"`+rt+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 200 || out["refreshToken"] != rt {
		t.Fatalf("refresh = %d with refresh token %v, want 200 and the same token (Reusable)", res.StatusCode, out["refreshToken"])
	}
}

// jwks returns the kids the identity server publishes.
func jwks(t *testing.T, idp string) []string {
	t.Helper()
	res, err := apiClient.Get(idp + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	kids := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		kids[i] = k.Kid
	}
	return kids
}

// jwtIat is a JWT's iat claim (unverified: the test only compares it).
func jwtIat(t *testing.T, jwt string) int64 {
	t.Helper()
	var claims struct{ Iat int64 }
	if parts := strings.Split(jwt, "."); len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			_ = json.Unmarshal(raw, &claims)
		}
	}
	if claims.Iat == 0 {
		t.Fatalf("no iat in JWT %q", jwt)
	}
	return claims.Iat
}

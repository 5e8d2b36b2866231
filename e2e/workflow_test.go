package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
)

// TestWorkflow walks shared/spec/workflow.md steps 1-17 in Chromium, plus
// issue #4's one refresh at a time across tabs. Each step asserts what a
// person sees (the page's state, cart, posts, session log), what the browser
// holds (localStorage, cookies via DevTools) and, where it counts, what the
// identity server was asked and answered (the recorder).
func TestWorkflow(t *testing.T) {
	rec := newRecorder()
	s := startStack(t, rec)
	browser := newBrowser(t, s)
	shots := t.TempDir()
	evil := newAttacker()
	cart := s.store + "/api/load-shopping-cart"
	w := &walk{s: s, rec: rec, browser: browser, evil: evil, shots: shots}

	// Step 11 needs the refresh token's 1-minute life to run out, so a
	// second, isolated browser profile logs in to the Store now and is
	// checked at the end, while the other steps run in other profiles.
	other := openTab(t, browser, "step11", true)
	run(t, other, "step 11 setup: log in in a second profile", chromedp.Navigate(s.store), login(),
		chromedp.WaitVisible(chromedp.ID("cart-status")))
	step11Deadline := time.Now().Add(time.Minute + 30*time.Second)

	// The main profile logged in to the Store (steps 1-8), which steps 9-10
	// and 12-15 continue from; when one of those runs alone it logs in first.
	storeLogin := &fixture{name: "steps 1-8: the main profile is logged in to the Store", make: func(t *testing.T) {
		run(t, browser, "open the Store", chromedp.Navigate(s.store), waitState("login", 10*time.Second))
		if jwt := storedJWT(browser, t, demo.StoreAppID); jwt != "" {
			t.Fatalf("step 2: a JWT was already in localStorage")
		}
		run(t, browser, "log in", login(), chromedp.WaitVisible(chromedp.ID("cart-status")))
		cartText, who := text(t, browser, "cart"), text(t, browser, "who")
		docCookie := value(t, browser, "document.cookie", chromedp.Evaluate[string](`document.cookie`))
		if who != demo.DemoEmail || !strings.Contains(cartText, "Latchkey mug") {
			t.Errorf("page shows user %q and cart %q", who, cartText)
		}
		if !strings.HasPrefix(storedJWT(browser, t, demo.StoreAppID), "eyJ") {
			t.Error("step 6: no JWT in localStorage")
		}
		if strings.Contains(docCookie, "refresh_token") {
			t.Errorf("step 5: the refresh token is visible to page scripts: %q", docCookie)
		}
		rt := cookies(browser, t, s.idp)["refresh_token"]
		if rt == nil || !rt.HTTPOnly || rt.Domain != "login.example.test" {
			t.Fatalf("step 5: refresh cookie on the identity host: %+v", rt)
		}
		for _, u := range []string{s.store, s.forums} {
			if c := cookies(browser, t, u)["refresh_token"]; c != nil {
				t.Errorf("step 5: refresh cookie also sent to %s", u)
			}
		}
		screenshot(browser, t, shots, "store-logged-in.png")
	}}

	t.Run("steps 1-8: Store login, JWT in localStorage, HttpOnly cookie on the identity host, cart loads", storeLogin.ensure)

	t.Run("steps 9-10: the JWT expires, the SPA refreshes and the cart still loads", func(t *testing.T) {
		storeLogin.ensure(t)
		before := storedJWT(browser, t, demo.StoreAppID)
		// The SPA logs a refresh, then loads the cart again with the new JWT
		// and replaces it on the page. The cart shown once two refreshes are
		// logged may be the one from before; mark it, and read the next one,
		// in one script each, since the page replaces the node at any time.
		run(t, browser, "wait for two refreshes",
			poll(`document.querySelectorAll('#log li[data-kind="refresh"]').length >= 2`, 3*jwtTTL),
			waitState("app", time.Second),
			script(`(document.getElementById('cart-status') ?? {dataset: {}}).dataset.stale = 'yes'`),
			poll(`document.getElementById('cart-status')?.dataset.stale === undefined`, 2*jwtTTL))
		status := value(t, browser, "cart status", chromedp.Evaluate[string](`document.getElementById('cart-status')?.textContent ?? ''`))
		if after := storedJWT(browser, t, demo.StoreAppID); after == before || after == "" {
			t.Error("step 10: localStorage still holds the old JWT")
		}
		if !strings.Contains(status, "2 item(s)") {
			t.Errorf("step 10: cart after refresh: %q", status)
		}
		screenshot(browser, t, shots, "refresh-log.png")
	})

	t.Run("steps 12-15: Forums has no SSO, its login clobbers the Store's cookie, posts load", func(t *testing.T) {
		storeLogin.ensure(t)
		storeCookie := refreshCookie(browser, t, s.idp, "the Store's session before the Forums login").Value
		run(t, browser, "open the Forums", chromedp.Navigate(s.forums), waitState("login", 10*time.Second))
		run(t, browser, "log in to the Forums", login(), chromedp.WaitVisible(chromedp.ID("posts-status")))
		posts := text(t, browser, "posts")
		if !strings.Contains(posts, "Hello Forums") {
			t.Errorf("step 15: posts %q", posts)
		}
		if c := cookies(browser, t, s.idp)["refresh_token"]; c == nil || c.Value == storeCookie {
			t.Error("step 14: the Forums login did not replace the Store's refresh cookie")
		}
		forumsJWT := storedJWT(browser, t, demo.ForumsAppID)
		if got := evil.get(t, cart, forumsJWT); got != http.StatusUnauthorized {
			t.Errorf("step 15: the Store accepted a Forums token: %d", got)
		}
		// Back at the Store, its JWT has expired and the cookie is the
		// Forums' now: the Store must log in again.
		run(t, browser, "Store after clobbering", chromedp.Navigate(s.store), waitState("login", 3*jwtTTL))
		if ends := logEntries(browser, t, "session-end"); len(ends) == 0 {
			t.Error("step 14: the Store showed the login form without a session-end entry")
		}
		screenshot(browser, t, shots, "store-after-forums-login.png")
	})

	t.Run("step 16: a stolen refresh cookie, then reuse revokes the family", func(t *testing.T) {
		for _, tc := range []theftCase{
			// Issue #4's order: the victim's refresh rotates the cookie, the
			// attacker's replay of the rotated-out value is the reuse.
			{name: "victim refreshes first, the attacker's replay is reuse", tag: "theft-victim-first"},
			{name: "attacker refreshes first, the victim's next refresh is reuse", tag: "theft-attacker-first", attackerFirst: true},
		} {
			t.Run(tc.name, func(t *testing.T) { stolenRefreshToken(t, w, tc) })
		}
	})

	t.Run("one refresh at a time across tabs: two Store tabs, one refresh, one new JWT", func(t *testing.T) {
		for _, tc := range []tabsCase{
			{name: "both tabs running when the JWT expires", tag: "tabs-running"},
			{name: "a tab wakes while the other's refresh is in flight", tag: "tabs-held", holdFirst: true},
		} {
			t.Run(tc.name, func(t *testing.T) { oneRefreshAcrossTabs(t, w, tc) })
		}
	})

	t.Run("step 17: a stolen JWT works until it expires, not after", func(t *testing.T) {
		// A profile of its own: the step needs nothing from the others.
		victim := openTab(t, browser, "step17", true)
		run(t, victim, "victim logs in to the Store", chromedp.Navigate(s.store), login(), chromedp.WaitVisible(chromedp.ID("cart-status")))
		jwt := storedJWT(victim, t, demo.StoreAppID)
		if jwt == "" {
			t.Fatal("no JWT in localStorage after the login")
		}
		if got := evil.get(t, cart, jwt); got != http.StatusOK {
			t.Fatalf("stolen JWT before expiry: %d", got)
		}
		deadline := time.Now().Add(jwtTTL + 10*time.Second) // exp + jwtverify's 5 s leeway + slack
		for evil.get(t, cart, jwt) == http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("stolen JWT still accepted long after it expired")
			}
			time.Sleep(250 * time.Millisecond)
		}
	})

	t.Run("step 11: the refresh token expires, refresh answers 404, the login form returns", func(t *testing.T) {
		// Watch the cookie until the browser drops it at its Max-Age (the
		// same instant the server's record expires); its last value is what
		// the SPA's final refresh could present.
		last := ""
		for {
			c := cookies(other, t, s.idp)["refresh_token"]
			if c == nil {
				break
			}
			last = c.Value
			if time.Now().After(step11Deadline) {
				t.Fatal("the refresh cookie outlived its lifetime")
			}
			time.Sleep(200 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(other, time.Until(step11Deadline)+time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, waitState("login", time.Until(step11Deadline))); err != nil {
			log := value(t, other, "session log", chromedp.Evaluate[string](`document.getElementById('log').innerText`))
			t.Fatalf("the login form did not return after the refresh token expired: %v\nsession log:\n%s", err, log)
		}
		// What a person sees: the session ended because the SPA's refresh
		// got 404 (the browser had dropped the cookie, or sent it at the very
		// end of its life: either way 404, workflow step 11), and the login
		// form is back.
		if ends := logEntries(other, t, "session-end"); len(ends) != 1 || !strings.Contains(ends[0], "refresh answered 404") {
			t.Errorf("session log: %q, want one session end: refresh answered 404", ends)
		}
		// What the identity server answered to that last refresh.
		mine := rec.find(func(e exchange) bool { return e.refresh() && e.Tag == "step11" && e.Status != 0 })
		if len(mine) == 0 || mine[len(mine)-1].Status != http.StatusNotFound {
			t.Errorf("the SPA's last refresh was not answered 404:\n%s", rec)
		}
		if status, _, _ := evil.refresh(t, s.idp, last); status != http.StatusNotFound {
			t.Errorf("the expired refresh token: status %d, want 404", status)
		}
		if jwt := storedJWT(other, t, demo.StoreAppID); jwt != "" {
			t.Error("the expired session's JWT is still in localStorage")
		}
		screenshot(other, t, shots, "refresh-expired.png")
	})
	t.Logf("screenshots in %s", shots)
}

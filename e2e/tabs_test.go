package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tabsCase is one way two tabs of the Store meet an expired JWT.
type tabsCase struct {
	name string
	tag  string
	// holdFirst holds the first refresh back until the JWT has expired, so
	// the other tab is certainly waiting for it (its timer fired meanwhile)
	// rather than merely finding the new JWT afterwards.
	holdFirst bool
}

// tabView is what a person sees in one tab.
type tabView struct{ State, ExpiresAt string }

func view(t *testing.T, ctx context.Context) tabView {
	t.Helper()
	return value(t, ctx, "read the page", chromedp.Evaluate[tabView](
		`({State: document.body.dataset.state, ExpiresAt: document.getElementById('expires-at').textContent})`))
}

// oneRefreshAcrossTabs opens the Store twice in one fresh profile and lets
// the JWT expire: the SDK's cross-tab lock must let exactly one tab refresh
// (the cookie is shared, and a second refresh with it would be a race the
// grace period papers over) while both tabs end up showing the new JWT.
func oneRefreshAcrossTabs(t *testing.T, w *walk, tc tabsCase) {
	mine := func(e exchange) bool { return strings.HasPrefix(e.Tag, tc.tag+"/") }
	release := func() {}
	if tc.holdFirst {
		release = w.rec.hold(t, func(e exchange) bool { return e.refresh() && mine(e) })
	}
	tabs := []context.Context{openTab(t, w.browser, tc.tag+"/1", true)}
	run(t, tabs[0], "log in in the first tab", chromedp.Navigate(w.s.store), login(),
		chromedp.WaitVisible(chromedp.ID("cart-status")))
	logins := w.rec.find(func(e exchange) bool { return e.login() && mine(e) })
	if len(logins) != 1 || logins[0].Status != http.StatusOK {
		t.Fatalf("want one login from the profile:\n%s", w.rec)
	}
	login := logins[0]
	exp0 := jwtExp(t, login.Token)
	// The held refresh is let go once the JWT has expired: both tabs' timers
	// have fired by then. This runs beside the second tab's opening, which on
	// a slow machine may itself meet the refresh in flight (the SDK then waits
	// for it), so that opening can never wait for a release that comes after
	// it.
	var released chan error
	if tc.holdFirst {
		released = make(chan error, 1)
		go func() {
			defer release()
			for deadline := time.Now().Add(3 * jwtTTL); len(w.rec.find(func(e exchange) bool { return e.refresh() && mine(e) })) == 0; {
				if time.Now().After(deadline) {
					released <- fmt.Errorf("no refresh from the profile in %s", 3*jwtTTL)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(time.Until(time.Unix(exp0, 0)))
			released <- nil
		}()
	}
	tabs = append(tabs, openTab(t, tabs[0], tc.tag+"/2", false))
	run(t, tabs[1], "the second tab finds the session", chromedp.Navigate(w.s.store),
		waitState("app", 10*time.Second+jwtTTL), chromedp.WaitVisible(chromedp.ID("cart-status")))
	if released != nil {
		if err := <-released; err != nil {
			t.Fatalf("holding the first refresh: %v\n%s", err, w.rec)
		}
	}

	// The identity server's view: still one login (the second tab reused
	// its JWT, or waited for the refresh), whose cookie (shared by the tabs)
	// the next refresh presents.
	if logins := w.rec.find(func(e exchange) bool { return e.login() && mine(e) }); len(logins) != 1 {
		t.Fatalf("want one login from the profile (the second tab reuses its session):\n%s", w.rec)
	}
	first := w.rec.await(t, "the refresh of the login's cookie", 1, 3*jwtTTL, func(e exchange) bool {
		return e.refresh() && mine(e) && e.Presented == login.Set && e.Status != 0
	})[0]
	if first.Status != http.StatusOK {
		t.Fatalf("refresh: status %d\n%s", first.Status, w.rec)
	}
	exp1 := jwtExp(t, first.Token)
	if exp1 <= exp0 {
		t.Fatalf("refreshed JWT expires at %d, not after the first (%d)", exp1, exp0)
	}
	// Both tabs show one and the same expiry, a new one (a later refresh
	// may have followed on a slow machine; the tabs must agree on it too).
	old := clockText(t, tabs[0], exp0)
	var views [2]tabView
	deadline := time.Now().Add(3 * jwtTTL)
	for {
		views = [2]tabView{view(t, tabs[0]), view(t, tabs[1])}
		if views[0] == views[1] && views[0].State == "app" && views[0].ExpiresAt != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tabs do not agree on a new JWT: %+v (login's JWT expired at %s)", views, old)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Exactly one refresh for both tabs: the identity server saw the
	// login's cookie once, and over the whole case no cookie twice.
	seen := map[string]int{}
	for _, e := range w.rec.find(func(e exchange) bool { return e.refresh() && mine(e) }) {
		seen[e.Presented]++
	}
	for cookie, n := range seen {
		if n != 1 {
			t.Errorf("refresh cookie %s presented %d times by the two tabs, want once each:\n%s", short(cookie), n, w.rec)
		}
	}
	// The tab that sent it logged the refresh; the other took the new JWT
	// from localStorage without logging one.
	entry := fmt.Sprintf("new one expires at %s", clockText(t, tabs[0], exp1))
	for i, tab := range tabs {
		n := 0
		for _, l := range logEntries(tab, t, "refresh") {
			if strings.Contains(l, entry) {
				n++
			}
		}
		want := 0
		if first.Tag == fmt.Sprintf("%s/%d", tc.tag, i+1) {
			want = 1
		}
		if n != want {
			t.Errorf("tab %d logged %d refresh(es) %q, want %d (tab %s sent it):\n%s", i+1, n, entry, want, first.Tag, w.rec)
		}
	}
	if tc.holdFirst {
		screenshot(tabs[1], t, w.shots, "two-tabs-one-refresh.png")
	}
}

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

// TestPasswordlessInChromium walks passwordless login in the Store (issue
// 10) through the browser SDK: "Email me a sign-in link" on the login form
// (no API key: the page says the same whether or not the account exists)
// → the mail arrives over real SMTP in the demo's catcher → its link opens
// the Store, which completes the login: JWT and HttpOnly refresh cookie as
// after a password. The same link opened again logs nobody in.
func TestPasswordlessInChromium(t *testing.T) {
	rec := newRecorder()
	s := startStack(t, rec)
	browser := newBrowser(t, s)
	tab := openTab(t, browser, "passwordless", true)
	ask := func(loginID string) step {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.ID("loginId"), loginID),
			chromedp.Click(chromedp.ID("passwordless-start")),
			poll(`document.getElementById('login-status').textContent.includes('on its way')`, 10*time.Second))
	}

	run(t, tab, "ask for a link for someone unknown", chromedp.Navigate(s.store), waitState("login", 10*time.Second), ask("nobody@example.test"))
	unknown := text(t, tab, "login-status")
	run(t, tab, "ask for a sign-in link", ask(demo.DemoEmail))
	if known := text(t, tab, "login-status"); strings.Replace(known, demo.DemoEmail, "nobody@example.test", 1) != unknown {
		t.Fatalf("the page tells accounts apart: %q vs %q", known, unknown)
	}
	link := awaitLink(t, s, demo.DemoEmail, "Your sign-in link")
	if !strings.HasPrefix(link, s.store+"/passwordless/") {
		t.Fatalf("sign-in link %q", link)
	}
	if rt := cookies(tab, t, s.idp)["refresh_token"]; rt != nil && rt.Value != "" {
		t.Fatal("a refresh cookie exists before the link was opened")
	}

	run(t, tab, "open the link", chromedp.Navigate(link), waitState("app", 15*time.Second))
	if who := text(t, tab, "who"); who != demo.DemoEmail {
		t.Fatalf("logged in as %q", who)
	}
	if rt := cookies(tab, t, s.idp)["refresh_token"]; rt == nil || !rt.HTTPOnly || rt.Value == "" {
		t.Fatalf("no HttpOnly refresh cookie after the passwordless login: %+v", rt)
	}
	if storedJWT(tab, t, demo.StoreAppID) == "" {
		t.Fatal("no JWT stored after the passwordless login")
	}

	// The link is single use: opened again after logging out, it logs
	// nobody in and the page says why.
	passwordless := func() []exchange {
		return rec.find(func(e exchange) bool { return e.Method == http.MethodPost && e.Path == "/api/passwordless/login" })
	}
	// 30 s: under a full -race run the 10 s it had once ran out.
	run(t, tab, "log out", chromedp.Click(chromedp.ID("logout")), waitState("login", 30*time.Second))
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	err := chromedp.Do(ctx, chromedp.Navigate(link),
		poll(`document.getElementById('login-error').textContent.includes('unknown, used or expired')`, 20*time.Second))
	cancel()
	if err != nil {
		// It timed out once in a full run under load: say what the page
		// showed and what the identity server answered.
		t.Fatalf("open the used link again: %v; the page's error %q, passwordless logins %+v", err, text(t, tab, "login-error"), passwordless())
	}
	if got := value(t, tab, "state", chromedp.Evaluate[string](`document.body.dataset.state`)); got != "login" {
		t.Fatalf("a used link logged in (state %q)", got)
	}
	logins := passwordless()
	if len(logins) != 2 || logins[0].Status != 200 || logins[0].Set == "" || logins[1].Status != 404 || logins[1].Set != "" {
		t.Fatalf("passwordless logins: %+v", logins)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAccounts walks issue 9's account flows in Chromium on the real
// `latchkey demo`, mail included (real SMTP into the demo's catcher): a
// newcomer creates an account in the Store, the confirmation mail arrives
// in the inbox, its link confirms the address, they log in; later they
// forget the password, the reset mail's link lets them choose a new one
// and logs them in, the session they had in another browser is refused at
// its next refresh, and that browser logs in with the new password.
func TestAccounts(t *testing.T) {
	rec := newRecorder()
	s := startStack(t, rec)
	browser := newBrowser(t, s)
	shots := t.TempDir()
	a := openTab(t, browser, "accounts-a", true)
	b := openTab(t, browser, "accounts-b", true)
	const email, first, second = "newcomer@example.com", "my first passphrase", "my second passphrase"

	// Each step continues from the one before; run alone, it first does
	// what the steps before it would have (see fixture).
	signedUp := &fixture{name: "the account was created in the Store", make: func(t *testing.T) {
		run(t, a, "create an account", chromedp.Navigate(s.store), waitState("login", 10*time.Second),
			chromedp.Click(chromedp.ID("show-signup")), waitState("signup", 5*time.Second),
			chromedp.SetValue(chromedp.ID("signup-first"), "Nova"),
			chromedp.SetValue(chromedp.ID("signup-email"), email),
			chromedp.SetValue(chromedp.ID("signup-password"), first),
			chromedp.Click(chromedp.ID("signup-button")), waitState("notice", 10*time.Second))
		if got := text(t, a, "notice-text"); !strings.Contains(got, "confirmation link to "+email) {
			t.Fatalf("after sign-up the page says %q", got)
		}
		screenshot(a, t, shots, "signup-sent.png")
	}}
	confirmed := &fixture{name: "the account's address is confirmed", make: func(t *testing.T) {
		signedUp.ensure(t)
		confirm := awaitLink(t, s, email, "Confirm your email address")
		run(t, a, "open the inbox", chromedp.Navigate(s.inbox), chromedp.WaitVisible(`//a[contains(., "Confirm your email address")]`))
		screenshot(a, t, shots, "inbox.png")
		if !strings.HasPrefix(confirm, s.store+"/email/verify/") {
			t.Fatalf("confirmation link %q does not open the Store", confirm)
		}
		run(t, a, "follow the link", chromedp.Navigate(confirm), waitState("notice", 10*time.Second))
		if got := text(t, a, "notice-text"); !strings.Contains(got, "confirmed") {
			t.Fatalf("the confirmation page says %q", got)
		}
		if loc := value(t, a, "location", chromedp.Evaluate[string](`location.pathname`)); loc != "/" {
			t.Errorf("the id stayed in the address bar: %q", loc)
		}
	}}
	loggedIn := &fixture{name: "the account is logged in to the Store in both browsers", make: func(t *testing.T) {
		confirmed.ensure(t)
		for _, tab := range []context.Context{a, b} {
			run(t, tab, "log in", chromedp.Navigate(s.store), loginAs(email, first), chromedp.WaitVisible(chromedp.ID("cart-status")))
		}
		if who := text(t, b, "who"); who != email {
			t.Fatalf("logged in as %q", who)
		}
	}}
	reset := &fixture{name: "the password was reset through the mailed link", make: func(t *testing.T) {
		loggedIn.ensure(t)
		run(t, a, "ask for a reset", chromedp.Click(chromedp.ID("logout")), waitState("login", 10*time.Second),
			chromedp.Click(chromedp.ID("show-forgot")), waitState("forgot", 5*time.Second),
			chromedp.SetValue(chromedp.ID("forgot-email"), email),
			chromedp.Click(chromedp.ID("forgot-button")), waitState("notice", 10*time.Second))
		link := awaitLink(t, s, email, "Reset your password")
		run(t, a, "follow the reset link", chromedp.Navigate(link), waitState("reset", 10*time.Second))
		screenshot(a, t, shots, "reset-form.png")
		run(t, a, "choose a new password", chromedp.SetValue(chromedp.ID("reset-password"), second),
			chromedp.Click(chromedp.ID("reset-button")), waitState("app", 10*time.Second), chromedp.WaitVisible(chromedp.ID("cart-status")))
		run(t, a, "the used link is refused", chromedp.Navigate(link), waitState("notice", 10*time.Second))
		if got := text(t, a, "notice-text"); !strings.Contains(got, "expired or was already used") {
			t.Fatalf("a used reset link shows %q", got)
		}
	}}
	oldSessionEnded := &fixture{name: "the other browser's session ended after the reset", make: func(t *testing.T) {
		reset.ensure(t)
		ctx, cancel := context.WithTimeout(b, 3*jwtTTL+10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, waitState("login", 3*jwtTTL+5*time.Second)); err != nil {
			t.Fatalf("the old session went on after the reset: %v", err)
		}
		if ends := logEntries(b, t, "session-end"); len(ends) == 0 || !strings.Contains(ends[0], "refresh answered 404") {
			t.Errorf("session log %q, want the refresh refused with 404", ends)
		}
		screenshot(b, t, shots, "old-session-refused.png")
	}}

	t.Run("sign-up in the Store sends a confirmation mail", signedUp.ensure)
	t.Run("the mail arrives in the inbox and its link confirms the address", confirmed.ensure)
	t.Run("the new account logs in, in this browser and in another", loggedIn.ensure)
	t.Run("forgot password: the reset mail's link sets a new password and logs in", reset.ensure)
	t.Run("the other browser's old session is refused at its next refresh", oldSessionEnded.ensure)
	t.Run("the old password is refused, the new one logs in", func(t *testing.T) {
		oldSessionEnded.ensure(t)
		run(t, b, "old password", chromedp.SetValue(chromedp.ID("loginId"), email), chromedp.SetValue(chromedp.ID("password"), first),
			chromedp.Click(chromedp.ID("login-button")), poll(`document.getElementById('login-error').textContent !== ''`, 10*time.Second))
		run(t, b, "new password", loginAs(email, second), chromedp.WaitVisible(chromedp.ID("cart-status")))
	})
	t.Logf("screenshots in %s", shots)
}

// loginAs fills the SPA's login form with these credentials.
func loginAs(email, password string) step {
	return chromedp.Steps(
		waitState("login", 10*time.Second),
		chromedp.SetValue(chromedp.ID("loginId"), email),
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")),
		waitState("app", 10*time.Second),
	)
}

// awaitLink waits for the newest mail to `to` with this subject in the
// demo's inbox and returns its first link. The inbox's JSON is read over
// loopback: the public *.example.test names resolve only in Chromium.
func awaitLink(t *testing.T, s stack, to, subject string) string {
	t.Helper()
	u, err := url.Parse(s.inbox)
	if err != nil {
		t.Fatal(err)
	}
	api := "http://127.0.0.1:" + u.Port() + "/api/messages"
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(api)
		if err != nil {
			t.Fatal(err)
		}
		var inbox struct {
			Messages []struct {
				EnvelopeTo []string
				Subject    string
				Links      []string
			}
		}
		err = json.NewDecoder(res.Body).Decode(&inbox)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range inbox.Messages { // newest first
			if len(m.EnvelopeTo) == 1 && m.EnvelopeTo[0] == to && m.Subject == subject && len(m.Links) > 0 {
				return m.Links[0]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %q mail to %s in the inbox after 20s", subject, to)
	return ""
}

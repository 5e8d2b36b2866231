package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
)

// walk is what the subtests of TestWorkflow share.
type walk struct {
	s       stack
	rec     *recorder
	browser context.Context // the main profile's tab
	evil    *attacker
	shots   string
}

// beyondGrace waits until the one-time-use grace period of a rotation that
// was answered at answered is over (FusionAuth
// refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds): the identity
// server rotated before it answered, so from then on the rotated-out value
// is reuse. Polling cannot replace this wait, since a replay inside the
// grace period succeeds and changes what is being tested; it lasts the grace
// period plus a margin for the stored rotation time's rounding.
func beyondGrace(answered time.Time) {
	time.Sleep(time.Until(answered.Add(grace + 50*time.Millisecond)))
}

// theftCase is one order of events in step 16.
type theftCase struct {
	name string
	tag  string
	// attackerFirst: the attacker refreshes with the stolen cookie before
	// the victim does, and the victim's next refresh is the reuse. Else the
	// victim refreshes first (rotation) and the attacker's replay is.
	attackerFirst bool
}

// stolenRefreshToken walks step 16 in a fresh profile per case. Nothing
// depends on how fast the machine is: the test reads when the victim's
// refresh reached the identity server from the recorder, and where the
// attacker must go first it holds the victim's refresh back until then.
func stolenRefreshToken(t *testing.T, w *walk, tc theftCase) {
	tab := openTab(t, w.browser, tc.tag, true)
	mine := func(e exchange) bool { return e.refresh() && e.Tag == tc.tag }
	release := func() {}
	if tc.attackerFirst {
		release = w.rec.hold(t, mine)
	}
	cart := w.s.store + "/api/load-shopping-cart"
	run(t, tab, "victim logs in to the Store", chromedp.Navigate(w.s.store), login(),
		chromedp.WaitVisible(chromedp.ID("cart-status")))
	// Taken from the browser (malware, a shared computer): the HttpOnly
	// cookie that page scripts cannot read.
	stolen := refreshCookie(tab, t, w.s.idp, "the victim's session after the login").Value

	var attacked time.Time
	if tc.attackerFirst {
		logins := w.rec.find(func(e exchange) bool { return e.login() && e.Tag == tc.tag })
		if len(logins) != 1 || logins[0].Set != stolen {
			t.Fatalf("the browser's cookie is not the one its login set (the victim's refresh is held):\n%s", w.rec)
		}
		status, jwt, next := w.evil.refresh(t, w.s.idp, stolen)
		if status != http.StatusOK || jwt == "" {
			t.Fatalf("attacker refresh with the stolen cookie: %d", status)
		}
		if got := w.evil.get(t, cart, jwt); got != http.StatusOK {
			t.Fatalf("attacker loads the victim's cart: %d", got)
		}
		// The victim's SPA now presents the cookie the attacker rotated out,
		// after the grace period: reuse.
		attacked = time.Now()
		beyondGrace(attacked)
		release()
		run(t, tab, "victim's refresh is reuse: login form", waitState("login", 3*jwtTTL))
		if status, _, _ := w.evil.refresh(t, w.s.idp, next); status != http.StatusNotFound {
			t.Errorf("attacker's rotated token after the reuse: status %d, want 404 (family revoked)", status)
		}
	} else {
		// The victim's SPA refreshes with that cookie when its JWT expires.
		rot := w.rec.await(t, "the victim's refresh presenting the stolen cookie", 1, 3*jwtTTL,
			func(e exchange) bool { return mine(e) && e.Presented == stolen && e.Status != 0 })[0]
		if rot.Status != http.StatusOK || rot.Set == "" || rot.Set == stolen {
			t.Fatalf("victim's refresh: status %d, cookie rotated %v", rot.Status, rot.Set != stolen)
		}
		beyondGrace(rot.End)
		attacked = time.Now()
		status, jwt, _ := w.evil.refresh(t, w.s.idp, stolen)
		if status != http.StatusNotFound || jwt != "" {
			t.Errorf("attacker replays the rotated-out cookie: status %d, JWT %v; want 404 and none", status, jwt != "")
		}
		run(t, tab, "victim's next refresh fails: login form", waitState("login", 3*jwtTTL))
	}

	// What the victim sees: the session ended because refresh said 404.
	if ends := logEntries(tab, t, "session-end"); len(ends) != 1 || !strings.Contains(ends[0], "refresh answered 404") {
		t.Errorf("victim's session log: %q, want one session end after a 404", ends)
	}
	// What the identity server saw: the victim's last refresh was refused,
	// and it was the reuse itself (attacker first) or came after it.
	victim := w.rec.find(func(e exchange) bool { return mine(e) && e.Status != 0 })
	if len(victim) == 0 {
		t.Fatalf("no refresh from the victim reached the identity server:\n%s", w.rec)
	}
	last := victim[len(victim)-1]
	if last.Status != http.StatusNotFound ||
		(tc.attackerFirst && last.Presented != stolen) || (!tc.attackerFirst && !last.Start.After(attacked)) {
		t.Errorf("victim's last refresh %+v is not the refused one after the reuse:\n%s", last, w.rec)
	}
	if jwt := storedJWT(tab, t, demo.StoreAppID); jwt != "" {
		t.Error("the revoked session's JWT is still in localStorage")
	}
	screenshot(tab, t, w.shots, "reuse-detected-"+tc.tag+".png")
}

// attacker is a plain Go HTTP client: no browser, no Origin header. It
// resolves *.example.test to 127.0.0.1 like the browser's resolver rule.
type attacker struct{ http.Client }

func newAttacker() *attacker {
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && strings.HasSuffix(host, ".example.test") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}}
	return &attacker{http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

func (a *attacker) refresh(t *testing.T, idp, refreshToken string) (status int, jwt, next string) {
	t.Helper()
	req, _ := http.NewRequest("POST", idp+"/api/jwt/refresh", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "refresh_token", Value: refreshToken})
	res, err := a.Do(req)
	if err != nil {
		t.Fatalf("attacker refresh: %v", err)
	}
	defer res.Body.Close()
	var body struct{ Token, RefreshToken string }
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Token, body.RefreshToken
}

func (a *attacker) get(t *testing.T, url, jwt string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+jwt)
	res, err := a.Do(req)
	if err != nil {
		t.Fatalf("attacker GET %s: %v", url, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkeyhq/latchkey/internal/demo"
)

// TestSecondFactorsInChromium walks issue 10 in the Store: enable TOTP on
// the account page (QR code and secret shown, confirmed with a code this
// test computes from the secret, recovery codes shown once) → log out →
// log in → 242 → the code → logged in → a recovery code works once → a
// passkey registered through Chromium's virtual authenticator (DevTools
// WebAuthn domain) → log out → log in with the passkey, without a user
// name. A replayed assertion and one claiming another origin are refused.
func TestSecondFactorsInChromium(t *testing.T) {
	rec := newRecorder()
	s := startStack(t, rec)
	browser := newBrowser(t, s)
	tab := openTab(t, browser, "mfa", true)
	va := virtualAuthenticator(t, tab)

	run(t, tab, "log in with the password", chromedp.Navigate(s.store), login(), chromedp.WaitVisible(chromedp.ID("enable-two-factor")))

	// Enrol: the QR code and the secret are shown; the test is the user's
	// authenticator app.
	run(t, tab, "start enrolment", chromedp.Click(chromedp.ID("enable-two-factor")), chromedp.WaitVisible(chromedp.ID("totp-secret")))
	secret := text(t, tab, "totp-secret")
	qr := value(t, tab, "QR code", chromedp.Evaluate[string](`document.getElementById('totp-qr')?.src ?? ''`))
	if len(secret) != 32 || !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Fatalf("enrolment shows secret %q and QR %.40q", secret, qr)
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	run(t, tab, "confirm with a code", chromedp.SetValue(chromedp.ID("totp-code"), code(time.Now())),
		chromedp.Click(chromedp.ID("totp-confirm")), chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	recovery := value(t, tab, "recovery codes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#recovery-codes li')].map(li => li.textContent)`))
	if len(recovery) != 10 {
		t.Fatalf("recovery codes shown: %q", recovery)
	}
	run(t, tab, "codes saved", chromedp.Click(chromedp.ID("recovery-saved")),
		poll(`(document.getElementById('two-factor-status')?.textContent ?? '').includes('is on')`, 10*time.Second))

	// Log out, log in: the password alone is answered 242, no session.
	logout := chromedp.Steps(chromedp.Click(chromedp.ID("logout")), waitState("login", 10*time.Second))
	passwordStep := chromedp.Steps(
		chromedp.SetValue(chromedp.ID("loginId"), demo.DemoEmail),
		chromedp.SetValue(chromedp.ID("password"), demo.DemoPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("two-factor-form")))
	secondStep := func(c string) step {
		return chromedp.Steps(chromedp.SetValue(chromedp.ID("two-factor-code"), c), chromedp.Click(chromedp.ID("two-factor-button")))
	}
	run(t, tab, "log out, log in with the password", logout, passwordStep)
	logins := rec.find(func(e exchange) bool { return e.login() && e.Tag == "mfa" })
	if len(logins) == 0 {
		t.Fatalf("the password step reached no /api/login:\n%s", rec)
	}
	if last := logins[len(logins)-1]; last.Status != 242 || last.Set != "" || last.Token != "" {
		t.Fatalf("the password step answered %d, cookie %q, token %q", last.Status, last.Set, short(last.Token))
	}
	if rt := cookies(tab, t, s.idp)["refresh_token"]; rt != nil && rt.Value != "" {
		t.Fatal("a refresh cookie exists before the second factor")
	}
	if storedJWT(tab, t, demo.StoreAppID) != "" {
		t.Fatal("a JWT is stored before the second factor")
	}
	// The code of the next 30 s step: the enrolment spent this step's code,
	// and one step ahead is inside the accepted window.
	run(t, tab, "the second factor", secondStep(code(time.Now().Add(30*time.Second))), waitState("app", 10*time.Second))
	if rt := cookies(tab, t, s.idp)["refresh_token"]; rt == nil || !rt.HTTPOnly {
		t.Fatalf("no HttpOnly refresh cookie after the second factor: %+v", rt)
	}

	// A recovery code works once.
	run(t, tab, "recovery code", logout, passwordStep, secondStep(recovery[0]), waitState("app", 10*time.Second))
	run(t, tab, "the same recovery code again", logout, passwordStep, secondStep(recovery[0]),
		poll(`document.getElementById('login-error').textContent.includes('Invalid code')`, 10*time.Second))
	if got := value(t, tab, "state", chromedp.Evaluate[string](`document.body.dataset.state`)); got != "login" {
		t.Fatalf("a reused recovery code logged in (state %q)", got)
	}
	run(t, tab, "another recovery code", secondStep(recovery[1]), waitState("app", 10*time.Second))

	// A passkey through the virtual authenticator, kept on it as a
	// discoverable credential.
	run(t, tab, "add a passkey", chromedp.WaitVisible(chromedp.ID("add-passkey")), chromedp.Click(chromedp.ID("add-passkey")),
		poll(`document.querySelectorAll('#passkeys li').length === 1`, 15*time.Second))
	creds, err := chromedp.Call(tab, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: va})
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || creds.Credentials[0].RpID != "store.example.test" {
		t.Fatalf("virtual authenticator holds %+v (%v)", creds, err)
	}

	// Log out and log in with the passkey: no user name typed, and the
	// passkey (user verified) is both factors, so no 242.
	run(t, tab, "passkey login", logout, chromedp.Click(chromedp.ID("passkey-login")), waitState("app", 15*time.Second))
	if who := text(t, tab, "who"); who != demo.DemoEmail {
		t.Fatalf("passkey login shows %q", who)
	}
	pk := rec.find(func(e exchange) bool { return e.Method == http.MethodPost && e.Path == "/api/webauthn/login" })
	if len(pk) != 1 || pk[0].Status != 200 || pk[0].Set == "" {
		t.Fatalf("passkey login exchanges: %+v", pk)
	}

	// A real assertion, taken in the page, posted twice: the second is a
	// replay and finds its challenge spent; the same assertion claiming
	// another origin is refused too. Nothing is issued for either.
	out := value(t, tab, "assertion replay", chromedp.Evaluate[map[string]int](fmt.Sprintf(replayScript, s.idp, demo.StoreAppID),
		chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if out["first"] != 200 || out["replay"] != 404 || out["otherOrigin"] != 400 {
		t.Fatalf("assertion: first %d, replay %d, other origin %d", out["first"], out["replay"], out["otherOrigin"])
	}
}

// virtualAuthenticator adds to the tab a platform authenticator with
// resident keys and user verification, which answers presence checks
// itself (DevTools WebAuthn domain).
func virtualAuthenticator(t *testing.T, tab context.Context) cdpwebauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(tab, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	va, err := chromedp.Call(tab, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{Protocol: cdpwebauthn.AuthenticatorProtocolCtap2,
			Ctap2version: cdpwebauthn.Ctap2versionCtap21, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return va.AuthenticatorID
}

// replayScript takes an assertion with the page's passkey and posts it
// three ways: as is, again, and with clientDataJSON's origin rewritten.
const replayScript = `(async () => {
  const idp = %q, app = %q;
  const post = (path, body) => fetch(idp + path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const start = async () => (await (await post('/api/webauthn/start', {applicationId: app, workflow: 'bootstrap'})).json()).options;
  const assert = async (o) => {
    const c = await navigator.credentials.get({publicKey: {...o, challenge: bin(o.challenge), allowCredentials: []}});
    const r = c.response;
    return {id: c.id, type: c.type, response: {clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData),
      signature: b64(r.signature), userHandle: r.userHandle ? b64(r.userHandle) : undefined}};
  };
  const cred = await assert(await start());
  const first = (await post('/api/webauthn/login', {credential: cred, applicationId: app})).status;
  const replay = (await post('/api/webauthn/login', {credential: cred, applicationId: app})).status;
  const other = await assert(await start());
  const cd = JSON.parse(new TextDecoder().decode(bin(other.response.clientDataJSON)));
  cd.origin = 'http://evil.example.test';
  other.response.clientDataJSON = b64(new TextEncoder().encode(JSON.stringify(cd)));
  const otherOrigin = (await post('/api/webauthn/login', {credential: other, applicationId: app})).status;
  return {first, replay, otherOrigin};
})()`

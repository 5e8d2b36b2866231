package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
)

// Passkeys on the hosted login page (oauth_passkey.go): the page's script
// does what these tests do with a software authenticator: POST
// /api/webauthn/start from the page's origin, sign, post the assertion with
// the form. The browser test (e2e) runs the real script in Chromium.

// passkeyOAuthStack is the OAuth world with passkey login on for the
// tenant, the identity server's own origin allowed (the hosted page's), and
// a passkey of alice's registered there.
func passkeyOAuthStack(t *testing.T) (*stack, *passkeytest.Authenticator, string) {
	t.Helper()
	// A relying party id is a domain, not the listener's 127.0.0.1: the
	// server's public origin (the page's) is http://localhost:<port>.
	var origin string
	s := buildOAuthStack(t, stackOpts{cfg: func(c *config.Config) {
		_, port, _ := net.SplitHostPort(c.Addr)
		origin = "http://localhost:" + port
		c.Issuer = origin
	}})
	s.URL = origin
	admin := map[string]string{"Authorization": apiKey}
	res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: admin, body: `{"tenant":{"webAuthnConfiguration":{
		"enabled":true,"bootstrapWorkflow":{"enabled":true},"allowedOrigins":["` + s.URL + `"]}}}`})
	if res.status != 200 {
		t.Fatalf("enable passkeys: %d %s", res.status, res.body)
	}
	hdr := map[string]string{"Authorization": apiKey, "Origin": s.URL}
	o := s.options(s.do(call{method: "POST", path: "/api/webauthn/register/start", hdr: hdr,
		body: `{"userId":"` + aliceID + `","displayName":"Laptop","workflow":"bootstrap"}`}))
	uh, _ := base64.RawURLEncoding.DecodeString(o.Options.User.ID)
	a := passkeytest.New()
	cred := a.Create(o.Options.RP.ID, o.Options.Challenge, s.URL, uh)
	res = s.do(call{method: "POST", path: "/api/webauthn/register/complete", hdr: hdr,
		body: `{"userId":"` + aliceID + `","credential":` + string(cred) + `}`})
	if res.status != 200 {
		t.Fatalf("register passkey: %d %s", res.status, res.body)
	}
	return s, a, o.Options.RP.ID
}

// passkeyChallenge is what the page's script does first: a usernameless
// start for app from the page's origin.
func (b *browser) passkeyChallenge(app string) string {
	b.t.Helper()
	return b.s.options(b.s.do(call{method: "POST", path: "/api/webauthn/start", hdr: map[string]string{"Origin": b.s.URL},
		body: `{"applicationId":"` + app + `","workflow":"bootstrap"}`})).Options.Challenge
}

// submitPasskey posts the page's passkey form with assertion.
func (b *browser) submitPasskey(page result, assertion json.RawMessage, hdr map[string]string) result {
	b.t.Helper()
	v := formFields(b.t, page)
	v.Set("webauthnCredential", string(assertion))
	if hdr == nil {
		hdr = map[string]string{"Origin": b.s.URL, "Sec-Fetch-Site": "same-origin"}
	}
	return b.send(http.MethodPost, "/oauth2/authorize", v.Encode(), hdr)
}

var nonceRe = regexp.MustCompile(`<script nonce="([^"]+)">`)

// checkPasskeyPage checks the page offers the passkey form and that its
// one script runs by the CSP's nonce, nothing inline otherwise; it returns
// the nonce.
func checkPasskeyPage(t *testing.T, page result) string {
	t.Helper()
	csp := page.header.Get("Content-Security-Policy")
	m := nonceRe.FindAllStringSubmatch(string(page.body), -1)
	if len(m) != 1 || strings.Count(string(page.body), "<script") != 1 || !strings.Contains(string(page.body), `id="passkey-form"`) {
		t.Fatalf("the login page has %d nonced scripts, %d scripts: %s", len(m), strings.Count(string(page.body), "<script"), page.body)
	}
	if !strings.Contains(csp, "script-src 'nonce-"+m[0][1]+"'; connect-src 'self'") || strings.Contains(csp, "unsafe") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q for nonce %q", csp, m[0][1])
	}
	return m[0][1]
}

func TestHostedPasskeyLoginIssuesCodeAndSession(t *testing.T) {
	s, a, rp := passkeyOAuthStack(t)
	b := newBrowser(s)
	verifier, challenge := pkce("passkey")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	page := b.get("/oauth2/authorize?" + q.Encode())
	nonce := checkPasskeyPage(t, page)

	res := b.submitPasskey(page, a.Get(rp, b.passkeyChallenge(forumsApp), s.URL), nil)
	got := redirectQuery(t, res, forumsCallback)
	if got.Get("state") != "st-1" || got.Get("iss") == "" || got.Get("code") == "" {
		t.Fatalf("authorization response %v", got)
	}
	tok := s.exchange(forumsApp, got.Get("code"), forumsCallback, verifier)
	if tok.status != 200 {
		t.Fatalf("code exchange: %d %s", tok.status, tok.body)
	}
	body := tok.json(t)
	if body["id_token"] == nil || body["refresh_token"] == nil {
		t.Fatalf("token response %s", tok.body)
	}
	claims := s.validate(body["access_token"].(string))
	if claims["sub"] != aliceID || claims["authenticationType"] != "WebAuthn" {
		t.Fatalf("access token claims %v", claims)
	}

	// The login set the SSO session: Store (SSO on) is authorized at once,
	// and the next page is a new nonce.
	_, storeChallenge := pkce("store")
	redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, storeChallenge).Encode()), storeCallback)
	if again := checkPasskeyPage(t, newBrowser(s).get("/oauth2/authorize?"+q.Encode())); again == nonce {
		t.Fatal("two pages share a script nonce")
	}
}

// noLogin checks a refused passkey form: the login page again with the
// passkey message, no redirect, no code, no SSO cookie, and the browser
// still has no session (the next authorization shows the page).
func noLogin(t *testing.T, b *browser, res result, what string) {
	t.Helper()
	if res.status == http.StatusFound || res.header.Get("Location") != "" || strings.Contains(res.header.Get("Set-Cookie"), "latchkey_sso") {
		t.Fatalf("%s: logged in: %d Location %q", what, res.status, res.header.Get("Location"))
	}
	if res.status != http.StatusForbidden && (res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "This passkey could not sign you in")) {
		t.Fatalf("%s: %d without the passkey message: %.400s", what, res.status, res.body)
	}
	_, c := pkce("probe")
	if p := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, c).Encode()); p.status != http.StatusOK {
		t.Fatalf("%s: a session exists afterwards (%d %q)", what, p.status, p.header.Get("Location"))
	}
}

func TestHostedPasskeyLoginRefusals(t *testing.T) {
	s, a, rp := passkeyOAuthStack(t)
	_, challenge := pkce("passkey")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	attacker := newBrowser(s)
	page := attacker.get("/oauth2/authorize?" + q.Encode())

	// A genuine login elsewhere; its assertion replayed here finds its
	// challenge spent.
	victim := newBrowser(s)
	vpage := victim.get("/oauth2/authorize?" + q.Encode())
	used := a.Get(rp, victim.passkeyChallenge(forumsApp), s.URL)
	redirectQuery(t, victim.submitPasskey(vpage, used, nil), forumsCallback)
	noLogin(t, attacker, attacker.submitPasskey(page, used, nil), "replayed assertion")

	// A challenge the server never issued.
	noLogin(t, attacker, attacker.submitPasskey(page, a.Get(rp, base64.RawURLEncoding.EncodeToString([]byte("made-up-challenge-of-32-bytes!!")), s.URL), nil),
		"unissued challenge")
	// A challenge started for another application (Store) used on Forums'
	// authorization.
	noLogin(t, attacker, attacker.submitPasskey(page, a.Get(rp, attacker.passkeyChallenge(storeApp), s.URL), nil), "another application's challenge")
	// Another user's: alice's credential id signed by another key (a forged
	// passkey), and alice's assertion claiming another user's handle.
	forged := passkeytest.New()
	forged.CredentialID, forged.UserHandle, forged.SignCount = a.CredentialID, a.UserHandle, a.SignCount+10
	noLogin(t, attacker, attacker.submitPasskey(page, forged.Get(rp, attacker.passkeyChallenge(forumsApp), s.URL), nil), "forged passkey")
	handle := a.UserHandle
	a.UserHandle = []byte("0f1a2b3c-0000-4000-8000-00000000dead")
	noLogin(t, attacker, attacker.submitPasskey(page, a.Get(rp, attacker.passkeyChallenge(forumsApp), s.URL), nil), "another user's handle")
	a.UserHandle = handle
	// Signed for a phishing origin.
	noLogin(t, attacker, attacker.submitPasskey(page, a.Get(rp, attacker.passkeyChallenge(forumsApp), "https://evil.example.test"), nil), "phishing origin")
	// Not JSON.
	noLogin(t, attacker, attacker.submitPasskey(page, json.RawMessage(`{"id":`), nil), "malformed credential")

	// Login CSRF: a valid assertion (the attacker's own passkey) posted from
	// another site, or without the form's token, is refused before it is
	// looked at; its challenge is still live afterwards.
	fresh := a.Get(rp, attacker.passkeyChallenge(forumsApp), s.URL)
	res := attacker.submitPasskey(page, fresh, map[string]string{"Origin": "https://evil.example.test", "Sec-Fetch-Site": "cross-site"})
	if res.status != http.StatusForbidden {
		t.Fatalf("cross-site passkey form: %d", res.status)
	}
	noLogin(t, attacker, res, "cross-site form")
	v := formFields(t, page)
	v.Del("csrf")
	v.Set("webauthnCredential", string(fresh))
	res = newBrowser(s).send(http.MethodPost, "/oauth2/authorize", v.Encode(), map[string]string{"Origin": s.URL})
	if res.status != http.StatusForbidden {
		t.Fatalf("passkey form without its CSRF token: %d", res.status)
	}
	noLogin(t, attacker, res, "no CSRF token")

	// Nothing above broke the account: the unspent assertion still works
	// on the page it belongs to.
	redirectQuery(t, attacker.submitPasskey(page, fresh, nil), forumsCallback)
}

func TestHostedLoginPageWithoutPasskeys(t *testing.T) {
	// Passkeys off: no script, and the CSP allows none.
	s := newOAuthStack(t)
	_, challenge := pkce("nopasskey")
	q := authzQuery(forumsApp, forumsCallback, challenge)
	page := newBrowser(s).get("/oauth2/authorize?" + q.Encode())
	if strings.Contains(string(page.body), "<script") || strings.Contains(page.header.Get("Content-Security-Policy"), "script-src") {
		t.Fatalf("a page without passkeys has a script: %s %s", page.header.Get("Content-Security-Policy"), page.body)
	}
	// With passkeys on, the password form still works on its own (no
	// script run: JavaScript off).
	s, _, _ = passkeyOAuthStack(t)
	b := newBrowser(s)
	page = b.get("/oauth2/authorize?" + q.Encode())
	checkPasskeyPage(t, page)
	if got := redirectQuery(t, b.submitLogin(page, aliceEmail, alicePass), forumsCallback); got.Get("code") == "" {
		t.Fatalf("password login with passkeys on: %v", got)
	}
}

// TestHostedPasskeyWithoutUserVerificationAsksSecondFactor: a passkey that
// did not verify the user is one factor, as on /api/webauthn/login (242):
// a user with a second factor gets the hosted two-factor step, no code
// yet; the code then finishes the login, and the tokens say WebAuthn.
func TestHostedPasskeyWithoutUserVerificationAsksSecondFactor(t *testing.T) {
	s, a, rp := passkeyOAuthStack(t)
	res := s.do(call{method: "PATCH", path: "/api/tenant/" + tenantID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"tenant":{"webAuthnConfiguration":{"bootstrapWorkflow":{"enabled":true,"userVerificationRequirement":"preferred"}}}}`})
	if res.status != 200 {
		t.Fatalf("preferred user verification: %d %s", res.status, res.body)
	}
	enableTOTP(t, s)
	a.UV = false
	verifier, challenge := pkce("passkey-uv")
	b := newBrowser(s)
	page := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode())
	step := b.submitPasskey(page, a.Get(rp, b.passkeyChallenge(forumsApp), s.URL), nil)
	if !isTwoFactorPage(step) || step.header.Get("Location") != "" || cookieValue(step, "latchkey_sso") != "" {
		t.Fatalf("a passkey without user verification: %d Location %q: %.400s", step.status, step.header.Get("Location"), step.body)
	}
	got := redirectQuery(t, b.submitCode(step, s.totp(totpTestSecret)), forumsCallback)
	tok := s.exchange(forumsApp, got.Get("code"), forumsCallback, verifier)
	if tok.status != 200 {
		t.Fatalf("code exchange: %d %s", tok.status, tok.body)
	}
	if c := s.validate(tok.json(t)["access_token"].(string)); c["authenticationType"] != "WebAuthn" {
		t.Fatalf("claims after passkey + code: %v", c)
	}
}

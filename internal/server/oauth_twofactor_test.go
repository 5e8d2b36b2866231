package server_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// enableTOTP gives alice an authenticator method and returns her recovery
// codes.
func enableTOTP(t *testing.T, s *stack) []string {
	t.Helper()
	res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite},
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
	var out struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	if res.status != 200 || json.Unmarshal(res.body, &out) != nil || len(out.RecoveryCodes) == 0 {
		t.Fatalf("enable: %d %s", res.status, res.body)
	}
	s.Clock.Advance(30 * time.Second) // a TOTP code is accepted once
	return out.RecoveryCodes
}

// submitCode posts the two-factor page's form with code, from the page's
// own origin.
func (b *browser) submitCode(page result, code string, extra ...string) result {
	b.t.Helper()
	v := formFields(b.t, page)
	v.Set("code", code)
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return b.send(http.MethodPost, "/oauth2/two-factor", v.Encode(), map[string]string{"Origin": b.s.URL, "Sec-Fetch-Site": "same-origin"})
}

func isTwoFactorPage(res result) bool {
	return res.status == http.StatusOK && strings.Contains(string(res.body), `action="/oauth2/two-factor"`)
}

// TestHostedLoginTwoFactor: on the hosted page a user with a second factor
// gets the code form after the password, with no code, session or token
// yet; a wrong code, a missing CSRF token or another origin change nothing;
// the right code finishes the login (the code exchanges for tokens) and is
// single use; "trust this device" skips the step next time; a recovery
// code works in another browser.
func TestHostedLoginTwoFactor(t *testing.T) {
	s := newOAuthStack(t)
	recovery := enableTOTP(t, s)
	before, _ := s.Store.ListRefreshTokens(t.Context(), aliceID)
	verifier, challenge := pkce("tf")
	q := authzQuery(storeApp, storeCallback, challenge)

	b := newBrowser(s)
	page := b.submitLogin(b.get("/oauth2/authorize?"+q.Encode()), aliceEmail, alicePass)
	if !isTwoFactorPage(page) || page.header.Get("Location") != "" || cookieValue(page, "latchkey_sso") != "" {
		t.Fatalf("after the password: %d Location %q: %.400s", page.status, page.header.Get("Location"), page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("two-factor page CSP %q", csp)
	}
	if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(before) {
		t.Fatal("the password alone wrote a refresh token")
	}

	if res := b.submitCode(page, "000000"); !isTwoFactorPage(res) || !strings.Contains(string(res.body), "The code is not correct") {
		t.Fatalf("wrong code: %d %.400s", res.status, res.body)
	}
	good := s.totp(totpTestSecret)
	v := formFields(t, page)
	v.Set("code", good)
	v.Del("csrf")
	if res := b.send(http.MethodPost, "/oauth2/two-factor", v.Encode(), map[string]string{"Origin": s.URL}); res.status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", res.status)
	}
	v = formFields(t, page)
	v.Set("code", good)
	if res := b.send(http.MethodPost, "/oauth2/two-factor", v.Encode(), map[string]string{"Origin": "https://evil.example.test"}); res.status != http.StatusForbidden {
		t.Fatalf("from another origin: %d", res.status)
	}

	res := b.submitCode(page, good, "trustComputer", "true")
	cb := redirectQuery(t, res, storeCallback)
	if cb.Get("code") == "" || cb.Get("state") != "st-1" || cb.Get("iss") != s.URL {
		t.Fatalf("authorization response %v", cb)
	}
	if cookieValue(res, "latchkey_sso") == "" || cookieValue(res, "fusionauth.trust") == "" {
		t.Fatalf("no SSO or trust cookie after the second factor: %v", res.header.Values("Set-Cookie"))
	}
	tok := s.token(url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {storeCallback},
		"code_verifier": {verifier}}, "Authorization", basicAuth(storeApp, secret))
	if tok.status != 200 || tok.json(t)["id_token"] == nil {
		t.Fatalf("code exchange: %d %s", tok.status, tok.body)
	}

	// The pending login is spent: the page's id does not log in again.
	s.Clock.Advance(30 * time.Second)
	if res := b.submitCode(page, s.totp(totpTestSecret)); isTwoFactorPage(res) || res.status != 200 ||
		!strings.Contains(string(res.body), "Please sign in again") {
		t.Fatalf("replayed twoFactorId: %d %.400s", res.status, res.body)
	}

	// This browser is trusted now: prompt=login asks for the password only.
	res = b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge, "prompt", "login").Encode()), aliceEmail, alicePass)
	redirectQuery(t, res, storeCallback)

	// Another browser: a recovery code is a second factor too.
	other := newBrowser(s)
	page = other.submitLogin(other.get("/oauth2/authorize?"+q.Encode()), aliceEmail, alicePass)
	if !isTwoFactorPage(page) {
		t.Fatalf("untrusted browser: %d %.300s", page.status, page.body)
	}
	redirectQuery(t, other.submitCode(page, recovery[0]), storeCallback)
}

// TestHostedLoginEmailedCode: a user whose second factor is email gets a
// button that mails a code (through the outbox to the SMTP catcher); that
// code finishes the login.
func TestHostedLoginEmailedCode(t *testing.T) {
	smtpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	c := mailcatcher.Start(smtpL, httpL, mailcatcher.Options{})
	t.Cleanup(func() { c.Close() })
	port := smtpL.Addr().(*net.TCPAddr).Port
	s := &mailStack{stack: newOAuthStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		e := &tn.EmailConfiguration
		e.Host, e.Port, e.Security, e.DefaultFromEmail, e.DefaultFromName = "127.0.0.1", port, "NONE", "no-reply@example.test", "Latchkey"
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Authenticator: storage.MultiFactorMethodConfig{Enabled: true}, Email: storage.MultiFactorMethodConfig{Enabled: true}}
	}), inbox: c}
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	if res := s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `"}`}); res.status != 200 {
		t.Fatalf("send for enable: %d %s", res.status, res.body)
	}
	res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `","code":"` + mailedCode(t, s, 1) + `"}`})
	if res.status != 200 {
		t.Fatalf("enable email: %d %s", res.status, res.body)
	}

	_, challenge := pkce("em")
	b := newBrowser(s.stack)
	page := b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge).Encode()), aliceEmail, alicePass)
	if !isTwoFactorPage(page) || !strings.Contains(string(page.body), `name="send"`) {
		t.Fatalf("no send button: %d %.500s", page.status, page.body)
	}
	methodID := strings.SplitN(formFields(t, page).Get("emailMethod"), " ", 2)[0]
	sent := b.submitCode(page, "", "send", methodID)
	if !isTwoFactorPage(sent) || !strings.Contains(string(sent.body), "A code was sent to "+aliceEmail) {
		t.Fatalf("after send: %d %.500s", sent.status, sent.body)
	}
	redirectQuery(t, b.submitCode(sent, mailedCode(t, s, 2)), storeCallback)
}

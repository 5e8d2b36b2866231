package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
)

// aliceTraces are what a login leaves for alice: her live refresh tokens,
// her login records and her lastLoginInstant.
type aliceTraces struct {
	sessions, logins int
	lastLogin        any
}

func traceAlice(t *testing.T, s *stack) aliceTraces {
	t.Helper()
	live, err := s.Store.ListRefreshTokens(t.Context(), aliceID)
	must(t, err)
	logins, _ := s.apiOK("GET", "/api/user/recent-login?userId="+aliceID, nil)["logins"].([]any)
	u := s.apiOK("GET", "/api/user/"+aliceID, nil)["user"].(map[string]any)
	return aliceTraces{len(live), len(logins), u["lastLoginInstant"]}
}

func idpLoginWith(s *stack, code string, hdr map[string]string) result {
	return s.do(call{method: "POST", path: "/api/identity-provider/login", hdr: hdr, body: fmt.Sprintf(
		`{"applicationId":%q,"identityProviderId":%q,"data":{"code":%q,"redirect_uri":%q}}`, forumsApp, idpID, code, spaIdPCallback)})
}

func twoFactorLogin(s *stack, id, code string, trust bool) result {
	return s.do(call{method: "POST", path: "/api/two-factor/login", hdr: map[string]string{"Origin": storeSite},
		body: fmt.Sprintf(`{"twoFactorId":%q,"code":%q,"trustComputer":%t}`, id, code, trust)})
}

// TestIdentityProviderLoginTwoFactor (adversarial): a user with an
// authenticator who logs in through the identity provider (POST
// /api/identity-provider/login) is asked for the second factor exactly as
// /api/login asks (FusionAuth answers 242 from both): the same 242 body
// (twoFactorId and methods, golden login-242), no token, refresh token or
// cookie, and no refresh token, login record or lastLoginInstant written.
// A wrong code is 421 and changes nothing; the right one answers with
// tokens whose authenticationType is OPENID_CONNECT, records the login and
// sends user.login.success naming the provider, as the federated login
// without a second factor does; with trustComputer, the trust cookie lets
// the next federated login skip the step.
func TestIdentityProviderLoginTwoFactor(t *testing.T) {
	down := buildOAuthStack(t, stackOpts{webhooks: webhookTuning}, allEvents)
	rec := newReceiver(t)
	wantStatus(t, down.do(call{method: "POST", path: "/api/webhook", hdr: admin,
		body: webhookBody(rec.srv.URL, []string{events.UserLoginSuccess}, "")}), 200)
	enableTOTP(t, down)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	down.Clock.Advance(time.Minute) // a login now would write a later lastLoginInstant
	before := traceAlice(t, down)

	res := idpLogin(down, upstreamCode(t, up, aliceEmail))
	if res.status != 242 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("identity provider login of a two-factor user: %d %s, cookies %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	managementGolden(t, "login-242", res.status, methodIDs(twoFactorID(res.body)))
	if now := traceAlice(t, down); now != before {
		t.Fatalf("the 242 left traces: %+v → %+v", before, now)
	}
	id := res.json(t)["twoFactorId"].(string)

	if r := twoFactorLogin(down, id, "000000", true); r.status != 421 || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("wrong code: %d %s, cookies %v", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	if now := traceAlice(t, down); now != before {
		t.Fatalf("a wrong code left traces: %+v → %+v", before, now)
	}

	res = twoFactorLogin(down, id, down.totp(totpTestSecret), true)
	if res.status != 200 || cookieValue(res, "access_token") == "" || cookieValue(res, "refresh_token_"+forumsApp) == "" {
		t.Fatalf("second step: %d %s", res.status, res.body)
	}
	body := res.json(t)
	if c := down.validate(body["token"].(string)); c["authenticationType"] != "OPENID_CONNECT" || c["sub"] != aliceID ||
		c["applicationId"] != forumsApp || body["refreshToken"] == nil {
		t.Fatalf("after the second factor: body %s, claims %v", res.body, c)
	}
	if now := traceAlice(t, down); now.sessions != before.sessions+1 || now.logins != before.logins+1 || now.lastLogin == before.lastLogin {
		t.Fatalf("the login was not recorded once: %+v → %+v", before, now)
	}
	ev := rec.waitMatch(t, func(d delivery) bool {
		u, _ := d.event["user"].(map[string]any)
		return d.event["type"] == events.UserLoginSuccess && u["id"] == aliceID && d.event["applicationId"] == forumsApp
	}).event
	if ev["authenticationType"] != "OPENID_CONNECT" || ev["identityProviderId"] != idpID || ev["identityProviderName"] != "Upstream" {
		t.Errorf("login event after the second factor: %v", ev)
	}

	// This device is trusted now: the next federated login skips the step.
	trust := cookieValue(res, "fusionauth.trust")
	if trust == "" {
		t.Fatalf("trustComputer set no trust cookie: %v", res.header.Values("Set-Cookie"))
	}
	res = idpLoginWith(down, upstreamCode(t, up, aliceEmail), map[string]string{"Cookie": "fusionauth.trust=" + trust})
	if res.status != 200 {
		t.Fatalf("federated login from a trusted device: %d %s", res.status, res.body)
	}
	if c := down.validate(res.json(t)["token"].(string)); c["authenticationType"] != "OPENID_CONNECT" {
		t.Fatalf("trusted device claims %v", c)
	}
}

// TestHostedSignInWithProviderTwoFactor (adversarial): "Sign in with
// Upstream" on the hosted page, for a user with an authenticator, ends on
// the hosted two-factor page as the page's password login does: no code,
// no SSO session, and no refresh token, login record or lastLoginInstant
// written. A wrong code shows the page again and changes nothing; the
// right code sends the browser back with a code whose tokens say
// authenticationType OPENID_CONNECT, and records the login; "trust this
// device" lets the next sign-in with the provider skip the step.
func TestHostedSignInWithProviderTwoFactor(t *testing.T) {
	down := newOAuthStack(t)
	enableTOTP(t, down)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	down.Clock.Advance(time.Minute)
	before := traceAlice(t, down)

	verifier, challenge := pkce("federated-2fa-")
	b := newBrowser(down)
	page := b.get(upstreamCallback(t, b, down, up, aliceEmail, challenge))
	if !isTwoFactorPage(page) || page.header.Get("Location") != "" || cookieValue(page, "latchkey_sso") != "" {
		t.Fatalf("after the provider: %d Location %q: %.400s", page.status, page.header.Get("Location"), page.body)
	}
	if now := traceAlice(t, down); now != before {
		t.Fatalf("the provider alone left traces: %+v → %+v", before, now)
	}
	if res := b.submitCode(page, "000000"); !isTwoFactorPage(res) || !strings.Contains(string(res.body), "The code is not correct") {
		t.Fatalf("wrong code: %d %.400s", res.status, res.body)
	}
	if now := traceAlice(t, down); now != before {
		t.Fatalf("a wrong code left traces: %+v → %+v", before, now)
	}

	res := b.submitCode(page, down.totp(totpTestSecret), "trustComputer", "true")
	cb := redirectQuery(t, res, forumsCallback)
	if cb.Get("code") == "" || cb.Get("state") != "st-1" {
		t.Fatalf("authorization response %v", cb)
	}
	tok := down.exchange(forumsApp, cb.Get("code"), forumsCallback, verifier)
	if id := idTokenClaims(t, tok); id["sub"] != aliceID {
		t.Fatalf("id token %v", id)
	}
	if c := jwtClaims(t, tok.json(t)["access_token"].(string)); c["authenticationType"] != "OPENID_CONNECT" {
		t.Fatalf("access token after the hosted second factor: %v", c)
	}
	if now := traceAlice(t, down); now.logins != before.logins+1 || now.lastLogin == before.lastLogin {
		t.Fatalf("the login was not recorded once: %+v → %+v", before, now)
	}

	// A browser holding only the trust cookie goes straight back to the client.
	trust := cookieValue(res, "fusionauth.trust")
	if trust == "" {
		t.Fatalf("no trust cookie: %v", res.header.Values("Set-Cookie"))
	}
	trusted := newBrowser(down)
	u, err := url.Parse(down.URL)
	must(t, err)
	trusted.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "fusionauth.trust", Value: trust, Path: "/"}})
	_, challenge = pkce("federated-trusted-")
	if _, q := signInWithUpstream(t, trusted, down, up, aliceEmail, challenge); q.Get("code") == "" {
		t.Fatalf("trusted browser: %v", q)
	}
}

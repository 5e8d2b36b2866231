package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// storeWithoutSecondFactor: the store asks no second factor
// (multiFactorConfiguration.loginPolicy Disabled); the forums keep the
// tenant's Enabled.
func storeWithoutSecondFactor(apps map[string]*storage.Application, _ *storage.Tenant) {
	apps[storeApp].MultiFactorConfiguration = &storage.ApplicationMultiFactorConfiguration{LoginPolicy: "Disabled"}
}

// TestSSOAsksTheSecondFactorTheApplicationRequires (adversarial): alice
// has an authenticator; the store asks no second factor, the forums do.
// Her SSO session from a password-only login at the store does not give
// the forums a code: the SSO hit shows the two-factor page (a wrong code
// shows it again), prompt=none answers login_required with no code, and
// nothing is written. The right code gives the code and a new SSO cookie
// whose session records the factor, so the next forums hit is a code at
// once; the old cookie, replayed elsewhere, still asks for the factor. A
// trusted device spares the step as it spares a password login's.
func TestSSOAsksTheSecondFactorTheApplicationRequires(t *testing.T) {
	s := newOAuthStack(t, storeWithoutSecondFactor)
	enableTOTP(t, s)
	verifier, challenge := pkce("sso-second-factor-")
	forums := "/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode()

	b := newBrowser(s)
	res := b.submitLogin(b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge).Encode()), aliceEmail, alicePass)
	redirectQuery(t, res, storeCallback) // the store asks for the password only
	oneFactor := cookieValue(res, "latchkey_sso")
	if oneFactor == "" {
		t.Fatal("no SSO cookie after the store's login")
	}
	tokensBefore, _ := s.Store.ListRefreshTokens(t.Context(), aliceID)

	page := b.get(forums)
	if !isTwoFactorPage(page) || page.header.Get("Location") != "" || cookieValue(page, "latchkey_sso") != "" {
		t.Fatalf("SSO to an application that asks a second factor: %d Location %q: %.400s", page.status, page.header.Get("Location"), page.body)
	}
	if res := b.submitCode(page, "000000"); !isTwoFactorPage(res) || !strings.Contains(string(res.body), "The code is not correct") {
		t.Fatalf("wrong code: %d %.300s", res.status, res.body)
	}
	none := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "prompt", "none").Encode())
	wantRedirectError(t, s, none, forumsCallback, "login_required", "multi_factor_challenge_required", "st-1")
	if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(tokensBefore) {
		t.Fatal("the refused SSO hits wrote a refresh token")
	}

	done := b.submitCode(page, s.totp(totpTestSecret))
	q := redirectQuery(t, done, forumsCallback)
	twoFactors := cookieValue(done, "latchkey_sso")
	if twoFactors == "" || twoFactors == oneFactor {
		t.Fatalf("the second factor did not replace the SSO cookie: %v", done.header.Values("Set-Cookie"))
	}
	if tok := s.exchange(forumsApp, q.Get("code"), forumsCallback, verifier); tok.status != 200 || tok.json(t)["id_token"] == nil {
		t.Fatalf("code after the second factor: %d %s", tok.status, tok.body)
	}
	// The new session records the factor: SSO is a code at once now,
	// prompt=none included.
	if q := redirectQuery(t, b.get(forums), forumsCallback); q.Get("code") == "" {
		t.Fatalf("SSO after the second factor: %v", q)
	}
	if q := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge, "prompt", "none").Encode()), forumsCallback); q.Get("code") == "" {
		t.Fatalf("prompt=none after the second factor: %v", q)
	}
	// The one-factor session's cookie, replayed, still asks for the factor.
	replay := newBrowser(s).send(http.MethodGet, forums, "", map[string]string{"Cookie": "latchkey_sso=" + oneFactor})
	if !isTwoFactorPage(replay) {
		t.Fatalf("the one-factor cookie replayed: %d Location %q", replay.status, replay.header.Get("Location"))
	}

	// A trusted device: a password-only store login there, then the
	// forums by SSO without the step, as a password login to the forums
	// would be.
	s.Clock.Advance(30 * time.Second)
	trusted := newBrowser(s)
	page = trusted.submitLogin(trusted.get(forums), aliceEmail, alicePass)
	redirectQuery(t, trusted.submitCode(page, s.totp(totpTestSecret), "trustComputer", "true"), forumsCallback)
	trusted.login(authzQuery(storeApp, storeCallback, challenge, "prompt", "login"))
	if q := redirectQuery(t, trusted.get(forums), forumsCallback); q.Get("code") == "" {
		t.Fatalf("SSO on a trusted device: %v", q)
	}
}

// TestSSOWithoutSecondFactorWhereNoneIsAsked: where the forums ask no
// second factor either (or the user has none), the SSO hit is a code at
// once, as before.
func TestSSOWithoutSecondFactorWhereNoneIsAsked(t *testing.T) {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Disabled",
			Authenticator: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	enableTOTP(t, s)
	_, challenge := pkce("sso-no-second-factor-")
	b := newBrowser(s)
	b.login(authzQuery(storeApp, storeCallback, challenge))
	if q := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(forumsApp, forumsCallback, challenge).Encode()), forumsCallback); q.Get("code") == "" {
		t.Fatalf("SSO where no second factor is asked: %v", q)
	}
}

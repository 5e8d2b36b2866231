package server_test

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSSOSecondFactorOfAFederatedSessionJudgedAsTheFederatedLogin
// (adversarial): dave signs in with Upstream at the forums, which ask no
// second factor; the provider created him without a password. He then
// gets an authenticator and an administrator sets passwordChangeRequired
// (which a federated login of a user without a password never answers
// 203, TestIdentityProviderLoginPasswordChangeAndUnverifiedEmail). His
// SSO hit at the store, which asks the second factor, shows the two-factor
// page; after the right code it is judged by the rules of the federated
// login the session continues, not by a password login's: the client gets
// a code whose tokens say OPENID_CONNECT, not the change-password page.
func TestSSOSecondFactorOfAFederatedSessionJudgedAsTheFederatedLogin(t *testing.T) {
	down := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].MultiFactorConfiguration = &storage.ApplicationMultiFactorConfiguration{LoginPolicy: "Disabled"}
	})
	up := newUpstream(t, upstreamUser{"dave@example.test", true})
	federate(t, down, up, "LinkByEmail")
	verifier, challenge := pkce("sso-federated-second-factor-")
	b := newBrowser(down)
	if _, q := signInWithUpstream(t, b, down, up, "dave@example.test", challenge); q.Get("code") == "" {
		t.Fatalf("sign in with Upstream at the forums: %v", q)
	}
	dave, err := down.Store.FindUser(t.Context(), storage.UserFilter{TenantID: tenantID, Email: "dave@example.test"})
	must(t, err)
	must(t, down.Store.CreateRegistration(t.Context(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000d4",
		ApplicationID: storeApp, UserID: dave.ID, Roles: []string{"user"}}))
	wantStatus(t, down.do(call{method: "POST", path: "/api/user/two-factor/" + dave.ID, hdr: admin,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + down.totp(totpTestSecret) + `"}`}), 200)
	requirePasswordChange(t, down, dave.ID)
	down.Clock.Advance(30 * time.Second) // a TOTP code is accepted once

	page := b.get("/oauth2/authorize?" + authzQuery(storeApp, storeCallback, challenge).Encode())
	if !isTwoFactorPage(page) {
		t.Fatalf("SSO hit at the store: %d Location %q: %.400s", page.status, page.header.Get("Location"), page.body)
	}
	done := b.submitCode(page, down.totp(totpTestSecret))
	q := redirectQuery(t, done, storeCallback)
	tok := down.exchange(storeApp, q.Get("code"), storeCallback, verifier)
	if c := jwtClaims(t, tok.json(t)["access_token"].(string)); c["sub"] != dave.ID || c["authenticationType"] != "OPENID_CONNECT" {
		t.Fatalf("access token after the SSO second factor: %v", c)
	}
}

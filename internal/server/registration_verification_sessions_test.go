package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// registrationUnverifiedText is the hosted page's 213 message (en).
const registrationUnverifiedText = "Confirm your registration first"

// forumsVerifiesRegistrations is a stack whose Forums application verifies
// registrations; alice's Forums registration is stored unverified, her
// Store registration needs none.
func forumsVerifiesRegistrations(t *testing.T) *stack {
	s := newOAuthStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[forumsApp].VerifyRegistration = true
	})
	regs, err := s.Store.ListRegistrations(t.Context(), aliceID)
	must(t, err)
	for _, r := range regs {
		if r.ApplicationID == forumsApp && r.Verified {
			t.Fatal("setup: alice's Forums registration is verified")
		}
	}
	return s
}

// TestSingleSignOnRespectsRegistrationVerification (adversarial): a single
// sign-on session started at the Store does not open Forums, whose
// registration of the user is not verified: the hosted page shows the 213
// message (as Forums' own password login does) and no code; with
// prompt=none, access_denied/registration_not_verified. Before, the session
// answered Forums with a code, and the code with tokens.
func TestSingleSignOnRespectsRegistrationVerification(t *testing.T) {
	s := forumsVerifiesRegistrations(t)
	_, challenge := pkce("sso-unverified-")
	b := newBrowser(s)
	b.login(authzQuery(storeApp, storeCallback, challenge))
	res := b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge).Encode())
	if res.status != http.StatusOK || res.header.Get("Location") != "" || !strings.Contains(string(res.body), registrationUnverifiedText) {
		t.Fatalf("SSO into an unverified registration: %d %q", res.status, res.header.Get("Location"))
	}
	res = b.get("/oauth2/authorize?" + authzQuery(forumsApp, forumsCallback, challenge, "prompt", "none").Encode())
	wantRedirectError(t, s, res, forumsCallback, "access_denied", "registration_not_verified", "st-1")
	// The Store, which verifies no registration, still opens at once.
	if q := redirectQuery(t, b.get("/oauth2/authorize?"+authzQuery(storeApp, storeCallback, challenge).Encode()), storeCallback); q.Get("code") == "" {
		t.Fatalf("SSO into the Store: %v", q)
	}
}

// TestFederatedLoginRespectsRegistrationVerification (adversarial): a
// sign-in through an identity provider (here by idp_hint) of a user whose
// Forums registration is not verified ends on the 213 message, with no
// code, as her password login does. Before, it ended with a code.
func TestFederatedLoginRespectsRegistrationVerification(t *testing.T) {
	down := forumsVerifiesRegistrations(t)
	up := newUpstream(t, upstreamUser{aliceEmail, true})
	federate(t, down, up, "LinkByEmail")
	_, challenge := pkce("federated-unverified-")
	b := newBrowser(down)
	_, loc := hintedRedirect(t, b, up, challenge, "idp_hint", idpID)
	if loc == "" {
		t.Fatal("setup: no redirect to the provider")
	}
	v := formFields(t, b.get(loc))
	v.Set("loginId", aliceEmail)
	v.Set("password", alicePass)
	back := b.send(http.MethodPost, up.URL+"/oauth2/authorize", v.Encode(), map[string]string{"Origin": up.URL})
	callback := back.header.Get("Location")
	if !strings.HasPrefix(callback, down.URL+"/oauth2/callback?") {
		t.Fatalf("setup: upstream answer %d %q", back.status, callback)
	}
	res := b.get(callback)
	if strings.Contains(res.header.Get("Location"), "code=") || !strings.Contains(string(res.body), registrationUnverifiedText) {
		t.Fatalf("federated login into an unverified registration: %d %q %.300s", res.status, res.header.Get("Location"), res.body)
	}
}

// TestPasswordlessLoginRespectsRegistrationVerification (adversarial): a
// passwordless login (a code mailed, no password) into an application
// whose registration of the user is not verified answers 213 with no
// token and no refresh cookie, as the password login does.
func TestPasswordlessLoginRespectsRegistrationVerification(t *testing.T) {
	s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
		apps[storeApp].VerifyRegistration = true
	})
	res := s.passwordless(s.passwordlessCode(), nil)
	if res.status != 213 || cookieValue(res, "refresh_token") != "" || res.json(t)["token"] != nil {
		t.Fatalf("passwordless login into an unverified registration: %d %s", res.status, res.body)
	}
}

// TestOneTimePasswordLoginRespectsRegistrationVerification (adversarial):
// the oneTimePassword a password change answers logs in without a
// password; into an application whose registration of the user is not
// verified it answers 213 with no token and no refresh cookie. Before, it
// answered 200 with both.
func TestOneTimePasswordLoginRespectsRegistrationVerification(t *testing.T) {
	s := newMailStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].VerifyRegistration = true
	})
	id := s.forgotID(`{"from":"/cart"}`)
	res := s.do(call{method: "POST", path: "/api/user/change-password/" + id, body: `{"password":"a brand new passphrase"}`})
	if res.status != 200 {
		t.Fatalf("change password: %d %s", res.status, res.body)
	}
	otp := res.json(t)["oneTimePassword"].(string)
	login := s.do(call{method: "POST", path: "/api/login", body: `{"oneTimePassword":"` + otp + `","applicationId":"` + storeApp + `"}`})
	if login.status != 213 || cookieValue(login, "refresh_token") != "" || login.json(t)["token"] != nil {
		t.Fatalf("one-time-password login into an unverified registration: %d %s", login.status, login.body)
	}
}

// TestJWTIssueRespectsRegistrationVerification (adversarial): trading a
// Store token at /api/jwt/issue for one of Forums, whose registration of
// the user is not verified, answers 202 with no token, as for a user not
// registered there. Before, it answered a Forums token with its roles.
func TestJWTIssueRespectsRegistrationVerification(t *testing.T) {
	s := forumsVerifiesRegistrations(t)
	src := s.login(storeApp, nil).json(t)["token"].(string)
	res := s.do(call{method: "GET", path: "/api/jwt/issue?applicationId=" + forumsApp, hdr: map[string]string{"Authorization": "Bearer " + src}})
	if res.status != 202 || strings.Contains(string(res.body), "token") {
		t.Fatalf("issue into an unverified registration: %d %s", res.status, res.body)
	}
}

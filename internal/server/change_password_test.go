package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// forgotID asks for alice's changePasswordId with the API key (no mail).
func (s *stack) forgotID(state string) string {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/user/forgot-password", hdr: admin,
		body: `{"loginId":"` + aliceEmail + `","applicationId":"` + storeApp + `","sendForgotPasswordMessage":false,"state":` + state + `}`})
	if res.status != 200 {
		s.t.Fatalf("forgot password: %d %s", res.status, res.body)
	}
	return res.json(s.t)["changePasswordId"].(string)
}

// revokeOnPasswordChange is FusionAuth's default
// refreshTokenRevocationPolicy.onPasswordChanged, which newStack's tenant
// leaves off.
func revokeOnPasswordChange(_ map[string]*storage.Application, tn *storage.Tenant) {
	tn.JWTConfiguration.RefreshTokenRevocationPolicy.OnPasswordChanged = true
}

func (s *stack) refresh(token string) int {
	s.t.Helper()
	return s.do(call{method: "POST", path: "/api/jwt/refresh", body: `{"refreshToken":"` + token + `"}`}).status
}

func (s *stack) loginWith(pw string) result {
	s.t.Helper()
	return s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"` + pw + `","applicationId":"` + storeApp + `"}`})
}

// TestChangePasswordWithID walks FusionAuth's reset: the changePasswordId
// changes the password once (golden: the oneTimePassword and the forgot
// state); in the same transaction every session is revoked and the
// password-update notice queued; the oneTimePassword logs in once with a
// refresh cookie and the state; the old password, the used id and the used
// oneTimePassword are all refused.
func TestChangePasswordWithID(t *testing.T) {
	s := newMailStack(t, revokeOnPasswordChange)
	old := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	id := s.forgotID(`{"from":"/cart"}`)
	if res := s.do(call{method: "GET", path: "/api/user/change-password/" + id}); res.status != 200 {
		t.Fatalf("check the id: %d", res.status)
	}
	res := s.do(call{method: "POST", path: "/api/user/change-password/" + id, body: `{"password":"a brand new passphrase"}`})
	if res.status != 200 {
		t.Fatalf("change password: %d %s", res.status, res.body)
	}
	tokenGolden(t, "change_password_200", res.body)
	otp := res.json(t)["oneTimePassword"].(string)
	if s.liveSessions(aliceID) != 0 || s.refresh(old) != 404 {
		t.Fatalf("the old session survived the change: %d live", s.liveSessions(aliceID))
	}
	if m := s.mailTo(aliceEmail, 1)[0]; m.Subject != "Your password was changed" {
		t.Fatalf("notice %q", m.Subject)
	}
	again := s.do(call{method: "POST", path: "/api/user/change-password", body: `{"changePasswordId":"` + id + `","password":"another passphrase!"}`})
	if again.status != 404 || len(again.body) != 0 {
		t.Fatalf("a used changePasswordId: %d %q", again.status, again.body)
	}
	if res := s.do(call{method: "GET", path: "/api/user/change-password/" + id}); res.status != 404 {
		t.Fatalf("check a used id: %d", res.status)
	}

	login := s.do(call{method: "POST", path: "/api/login", body: `{"oneTimePassword":"` + otp + `","applicationId":"` + storeApp + `"}`})
	if login.status != 200 || cookieValue(login, "refresh_token") == "" {
		t.Fatalf("one-time-password login: %d %s", login.status, login.body)
	}
	tokenGolden(t, "login_one_time_password", login.body)
	if res := s.do(call{method: "POST", path: "/api/login", body: `{"oneTimePassword":"` + otp + `"}`}); res.status != 404 {
		t.Fatalf("a used oneTimePassword: %d", res.status)
	}
	if s.loginWith(alicePass).status != 404 || s.loginWith("a brand new passphrase").status != 200 {
		t.Fatal("the old password still works, or the new one does not")
	}
}

// TestChangePasswordRefusals (adversarial): an unknown, expired or
// malformed id is the same empty 404 and changes nothing; a password
// breaking the policy is 400 with FusionAuth's field errors on "password"
// (golden) and consumes nothing; a remembered password is [previouslyUsed].
func TestChangePasswordRefusals(t *testing.T) {
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.PasswordValidationRules.RememberPreviousPasswords = storage.RememberPreviousPasswords{Enabled: true, Count: 3}
		tn.PasswordValidationRules.BreachDetection.Enabled = true
	})
	change := func(id, pw string) result {
		return s.do(call{method: "POST", path: "/api/user/change-password/" + id, body: `{"password":"` + pw + `"}`})
	}
	id := s.forgotID(`{}`)
	for name, c := range map[string]struct{ id, pw, golden string }{
		"too short":         {id, "short", "change-password-too-short"},
		"the same password": {id, alicePass, "change-password-previously-used"},
		"a common password": {id, "password123", "change-password-breached"},
		"blank":             {id, "", "change-password-blank"},
	} {
		res := change(c.id, c.pw)
		if res.status != 400 {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
		managementGolden(t, c.golden, res.status, res.body)
	}
	for name, bad := range map[string]string{"unknown": "bm9wZQ", "too long": strings.Repeat("a", 300)} {
		if res := change(bad, "a brand new passphrase"); res.status != 404 {
			t.Fatalf("%s id: %d %s", name, res.status, res.body)
		}
	}
	s.Clock.Advance(601 * time.Second) // changePasswordIdTimeToLiveInSeconds: 600
	if res := change(id, "a brand new passphrase"); res.status != 404 {
		t.Fatalf("expired id: %d", res.status)
	}
	if s.loginWith(alicePass).status != 200 {
		t.Fatal("a refused change changed the password")
	}
}

// TestChangePasswordOnceUnderConcurrency (adversarial): one
// changePasswordId spent by eight requests at once changes the password
// exactly once; every other request is the 404 of a used id.
func TestChangePasswordOnceUnderConcurrency(t *testing.T) {
	s := newStack(t)
	id := s.forgotID(`{}`)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			codes[i] = s.do(call{method: "POST", path: "/api/user/change-password/" + id,
				body: `{"password":"passphrase number ` + string(rune('a'+i)) + `"}`}).status
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 404:
		default:
			t.Fatalf("status %d (all: %v)", c, codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d changes succeeded, want exactly 1: %v", ok, codes)
	}
}

// TestChangePasswordWithJWT: the access-token mode needs the current
// password (a wrong one is the empty 404 and counts toward the lockout);
// the answer's oneTimePassword continues the caller's session: the refresh
// cookie presented with the change is revoked like every other, and the
// login with the oneTimePassword gets a new one from the original start.
func TestChangePasswordWithJWT(t *testing.T) {
	s := newStack(t, revokeOnPasswordChange)
	first := s.login(storeApp, nil)
	jwt, rt := first.json(t)["token"].(string), cookieValue(first, "refresh_token")
	other := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	bearer := map[string]string{"Authorization": "Bearer " + jwt, "Cookie": "refresh_token=" + rt}
	res := s.do(call{method: "POST", path: "/api/user/change-password", hdr: bearer, body: `{"currentPassword":"wrong","password":"a brand new passphrase"}`})
	if res.status != 404 {
		t.Fatalf("wrong current password: %d %s", res.status, res.body)
	}
	f, err := s.Store.GetLoginFailures(context.Background(), aliceID)
	must(t, err)
	if f.Count != 1 {
		t.Fatalf("failure count %d after a wrong current password, want 1", f.Count)
	}
	res = s.do(call{method: "POST", path: "/api/user/change-password", hdr: bearer, body: `{"password":"a brand new passphrase"}`})
	managementGolden(t, "change-password-jwt-blank-current", res.status, res.body)
	if res := s.do(call{method: "GET", path: "/api/user/change-password", hdr: bearer}); res.status != 200 {
		t.Fatalf("check with a JWT: %d", res.status)
	}
	if res := s.do(call{method: "GET", path: "/api/user/change-password", hdr: map[string]string{"Authorization": "Bearer nope"}}); res.status != 401 {
		t.Fatalf("check with a bad JWT: %d", res.status)
	}

	res = s.do(call{method: "POST", path: "/api/user/change-password", hdr: bearer,
		body: `{"currentPassword":"` + alicePass + `","password":"a brand new passphrase"}`})
	if res.status != 200 {
		t.Fatalf("change with a JWT: %d %s", res.status, res.body)
	}
	otp := res.json(t)["oneTimePassword"].(string)
	if s.refresh(rt) != 404 || s.refresh(other) != 404 {
		t.Fatal("a session survived the change")
	}
	s.Clock.Advance(30 * time.Second)
	login := s.do(call{method: "POST", path: "/api/login", body: `{"oneTimePassword":"` + otp + `"}`})
	next := cookieValue(login, "refresh_token")
	if login.status != 200 || next == "" {
		t.Fatalf("one-time-password login: %d %s", login.status, login.body)
	}
	tok, err := s.Srv.Auth.FindRefreshToken(context.Background(), next)
	must(t, err)
	if start := s.Clock.Now().Add(-30 * time.Second); !tok.StartInstant.Equal(start) {
		t.Fatalf("the new session starts at %s, want the original session's start %s", tok.StartInstant, start)
	}
}

// TestChangePasswordWithKey: an API key changes a password by login id
// with no body in the answer; an unknown login id and a wrong current
// password are FusionAuth's field errors; without a key a login id is 401.
func TestChangePasswordWithKey(t *testing.T) {
	s := newStack(t)
	for _, c := range []struct {
		name, body, golden string
		hdr                map[string]string
		want               int
	}{
		{"no key", `{"loginId":"alice","password":"a brand new passphrase"}`, "", nil, 401},
		{"unknown login id", `{"loginId":"nobody","password":"a brand new passphrase"}`, "change-password-key-unknown", admin, 400},
		{"wrong current", `{"loginId":"alice","currentPassword":"nope","password":"a brand new passphrase"}`, "change-password-key-wrong-current", admin, 400},
		{"no mode", `{"password":"a brand new passphrase"}`, "change-password-no-mode", nil, 400},
		{"right", `{"loginId":"alice","currentPassword":"` + alicePass + `","password":"a brand new passphrase"}`, "", admin, 200},
	} {
		res := s.do(call{method: "POST", path: "/api/user/change-password", hdr: c.hdr, body: c.body})
		if res.status != c.want {
			t.Fatalf("%s: %d %s", c.name, res.status, res.body)
		}
		if c.golden != "" {
			managementGolden(t, c.golden, res.status, res.body)
		}
		if c.want == 200 && len(res.body) != 0 {
			t.Fatalf("the API-key mode answered a body: %s", res.body)
		}
	}
	if s.loginWith("a brand new passphrase").status != 200 {
		t.Fatal("the new password does not log in")
	}
	for path, want := range map[string]int{"/api/user/change-password?loginId=alice": 200, "/api/user/change-password?loginId=nobody": 404,
		"/api/user/change-password": 400} {
		res := s.do(call{method: "GET", path: path, hdr: admin})
		if res.status != want {
			t.Fatalf("GET %s: %d, want %d", path, res.status, want)
		}
	}
	res := s.do(call{method: "GET", path: "/api/user/change-password?loginId=alice"})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("check by login id without a key: %d", res.status)
	}
}

// TestUserByChangePasswordID: GET /api/user?changePasswordId= (API key)
// finds the user without consuming the id.
func TestUserByChangePasswordID(t *testing.T) {
	s := newStack(t)
	id := s.forgotID(`{}`)
	for range 2 {
		res := s.do(call{method: "GET", path: "/api/user?changePasswordId=" + id, hdr: admin})
		if res.status != 200 || res.json(t)["user"].(map[string]any)["id"] != aliceID {
			t.Fatalf("user by changePasswordId: %d %s", res.status, res.body)
		}
	}
	if res := s.do(call{method: "GET", path: "/api/user?changePasswordId=nope", hdr: admin}); res.status != 404 {
		t.Fatalf("unknown id: %d", res.status)
	}
}

// otpLogin is POST /api/login with a oneTimePassword for the Store, with
// hdr (a trust cookie).
func (s *stack) otpLogin(otp string, hdr map[string]string) result {
	s.t.Helper()
	return s.do(call{method: "POST", path: "/api/login", hdr: hdr,
		body: `{"oneTimePassword":"` + otp + `","applicationId":"` + storeApp + `"}`})
}

// resetOTP walks forgot password and change password for alice and
// returns the answer's oneTimePassword; alice has two-factor methods here,
// so each change spends the trustToken of a step-up first
// (TestChangePasswordNeedsTrustToken).
func (s *stack) resetOTP(newPassword string) string {
	s.t.Helper()
	trust := s.stepUpTrust("")
	res := s.do(call{method: "POST", path: "/api/user/change-password/" + s.forgotID(`{}`),
		body: `{"password":"` + newPassword + `","trustToken":"` + trust + `"}`})
	if res.status != 200 {
		s.t.Fatalf("change password: %d %s", res.status, res.body)
	}
	return res.json(s.t)["oneTimePassword"].(string)
}

// TestOneTimePasswordLoginAsksForSecondFactor (adversarial): whoever reads
// alice's mailbox can reset her password, but the change-password answer's
// oneTimePassword does not skip her authenticator. Its login answers 242
// with the same body as a password login's (twoFactorId and methods, golden
// login-242): no token, no cookie, no refresh token, login record or
// lastLoginInstant written; the oneTimePassword is spent. A wrong code is
// 421 and issues nothing; the right one issues the one-time-password login
// (authenticationType ONE_TIME_PASSWORD, the refresh cookie). A trusted
// device is no way around it: every oneTimePassword comes from a password
// change, which ends every trust (TestTrustEndsWithPasswordChange; the
// trust that does skip the step is TestOneTimePasswordLoginSecondFactor's).
// Alice without a second factor logs in at once (TestChangePasswordWithID).
func TestOneTimePasswordLoginAsksForSecondFactor(t *testing.T) {
	s := newStack(t)
	enableTOTP(t, s)
	// The step-up the change needs is a login of its own: traced before.
	trustToken := s.stepUpTrust("")
	s.Clock.Advance(time.Minute) // a login now would write a later lastLoginInstant
	before := traceAlice(t, s)

	res := s.do(call{method: "POST", path: "/api/user/change-password/" + s.forgotID(`{}`),
		body: `{"password":"a brand new passphrase","trustToken":"` + trustToken + `"}`})
	if res.status != 200 {
		t.Fatalf("change password: %d %s", res.status, res.body)
	}
	otp := res.json(t)["oneTimePassword"].(string)
	res = s.otpLogin(otp, nil)
	if res.status != 242 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("one-time-password login of a two-factor user: %d %s, cookies %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	managementGolden(t, "login-242", res.status, methodIDs(twoFactorID(res.body)))
	if now := traceAlice(t, s); now != before {
		t.Fatalf("the 242 left traces: %+v → %+v", before, now)
	}
	if again := s.otpLogin(otp, nil); again.status != 404 {
		t.Fatalf("the oneTimePassword again after the 242: %d %s", again.status, again.body)
	}
	id := res.json(t)["twoFactorId"].(string)

	if r := twoFactorLogin(s, id, "000000", true); r.status != 421 || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("wrong code: %d %s, cookies %v", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	if now := traceAlice(t, s); now != before {
		t.Fatalf("a wrong code left traces: %+v → %+v", before, now)
	}

	res = twoFactorLogin(s, id, s.totp(totpTestSecret), true)
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("second step: %d %s", res.status, res.body)
	}
	if c := s.validate(res.json(t)["token"].(string)); c["authenticationType"] != "ONE_TIME_PASSWORD" || c["sub"] != aliceID {
		t.Fatalf("after the second factor: claims %v", c)
	}
	if now := traceAlice(t, s); now.sessions != before.sessions+1 || now.logins != before.logins+1 || now.lastLogin == before.lastLogin {
		t.Fatalf("the login was not recorded once: %+v → %+v", before, now)
	}

	trust := cookieValue(res, "fusionauth.trust")
	if trust == "" {
		t.Fatalf("trustComputer set no trust cookie: %v", res.header.Values("Set-Cookie"))
	}
	res = s.otpLogin(s.resetOTP("another new passphrase"), map[string]string{"Cookie": "fusionauth.trust=" + trust})
	if res.status != 242 || cookieValue(res, "access_token") != "" || cookieValue(res, "refresh_token") != "" {
		t.Fatalf("a trust from before the reset: %d %s %v; a password change ends every trust", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	s.Clock.Advance(30 * time.Second) // a TOTP code is accepted once
	res = twoFactorLogin(s, res.json(t)["twoFactorId"].(string), s.totp(totpTestSecret), false)
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("second step after the second reset: %d %s", res.status, res.body)
	}
}

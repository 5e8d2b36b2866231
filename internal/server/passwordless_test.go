package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func passwordlessStack(t *testing.T) *stack {
	return newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
	})
}

func (s *stack) passwordlessCode() string {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","loginId":"` + aliceEmail + `","state":{"from":"test"}}`})
	if res.status != 200 {
		s.t.Fatalf("start: %d %s", res.status, res.body)
	}
	return res.json(s.t)["code"].(string)
}

func (s *stack) passwordless(code string, hdr map[string]string) result {
	return s.do(call{method: "POST", path: "/api/passwordless/login", hdr: hdr, body: `{"code":"` + code + `"}`})
}

func TestPasswordlessLogin(t *testing.T) {
	s := passwordlessStack(t)
	code := s.passwordlessCode()
	if len(code) != 43 {
		t.Fatalf("code %q is not 256 bits of base64url", code)
	}
	res := s.passwordless(code, nil)
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	body := res.json(t)
	if c := s.validate(body["token"].(string)); c["authenticationType"] != "PASSWORDLESS" {
		t.Fatalf("claims %v", c)
	}
	if st, _ := body["state"].(map[string]any); st["from"] != "test" {
		t.Fatalf("state not returned: %s", res.body)
	}
	tokenGolden(t, "passwordless_login_200", res.body)
	// Single use.
	if res := s.passwordless(code, nil); res.status != 404 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("reused code: %d", res.status)
	}
	// Expired after 180 s.
	old := s.passwordlessCode()
	s.Clock.Advance(181 * time.Second)
	if res := s.passwordless(old, nil); res.status != 404 {
		t.Fatalf("expired code: %d", res.status)
	}
	// Stored as a hash only: the code is nowhere in the challenge row.
	code = s.passwordlessCode()
	if _, err := s.Store.GetChallenge(t.Context(), storage.ChallengePasswordless, []byte(code), s.Clock.Now()); err == nil {
		t.Fatal("a challenge is stored under the raw code")
	}
	// Bad input.
	for _, b := range []string{`{}`, `{"code":""}`, `{"code":1}`, `nope`} {
		if res := s.do(call{method: "POST", path: "/api/passwordless/login", body: b}); res.status != 400 {
			t.Errorf("%s: %d", b, res.status)
		}
	}
}

// TestPasswordlessNoEnumeration: without an API key, start answers the
// same for an existing and an unknown login id, and never a code.
func TestPasswordlessNoEnumeration(t *testing.T) {
	s := passwordlessStack(t)
	var bodies []string
	for _, login := range []string{aliceEmail, "nobody@example.test"} {
		res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Origin": storeSite},
			body: `{"applicationId":"` + storeApp + `","loginId":"` + login + `"}`})
		if res.status != 200 {
			t.Fatalf("%s: %d %s", login, res.status, res.body)
		}
		bodies = append(bodies, string(res.body))
	}
	if bodies[0] != bodies[1] || bodies[0] != "{}\n" {
		t.Fatalf("keyless answers differ or carry a code: %q", bodies)
	}
	// With a key an unknown user is FusionAuth's 404.
	res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","loginId":"nobody@example.test"}`})
	if res.status != 404 {
		t.Fatalf("API key, unknown user: %d", res.status)
	}
	// send answers 200 for any well-formed code.
	if res := s.do(call{method: "POST", path: "/api/passwordless/send", body: `{"code":"unknown"}`}); res.status != 200 {
		t.Fatalf("send unknown: %d", res.status)
	}
	// An application without passwordless enabled.
	res = s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + forumsApp + `","loginId":"` + aliceEmail + `"}`})
	managementGolden(t, "passwordless-start-disabled", res.status, res.body)
}

func TestPasswordlessRateLimited(t *testing.T) {
	s := passwordlessStack(t)
	for range 5 {
		s.passwordlessCode()
	}
	res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","loginId":"` + aliceEmail + `"}`})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("sixth code in a minute: %d %s", res.status, res.body)
	}
	s.Clock.Advance(61 * time.Second)
	s.passwordlessCode()
}

// TestTwoFactorAfterPasswordless: a user with an authenticator who logs in
// with a passwordless code gets 242 and no token; the second step answers
// like /api/login; trustComputer lets the next login skip it.
func TestTwoFactorAfterPasswordless(t *testing.T) {
	s := passwordlessStack(t)
	jwt := s.jwtFor()
	res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite},
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
	var enabled struct{ RecoveryCodes []string }
	must(t, json.Unmarshal(res.body, &enabled))

	res = s.passwordless(s.passwordlessCode(), nil)
	if res.status != 242 || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("passwordless for a two-factor user: %d %s", res.status, res.body)
	}
	managementGolden(t, "two-factor-242", res.status, methodIDs(twoFactorID(res.body)))
	id := res.json(t)["twoFactorId"].(string)
	if n, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(n) != 1 { // the JWT login's only
		t.Fatalf("242 wrote a refresh token: %d tokens", len(n))
	}
	// The code of the step used at enrolment is spent: the next step's works.
	if res := s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `"}`}); res.status != 421 {
		t.Fatalf("replayed enrolment code: %d", res.status)
	}
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "POST", path: "/api/two-factor/login",
		body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `","trustComputer":true}`})
	if res.status != 200 || cookieValue(res, "refresh_token") == "" || cookieValue(res, "fusionauth.trust") == "" {
		t.Fatalf("second step: %d %s %v", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	tokenGolden(t, "two_factor_login_200", res.body)
	trust := cookieValue(res, "fusionauth.trust")
	// With the trust cookie, the next passwordless login skips the second step.
	res = s.passwordless(s.passwordlessCode(), map[string]string{"Cookie": "fusionauth.trust=" + trust})
	if res.status != 200 {
		t.Fatalf("trusted device: %d %s", res.status, res.body)
	}
	// Without it, 242 again; a recovery code works once.
	res = s.passwordless(s.passwordlessCode(), nil)
	id = res.json(t)["twoFactorId"].(string)
	if res := s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + enabled.RecoveryCodes[0] + `"}`}); res.status != 200 {
		t.Fatalf("recovery code: %d %s", res.status, res.body)
	}
	res = s.passwordless(s.passwordlessCode(), nil)
	id = res.json(t)["twoFactorId"].(string)
	if res := s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + enabled.RecoveryCodes[0] + `"}`}); res.status != 421 {
		t.Fatalf("reused recovery code: %d", res.status)
	}
}

// twoFactorID replaces the random twoFactorId for the golden file.
func twoFactorID(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["twoFactorId"] = "<twoFactorId>"
	b, _ := json.Marshal(m)
	return b
}

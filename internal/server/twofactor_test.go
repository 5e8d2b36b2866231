package server_test

import (
	"encoding/json"
	"github.com/latchkeyhq/latchkey/internal/config"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Two-factor enrolment through the API (FusionAuth two-factor.mdx), by the
// user's JWT and by an API key.

const totpTestSecret = "8MJJfCY4ERBtotvenSc3"

// jwtFor logs alice into the Store and returns her access token.
func (s *stack) jwtFor() string {
	s.t.Helper()
	res := s.login(storeApp, map[string]string{"Authorization": apiKey})
	if res.status != 200 {
		s.t.Fatalf("login: %d %s", res.status, res.body)
	}
	return res.json(s.t)["token"].(string)
}

func (s *stack) totp(secret string) string {
	return auth.TOTPCode(secret, auth.TOTPStep(s.Clock.Now()))
}

var recoveryRE = regexp.MustCompile(`^[A-Z2-9]{5}-[A-Z2-9]{5}$`)

// methodIDs replaces two-factor method ids (random, four characters) for
// the golden files.
func methodIDs(body []byte) []byte {
	return regexp.MustCompile(`"id":"[A-Z0-9]{4}"`).ReplaceAll(body, []byte(`"id":"<methodId>"`))
}

func TestTwoFactorEnrolmentByJWT(t *testing.T) {
	s := newStack(t)
	jwt := s.jwtFor()
	bearer := map[string]string{"Authorization": "Bearer " + jwt, "Origin": storeSite}

	res := s.do(call{method: "GET", path: "/api/two-factor/secret", hdr: bearer})
	sec := res.json(t)
	if res.status != 200 || len(sec["secret"].(string)) != 20 || sec["secretBase32Encoded"] != auth.TOTPBase32(sec["secret"].(string)) {
		t.Fatalf("secret: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "GET", path: "/api/two-factor/secret", hdr: map[string]string{"Authorization": apiKey}})
	if res.status != 200 {
		t.Fatalf("secret with an API key: %d", res.status)
	}
	if res := s.do(call{method: "GET", path: "/api/two-factor/secret"}); res.status != 401 {
		t.Fatalf("secret without credentials: %d", res.status)
	}

	// Wrong code: 421, empty, nothing stored.
	res = s.do(call{method: "POST", path: "/api/user/two-factor", hdr: bearer,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"000000"}`})
	if res.status != 421 || len(res.body) != 0 {
		t.Fatalf("wrong code: %d %q", res.status, res.body)
	}
	// Validation: FusionAuth's field errors.
	res = s.do(call{method: "POST", path: "/api/user/two-factor", hdr: bearer, body: `{"method":"authenticator"}`})
	managementGolden(t, "two-factor-enable-400", res.status, res.body)

	// Right code: 200 with ten recovery codes, once.
	res = s.do(call{method: "POST", path: "/api/user/two-factor", hdr: bearer,
		body: `{"method":"authenticator","secretBase32Encoded":"` + auth.TOTPBase32(totpTestSecret) + `","code":"` + s.totp(totpTestSecret) + `","name":"Phone"}`})
	var enabled struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	must(t, json.Unmarshal(res.body, &enabled))
	if res.status != 200 || len(enabled.RecoveryCodes) != 10 {
		t.Fatalf("enable: %d %s", res.status, res.body)
	}
	for _, c := range enabled.RecoveryCodes {
		if !recoveryRE.MatchString(c) {
			t.Fatalf("recovery code %q is not XXXXX-XXXXX", c)
		}
	}
	// The methods list never carries the secret.
	res = s.do(call{method: "GET", path: "/api/user/two-factor", hdr: bearer})
	managementGolden(t, "two-factor-methods", res.status, methodIDs(res.body))
	methods, err := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
	must(t, err)
	if len(methods) != 1 || string(methods[0].Secret) == totpTestSecret || len(methods[0].Secret) < 40 {
		t.Fatalf("stored method: %+v", methods)
	}
	// A second method answers {} (no new recovery codes).
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"method":"authenticator","secret":"ANOTHERSECRETVALUE12","code":"` + s.totp("ANOTHERSECRETVALUE12") + `"}`})
	if res.status != 200 || string(res.body) != "{}\n" {
		t.Fatalf("second method: %d %s", res.status, res.body)
	}

	// Recovery codes: GET is always empty (stored hashed), POST makes a new set.
	res = s.do(call{method: "GET", path: "/api/user/two-factor/recovery-code/" + aliceID, hdr: map[string]string{"Authorization": apiKey}})
	managementGolden(t, "two-factor-recovery-get", res.status, res.body)
	res = s.do(call{method: "POST", path: "/api/user/two-factor/recovery-code/" + aliceID,
		hdr: map[string]string{"Authorization": apiKey, "Content-Type": "text/plain"}})
	var fresh struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	must(t, json.Unmarshal(res.body, &fresh))
	if res.status != 200 || len(fresh.RecoveryCodes) != 10 {
		t.Fatalf("new recovery codes: %d %s", res.status, res.body)
	}

	// Disable one method with its current code; an old recovery code is
	// no longer valid; a new one removes everything.
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "DELETE", path: "/api/user/two-factor?methodId=" + methods[0].ID + "&code=" + s.totp(totpTestSecret), hdr: bearer})
	if res.status != 200 {
		t.Fatalf("disable with a code: %d %s", res.status, res.body)
	}
	left, _ := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
	if len(left) != 1 {
		t.Fatalf("methods after disabling one: %d", len(left))
	}
	res = s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"methodId":"` + left[0].ID + `","code":"` + enabled.RecoveryCodes[0] + `"}`})
	if res.status != 421 {
		t.Fatalf("a replaced recovery code: %d", res.status)
	}
	res = s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"methodId":"` + left[0].ID + `","code":"` + fresh.RecoveryCodes[3] + `"}`})
	if res.status != 200 {
		t.Fatalf("disable with a recovery code: %d %s", res.status, res.body)
	}
	if left, _ := s.Store.ListTwoFactorMethods(t.Context(), aliceID); len(left) != 0 {
		t.Fatalf("a recovery code left %d methods", len(left))
	}
}

// TestTwoFactorEnableRefusals: the adversarial cases of enrolment. Each
// refusal leaves the user without a method.
func TestTwoFactorEnableRefusals(t *testing.T) {
	s := newStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled"} // authenticator off
	})
	key := map[string]string{"Authorization": apiKey}
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"method disabled in the tenant", "/api/user/two-factor/" + aliceID, `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"123456"}`, 400},
		{"unknown user", "/api/user/two-factor/0f1a2b3c-0000-4000-8000-00000000ffff", `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"123456"}`, 404},
		{"not a uuid", "/api/user/two-factor/alice", `{}`, 400},
		{"malformed JSON", "/api/user/two-factor/" + aliceID, `{"method":`, 400},
		{"wrong types", "/api/user/two-factor/" + aliceID, `{"method":7,"code":[]}`, 400},
		{"duplicate member", "/api/user/two-factor/" + aliceID, `{"code":"1","code":"2"}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: tc.path, hdr: key, body: tc.body})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
		})
	}
	res := s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: key,
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"123456"}`})
	managementGolden(t, "two-factor-enable-disabled", res.status, res.body)
	if ms, _ := s.Store.ListTwoFactorMethods(t.Context(), aliceID); len(ms) != 0 {
		t.Fatalf("a refused enable stored %d methods", len(ms))
	}
	// An access token without a user (another app's forged claims) cannot
	// enrol: only a valid JWT authenticates the JWT form.
	if res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: map[string]string{"Authorization": "Bearer not.a.jwt", "Origin": storeSite},
		body: `{}`}); res.status != http.StatusUnauthorized {
		t.Fatalf("forged JWT: %d", res.status)
	}
}

func TestTwoFactorLoginBadInput(t *testing.T) {
	s := newStack(t)
	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"blank":             {`{}`, 400},
		"unknown id":        {`{"twoFactorId":"nope","code":"123456"}`, 404},
		"huge id":           {`{"twoFactorId":"` + strings.Repeat("x", 60000) + `","code":"123456"}`, 404},
		"not json":          {`twoFactorId=x`, 400},
		"wrong type":        {`{"twoFactorId":1,"code":true}`, 400},
		"array body":        {`[]`, 400},
		"recovery-like":     {`{"twoFactorId":"nope","code":"ABCDE-FGHJK"}`, 404},
		"trustComputer str": {`{"twoFactorId":"x","code":"1","trustComputer":"yes"}`, 400},
	} {
		t.Run(name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: "/api/two-factor/login", body: tc.body})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if len(res.header.Values("Set-Cookie")) != 0 {
				t.Fatal("a refused two-factor login set a cookie")
			}
		})
	}
	res := s.do(call{method: "POST", path: "/api/two-factor/login", body: `{}`})
	managementGolden(t, "two-factor-login-400", res.status, res.body)
	if res := s.do(call{method: "GET", path: "/api/two-factor/login"}); res.status != 405 {
		t.Fatalf("GET: %d", res.status)
	}
}

// TestOneTimeCodeRoutesAreRateLimited: the keyless steps that take or mail
// a one-time code share a per-address limit (30 a minute): guesses from one
// address stop with 429 before the handler runs, whichever of those routes
// they go to (a method removed with the user's JWT too), and an API key is
// not counted.
func TestOneTimeCodeRoutesAreRateLimited(t *testing.T) {
	// The rule's 30, refilled over a day rather than a minute, so a loaded
	// machine cannot refill one while the 30 guesses run.
	s := buildStack(t, stackOpts{cfg: func(c *config.Config) { c.RateLimits = "one-time-codes=30/24h" }})
	bearer := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	for i := range 30 {
		path := "/api/two-factor/login"
		if i%2 == 1 {
			path = "/api/passwordless/login"
		}
		res := s.do(call{method: "POST", path: path, body: `{"twoFactorId":"guess","code":"guess"}`})
		if res.status != 404 {
			t.Fatalf("guess %d on %s within the limit: %d %s", i+1, path, res.status, res.body)
		}
	}
	res := s.do(call{method: "POST", path: "/api/two-factor/send/guess", body: `{}`})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("31st request: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
	if !strings.Contains(string(res.body), "[RateLimitedException]") {
		t.Fatalf("429 body: %s", res.body)
	}
	res = s.do(call{method: "DELETE", path: "/api/user/two-factor?methodId=AAAA&code=123456", hdr: bearer})
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("a method removal by JWT past the limit: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"loginId":"` + aliceEmail + `","applicationId":"` + storeApp + `"}`})
	if res.status == http.StatusTooManyRequests {
		t.Fatal("an API key was limited by address")
	}
}

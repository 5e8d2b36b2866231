package server_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// enrolAlice gives alice an authenticator method by API key and returns its
// id and her recovery codes.
func (s *stack) enrolAlice() (string, []string) {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/user/two-factor/" + aliceID, hdr: map[string]string{"Authorization": apiKey},
		body: `{"method":"authenticator","secret":"` + totpTestSecret + `","code":"` + s.totp(totpTestSecret) + `"}`})
	var enabled struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}
	must(s.t, json.Unmarshal(res.body, &enabled))
	ms, err := s.Store.ListTwoFactorMethods(s.t.Context(), aliceID)
	must(s.t, err)
	if res.status != 200 || len(ms) != 1 || len(enabled.RecoveryCodes) != 10 {
		s.t.Fatalf("enable: %d %s", res.status, res.body)
	}
	return ms[0].ID, enabled.RecoveryCodes
}

// secondFactorsIntact fails the test unless alice still has her one method
// and all ten recovery codes.
func (s *stack) secondFactorsIntact(what string) {
	s.t.Helper()
	ms, err := s.Store.ListTwoFactorMethods(s.t.Context(), aliceID)
	must(s.t, err)
	n, err := s.Store.CountRecoveryCodes(s.t.Context(), aliceID)
	must(s.t, err)
	if len(ms) != 1 || n != 10 {
		s.t.Fatalf("%s: %d methods and %d recovery codes left, want 1 and 10", what, len(ms), n)
	}
}

// TestTwoFactorRemovalByJWTCountsWrongCodes: with a stolen access token,
// DELETE /api/user/two-factor is no place to grind codes. Wrong TOTP and
// recovery codes answer 421 and count toward alice's lockout
// (tooManyAttempts 3) like wrong codes at /api/two-factor/login; once
// locked, even the right TOTP code and a right recovery code are refused
// with the login's 409 and nothing is removed, and her password login is
// locked too (409, not 242). Before, 60 wrong codes were all 421 and the
// next password login was a 242: nothing counted.
func TestTwoFactorRemovalByJWTCountsWrongCodes(t *testing.T) {
	s := newStack(t)
	bearer := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	methodID, recovery := s.enrolAlice()
	remove := func(code string) result {
		return s.do(call{method: "DELETE", path: "/api/user/two-factor?methodId=" + methodID + "&code=" + url.QueryEscape(code), hdr: bearer})
	}
	for i, code := range []string{"000001", "ABCDE-FGHJK", "999998"} {
		if res := remove(code); res.status != 421 || len(res.body) != 0 {
			t.Fatalf("wrong code %d: %d %s, want an empty 421", i, res.status, res.body)
		}
	}
	for name, code := range map[string]string{"the right TOTP code": s.totp(totpTestSecret), "a right recovery code": recovery[0]} {
		res := remove(code)
		if res.status != 409 || !strings.Contains(string(res.body), "[UserLockedException]") {
			t.Fatalf("%s after three wrong codes: %d %s, want the locked 409", name, res.status, res.body)
		}
		s.secondFactorsIntact(name + " on a locked account")
	}
	res := s.login(storeApp, map[string]string{"Authorization": apiKey})
	if res.status != 409 {
		t.Fatalf("password login after three wrong removal codes: %d %s, want 409", res.status, res.body)
	}
}

// TestTwoFactorRemovalByAPIKeyCountsNothing: an API key's code on DELETE
// /api/user/two-factor/{userId} is checked as FusionAuth checks it (421 when
// wrong) and charges nothing to the user: after more wrong codes than the
// lockout threshold, the key's right code still removes the method and
// alice's password login is the 242 of a two-factor user, not a 409.
func TestTwoFactorRemovalByAPIKeyCountsNothing(t *testing.T) {
	s := newStack(t)
	key := map[string]string{"Authorization": apiKey}
	methodID, _ := s.enrolAlice()
	for i := range 5 {
		res := s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID, hdr: key,
			body: `{"methodId":"` + methodID + `","code":"00000` + string(rune('1'+i)) + `"}`})
		if res.status != 421 {
			t.Fatalf("wrong code %d by API key: %d %s", i, res.status, res.body)
		}
	}
	s.secondFactorsIntact("wrong codes by API key")
	if res := s.login(storeApp, key); res.status != 242 {
		t.Fatalf("password login after wrong codes by API key: %d %s, want 242", res.status, res.body)
	}
}

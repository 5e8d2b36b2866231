package server_test

import (
	"fmt"
	"testing"
)

// wrongTOTP is a six-digit code that is not the current one.
func (s *stack) wrongTOTP() string {
	if w := "000000"; w != s.totp(totpTestSecret) {
		return w
	}
	return "000001"
}

// pendingLogins answers n right passwords with 242 and returns their
// twoFactorIds (before any wrong code, while the account is not locked).
func (s *stack) pendingLogins(n int) []string {
	s.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		res := s.login(storeApp, admin)
		if res.status != 242 {
			s.t.Fatalf("login: %d %s", res.status, res.body)
		}
		ids[i] = res.json(s.t)["twoFactorId"].(string)
	}
	return ids
}

// TestTwoFactorWrongCodesCountUnderTheConnectionAddress: a keyless caller
// of /api/two-factor/login cannot choose the address its wrong codes are
// charged to with the body's ipAddress (a fresh one per guess): 25 wrong
// codes over five pending logins get the tenant's three checks (421), the
// rest are refused as locked (409), and the right code after them is
// refused too, as without any ipAddress in the body.
func TestTwoFactorWrongCodesCountUnderTheConnectionAddress(t *testing.T) {
	for _, bodyIP := range []bool{true, false} {
		t.Run(fmt.Sprintf("bodyIP=%v", bodyIP), func(t *testing.T) {
			s := newStack(t)
			enableTOTP(t, s)
			ids := s.pendingLogins(6)
			ip := func(n int) string {
				if !bodyIP {
					return ""
				}
				return fmt.Sprintf(`,"ipAddress":"203.0.113.%d"`, n)
			}
			checked, locked, n := 0, 0, 0
			for _, id := range ids[:5] {
				for range 5 {
					n++
					r := s.do(call{method: "POST", path: "/api/two-factor/login",
						body: `{"twoFactorId":"` + id + `","code":"` + s.wrongTOTP() + `"` + ip(n) + `}`})
					switch r.status {
					case 421:
						checked++
					case 409:
						locked++
					default:
						t.Fatalf("guess %d: %d %s", n, r.status, r.body)
					}
				}
			}
			if checked != 3 || locked != 22 {
				t.Errorf("%d wrong codes checked, %d refused as locked; want 3 and 22", checked, locked)
			}
			r := s.do(call{method: "POST", path: "/api/two-factor/login",
				body: `{"twoFactorId":"` + ids[5] + `","code":"` + s.totp(totpTestSecret) + `"` + ip(200) + `}`})
			if r.status != 409 {
				t.Errorf("the right code after the lock: %d %s, want 409", r.status, r.body)
			}
		})
	}
}

// TestTwoFactorBodyAddressVouchedByAPIKey: a server-side caller with an API
// key acts for many users, so its body ipAddress is the address wrong codes
// count under: three from one user's address lock that address, and the
// same user at another address still finishes the login.
func TestTwoFactorBodyAddressVouchedByAPIKey(t *testing.T) {
	s := newStack(t)
	enableTOTP(t, s)
	ids := s.pendingLogins(3)
	step := func(id, code, addr string) int {
		return s.do(call{method: "POST", path: "/api/two-factor/login", hdr: admin,
			body: `{"twoFactorId":"` + id + `","code":"` + code + `","ipAddress":"` + addr + `"}`}).status
	}
	for i := range 3 {
		if got := step(ids[0], s.wrongTOTP(), "203.0.113.9"); got != 421 {
			t.Fatalf("wrong code %d: %d, want 421", i, got)
		}
	}
	if got := step(ids[1], s.totp(totpTestSecret), "203.0.113.9"); got != 409 {
		t.Errorf("the locked address's right code: %d, want 409", got)
	}
	if got := step(ids[2], s.totp(totpTestSecret), "198.51.100.20"); got != 200 {
		t.Errorf("another address's right code: %d, want 200", got)
	}
}

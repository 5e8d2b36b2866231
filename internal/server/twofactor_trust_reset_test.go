package server_test

import (
	"testing"
	"time"
)

// trustedLogin completes a two-factor login of alice with trustComputer
// and returns its twoFactorTrustId and refresh token.
func (s *stack) trustedLogin(t *testing.T) (trust, refresh string) {
	t.Helper()
	res := s.login(storeApp, map[string]string{"Authorization": apiKey})
	if res.status != 242 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	id := res.json(t)["twoFactorId"].(string)
	res = s.do(call{method: "POST", path: "/api/two-factor/login", hdr: map[string]string{"Authorization": apiKey},
		body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `","trustComputer":true}`})
	if res.status != 200 {
		t.Fatalf("second step: %d %s", res.status, res.body)
	}
	s.Clock.Advance(30 * time.Second) // a TOTP code is accepted once
	b := res.json(t)
	return b["twoFactorTrustId"].(string), b["refreshToken"].(string)
}

// loginWithTrust is a password login of alice presenting trust.
func (s *stack) loginWithTrust(trust string) result {
	return s.do(call{method: "POST", path: "/api/login", hdr: map[string]string{"Authorization": apiKey},
		body: `{"loginId":"` + aliceEmail + `","password":"` + alicePass + `","applicationId":"` + storeApp + `","twoFactorTrustId":"` + trust + `"}`})
}

// TestTwoFactorTrustEndsWithFactorResetOrSessions (adversarial): a
// twoFactorTrustId ("trust this computer") ends when a second factor is
// removed (an administrator's removal with the API key, then a new
// authenticator enrolled) and when every session of the user is revoked
// (DELETE /api/jwt/refresh?userId=, global logout): the next login with it
// asks for the second factor again (242). Ending one session does not end
// the trust.
func TestTwoFactorTrustEndsWithFactorResetOrSessions(t *testing.T) {
	key := map[string]string{"Authorization": apiKey}
	ends := []struct {
		name string
		end  func(t *testing.T, s *stack, refresh string)
	}{
		{"methods removed and a new one enrolled", func(t *testing.T, s *stack, _ string) {
			ms, err := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
			must(t, err)
			for _, m := range ms {
				if r := s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID + "?methodId=" + m.ID, hdr: key}); r.status != 200 {
					t.Fatalf("remove: %d %s", r.status, r.body)
				}
			}
			enableTOTP(t, s)
		}},
		{"every session revoked with the API key", func(t *testing.T, s *stack, _ string) {
			if r := s.do(call{method: "DELETE", path: "/api/jwt/refresh?userId=" + aliceID, hdr: key}); r.status != 200 {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
		}},
		{"global logout", func(t *testing.T, s *stack, refresh string) {
			if r := s.do(call{method: "POST", path: "/api/logout", body: `{"global":true,"refreshToken":"` + refresh + `"}`}); r.status != 200 {
				t.Fatalf("logout: %d %s", r.status, r.body)
			}
		}},
	}
	for _, tc := range ends {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t)
			enableTOTP(t, s)
			trust, refresh := s.trustedLogin(t)
			if r := s.loginWithTrust(trust); r.status != 200 {
				t.Fatalf("the trusted device before: %d %s", r.status, r.body)
			}
			tc.end(t, s, refresh)
			if r := s.loginWithTrust(trust); r.status != 242 {
				t.Errorf("the old twoFactorTrustId after %s: %d, want 242 (second factor asked)", tc.name, r.status)
			}
		})
	}
	t.Run("one session ended keeps the trust", func(t *testing.T) {
		s := newStack(t)
		enableTOTP(t, s)
		trust, refresh := s.trustedLogin(t)
		if r := s.do(call{method: "POST", path: "/api/logout", body: `{"global":false,"refreshToken":"` + refresh + `"}`}); r.status != 200 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := s.loginWithTrust(trust); r.status != 200 {
			t.Errorf("the trusted device after logging out one session: %d, want 200", r.status)
		}
	})
}

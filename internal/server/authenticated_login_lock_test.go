package server_test

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lockAliceHere locks alice at the test client's address with the tenant's
// three wrong passwords (keyless, so counted under the connection's address).
func (s *stack) lockAliceHere() {
	s.t.Helper()
	for range 3 {
		if r := s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`}); r.status != 404 {
			s.t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
	}
}

// TestPasswordlessAndPasskeyLoginsCheckTheConnectionAddressLock: a
// passwordless or passkey login checks the lock of the address it comes
// from, as a password login does: a keyless caller naming another address
// in the body's ipAddress is still refused (409); only an API key vouches
// for that address.
func TestPasswordlessAndPasskeyLoginsCheckTheConnectionAddressLock(t *testing.T) {
	const elsewhere = `,"ipAddress":"192.0.2.77"`
	t.Run("passwordless", func(t *testing.T) {
		s := newStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
			apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
		})
		s.lockAliceHere()
		login := func(hdr map[string]string) int {
			return s.do(call{method: "POST", path: "/api/passwordless/login", hdr: hdr,
				body: `{"code":"` + s.passwordlessCode() + `"` + elsewhere + `}`}).status
		}
		if got := login(nil); got != 409 {
			t.Errorf("keyless, another body ipAddress: %d, want 409", got)
		}
		if got := login(admin); got != 200 {
			t.Errorf("API key, another body ipAddress: %d, want 200", got)
		}
	})
	t.Run("passkey", func(t *testing.T) {
		s := passkeyStack(t)
		a := passkeytest.New()
		if res := s.registerPasskey(s.jwtFor(), a); res.status != 200 {
			t.Fatalf("register: %d %s", res.status, res.body)
		}
		s.lockAliceHere()
		login := func(key bool) int {
			hdr := map[string]string{"Origin": storeSite}
			if key {
				hdr["Authorization"] = apiKey
			}
			o := s.startLogin()
			return s.do(call{method: "POST", path: "/api/webauthn/login", hdr: hdr,
				body: `{"credential":` + string(a.Get(rpID, o.Options.Challenge, storeSite)) + `,"origin":"` + storeSite + `","rpId":"` + rpID + `"` + elsewhere + `}`}).status
		}
		if got := login(false); got != 409 {
			t.Errorf("keyless, another body ipAddress: %d, want 409", got)
		}
		if got := login(true); got != 200 {
			t.Errorf("API key, another body ipAddress: %d, want 200", got)
		}
	})
}

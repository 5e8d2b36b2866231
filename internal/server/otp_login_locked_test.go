package server_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestOneTimePasswordLoginRefusedWhileLocked (adversarial): alice resets
// her password (forgot password, change password: the change clears the
// lockout) and gets a oneTimePassword; before she uses it, wrong passwords
// (tooManyAttempts, 3) lock her account. The value's login (POST
// /api/login {"oneTimePassword"}) is then refused exactly as her password
// login is while locked: the same 409 and body, no token or cookie, and
// no refresh token, login record or lastLoginInstant written. The refused
// attempt does not spend the value, as the lock refuses a password login
// before anything is checked or written: asked again, it is refused as
// locked again (a spent value is 404), and it is still stored.
func TestOneTimePasswordLoginRefusedWhileLocked(t *testing.T) {
	s := newStack(t)
	s.Clock.Advance(time.Minute) // a login now would write a later lastLoginInstant
	otp := s.resetOTP("a brand new passphrase")
	for range 3 {
		wantStatus(t, s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":"alice","password":"wrong","applicationId":"` + storeApp + `"}`}), 404)
	}
	locked := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"alice","password":"a brand new passphrase","applicationId":"` + storeApp + `"}`})
	if locked.status != 409 {
		t.Fatalf("password login while locked: %d %s", locked.status, locked.body)
	}
	before := traceAlice(t, s)

	for _, try := range []string{"first", "again"} {
		res := s.otpLogin(otp, nil)
		if res.status != 409 || !bytes.Equal(res.body, locked.body) || len(res.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("%s one-time-password login while locked: %d %s, cookies %v; want the password login's 409 %s",
				try, res.status, res.body, res.header.Values("Set-Cookie"), locked.body)
		}
		if now := traceAlice(t, s); now != before {
			t.Fatalf("%s refused login left traces: %+v → %+v", try, before, now)
		}
	}
	if _, err := s.Store.GetIdentifier(t.Context(), storage.IdentifierOneTimePassword, auth.HashIdentifier(otp), s.Clock.Now()); err != nil {
		t.Fatalf("the refused logins spent the oneTimePassword: %v", err)
	}
}

package auth

import (
	"testing"
	"time"
)

// FuzzTOTPInput: the TOTP and recovery-code entry points take what a user
// types. Only a six-digit code equal to a code of the window matches;
// nothing panics; a secret read from base32 encodes back to the same text.
func FuzzTOTPInput(f *testing.F) {
	for _, s := range []string{"123456", "", "ABCDE-FGHJK", "abcde fghjk", "１２３４５６", "12345\x00", "HBGUUSTGINMTIRKSIJ2G65DWMVXFGYZT"} {
		f.Add(s, int64(1_800_000_000))
	}
	f.Fuzz(func(t *testing.T, code string, unix int64) {
		now := time.Unix(unix%4_000_000_000, 0)
		if step, ok := MatchTOTP(totpSecret, code, now); ok {
			if len(code) != 6 || TOTPCode(totpSecret, step) != code || step < TOTPStep(now)-1 || step > TOTPStep(now)+1 {
				t.Fatalf("%q matched step %d at %v", code, step, now)
			}
		}
		if h, ok := RecoveryHash(code); ok {
			if len(h) != 32 {
				t.Fatalf("recovery hash of %q has %d bytes", code, len(h))
			}
			if _, ok := MatchTOTP(totpSecret, code, now); ok {
				t.Fatalf("%q is both a recovery code and a TOTP code", code)
			}
		}
		if s, ok := SecretFromBase32(code); ok && TOTPBase32(s) != canonicalBase32(code) {
			t.Fatalf("base32 %q decodes to %q, which encodes to %q", code, s, TOTPBase32(s))
		}
	})
}

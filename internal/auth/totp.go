package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TOTP as FusionAuth does it (accounts spec §10.1): RFC 6238 with
// HMAC-SHA1, 6 digits, 30 s steps. The secret is a 20-character string and
// the HMAC key is the bytes of that string itself (not a decoding of it):
// secretBase32Encoded = base32(secret) is what authenticator apps get.
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
	// totpSkew accepts the codes of one step before and after the current
	// one (clock drift, a code typed as it changes), never more.
	totpSkew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret draws a secret in FusionAuth's form: the first 20
// characters of the base64 of 20 random bytes (120 bits), with its base32
// form for authenticator apps.
func NewTOTPSecret() (secret, secretBase32 string) {
	secret = base64.StdEncoding.EncodeToString(randomBytes(20))[:20]
	return secret, TOTPBase32(secret)
}

// TOTPBase32 is the base32 form of a secret (the key is its bytes).
func TOTPBase32(secret string) string { return b32.EncodeToString([]byte(secret)) }

// SecretFromBase32 decodes a secretBase32Encoded back to the secret string
// (enable accepts either form); ok is false for anything that is not the
// base32 of a printable string of 10 to 64 bytes. Case and padding are
// forgiven; otherwise only the canonical spelling is accepted (base32
// decoders ignore the unused bits of the last character, so without this
// check several strings would stand for one secret: FuzzTOTPInput).
func SecretFromBase32(v string) (string, bool) {
	v = canonicalBase32(v)
	raw, err := b32.DecodeString(v)
	if err != nil || len(raw) < 10 || len(raw) > 64 || b32.EncodeToString(raw) != v {
		return "", false
	}
	for _, c := range raw {
		if c < 0x21 || c > 0x7e {
			return "", false
		}
	}
	return string(raw), true
}

// canonicalBase32 upper-cases v and drops its padding.
func canonicalBase32(v string) string { return strings.ToUpper(strings.TrimRight(v, "=")) }

// TOTPStep is the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// TOTPCode computes the code of a secret at a step (tests and the demo's
// "what code now" use it the way an authenticator app would).
func TOTPCode(secret string, step int64) string {
	code, _ := hotp.GenerateCodeCustom(TOTPBase32(secret), uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return code
}

// MatchTOTP returns the step whose code equals code within the allowed
// skew around now, or ok false. Every candidate is computed and compared
// in constant time, so the time taken does not say which step matched.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	cur := TOTPStep(now)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		if subtle.ConstantTimeCompare([]byte(TOTPCode(secret, cur+d)), []byte(code)) == 1 {
			step, ok = cur+d, true
		}
	}
	return step, ok
}

// checkTOTP checks code against an authenticator method and, when it
// matches, records its step so the code (and any older one) is never
// accepted again (RFC 6238 §5.2), across nodes: the compare-and-swap in
// storage decides. A replayed code answers false like a wrong one.
func (s *Service) checkTOTP(ctx context.Context, m storage.TwoFactorMethod, code string, now time.Time) (bool, error) {
	secret, _, err := s.unsealSecret(m.UserID, m.ID, m.Secret)
	if err != nil {
		// Not the caller's fault and not a reason to fail the login: the
		// server secret lost the key that sealed it (or the row was moved
		// or altered). The code cannot match; a recovery code or another
		// method still can. The operator learns why here.
		s.log.ErrorContext(ctx, "two-factor secret does not open: its key is not in the server secret, or the row was altered",
			"user_id", m.UserID, "method_id", m.ID)
		return false, nil
	}
	step, ok := MatchTOTP(secret, code, now)
	if !ok {
		return false, nil
	}
	err = s.cfg.Store.UseTwoFactorStep(ctx, m.UserID, m.ID, step, now)
	switch {
	case errors.Is(err, storage.ErrConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("auth: record TOTP step: %w", err)
	}
	return true, nil
}

package auth

import (
	"crypto/sha256"
	"strings"
)

// Recovery codes (accounts spec §10.3): ten per set, shown once, in
// FusionAuth's XXXXX-XXXXX form, stored as SHA-256 of the normalised code.
// Each has 50 bits (10 characters of 32): guessing is bounded by the
// lockout, which wrong codes feed, and by the twoFactorId's attempt cap.
const (
	recoveryCodeCount = 10
	// recoveryAlphabet leaves out 0/O and 1/I so codes copied by hand
	// survive; 32 symbols keep the draw unbiased.
	recoveryAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
)

// NewRecoveryCodes draws a set and returns the codes (for the answer only)
// and their hashes (for storage).
func NewRecoveryCodes() (codes []string, hashes [][]byte) {
	for range recoveryCodeCount {
		b := randomBytes(10)
		var sb strings.Builder
		for i, c := range b {
			if i == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%32]) // 256 is a multiple of 32: no bias
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, recoveryHash(sb.String()))
	}
	return codes, hashes
}

// normalRecovery is a typed recovery code without spaces and hyphens, in
// upper case; ok is false when it cannot be one (so a TOTP code is never
// looked up as a recovery code).
func normalRecovery(code string) (string, bool) {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(c) != 10 {
		return "", false
	}
	for i := range len(c) {
		if !strings.ContainsRune(recoveryAlphabet, rune(c[i])) {
			return "", false
		}
	}
	return c, true
}

// recoveryHash is the stored form of a code.
func recoveryHash(code string) []byte {
	c, _ := normalRecovery(code)
	h := sha256.Sum256([]byte("recovery:" + c))
	return h[:]
}

// RecoveryHash is recoveryHash for the enrolment use cases.
func RecoveryHash(code string) ([]byte, bool) {
	if _, ok := normalRecovery(code); !ok {
		return nil, false
	}
	return recoveryHash(code), true
}

// numericCode draws an n-digit code for email (FusionAuth's
// twoFactorOneTimeCodeIdGenerator default: six digits), without modulo
// bias.
func numericCode(n int) string {
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, b := range randomBytes(n) {
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out)
}

// NumericCode is numericCode for the use cases outside this package.
func NumericCode(n int) string { return numericCode(n) }

// CodeHash is the stored form of an emailed numeric code, bound to what it
// unlocks so one hash cannot stand for another flow's code.
func CodeHash(purpose, code string) []byte {
	h := sha256.Sum256([]byte(purpose + ":" + strings.TrimSpace(code)))
	return h[:]
}

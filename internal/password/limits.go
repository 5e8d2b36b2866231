package password

// Bounds on every factor a stored hash may carry. An imported record is
// data from another system: without a bound, one row could make each login
// of that user burn minutes of CPU or gigabytes of memory. Each bound is
// about 1–5 s of one core on the 2-core development machine (measured once
// with a throwaway program: MD5 0.18 µs, SHA-256 0.12 µs per 16-byte
// iteration, PBKDF2-HMAC-SHA512 1.15 µs per iteration, bcrypt cost 12
// 0.57 s, argon2id 256 MiB × 1 pass 1.0 s) and far above what any source
// system ships (FusionAuth's defaults: PBKDF2 24,000, salted digests
// 20,000, phpass 2,048; WordPress phpass 2^13, Drupal 7 2^15; OWASP's
// PBKDF2-HMAC-SHA512 minimum 210,000).
const (
	// maxIterations: PBKDF2-HMAC-SHA256 iterations, and the salted-md5 /
	// salted-sha256 digest rounds.
	maxIterations = 10_000_000
	// maxIterationsSHA512: PBKDF2-HMAC-SHA512 iterations (each costs
	// about four SHA-256 ones).
	maxIterationsSHA512 = 2_000_000
	// maxPHPassCount: phpass rounds hash the whole password each time, so
	// a 1024-byte password makes each round some 17 blocks: 2^20 rounds.
	maxPHPassCount = 1 << 20
	// maxBcryptCost: 2^15 rounds, about 4.6 s; FusionAuth recommends
	// 8–14.
	maxBcryptCost = 15
	// maxSaltBytes bounds a decoded salt (FusionAuth generates 32 bytes).
	maxSaltBytes = 1024
)

// FactorRange returns the smallest and largest factor Hash accepts for
// scheme, so a configuration (a tenant's encryptionSchemeFactor) can be
// refused when it is set instead of making every later hash fail.
// ErrUnknownScheme when scheme is not implemented. Verify reads a stored
// hash's factor within the same range.
func FactorRange(scheme string) (lo, hi int, err error) {
	s, _, err := lookup(scheme)
	if err != nil {
		return 0, 0, err
	}
	lo, hi = s.factors()
	return lo, hi, nil
}

package manage

import "crypto/sha256"

// HashAPIKey is how API keys are stored: SHA-256 of the raw key. Keys are long
// random strings, so a fast hash suffices (no password KDF needed;
// docs/decisions.md "API keys stored as SHA-256").
func HashAPIKey(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

package password

import "golang.org/x/crypto/bcrypt"

// FactorRange returns the smallest and largest factor Hash accepts for
// scheme, so a configuration (a tenant's encryptionSchemeFactor) can be
// refused when it is set instead of making every later hash fail.
// ErrUnknownScheme when scheme is not implemented.
func FactorRange(scheme string) (lo, hi int, err error) {
	switch scheme {
	case Bcrypt:
		return bcrypt.MinCost, bcrypt.MaxCost, nil
	case Argon2id:
		return 1, argonMaxTime, nil
	case PBKDF2SHA256, PBKDF2SHA256512:
		return 1, maxIterations, nil
	}
	return 0, 0, ErrUnknownScheme
}

package password

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// bcryptMaxBytes is bcrypt's input limit. Longer passwords are refused, not
// truncated: with truncation "72 bytes + anything" would log in (the Okta
// 2024 bcrypt cache-key advisory; security-bar L7).
const bcryptMaxBytes = 72

// bcryptScheme stores the full modular-crypt string ($2a$10$<salt><hash>) in
// Hash with an empty Salt. FusionAuth's import format splits it instead
// (factor = cost, salt = the 22 salt characters, hash = the 31 hash
// characters); verify accepts both.
type bcryptScheme struct{}

func (bcryptScheme) defaultFactor() int { return bcrypt.DefaultCost }
func (bcryptScheme) maxBytes() int      { return bcryptMaxBytes }

func (bcryptScheme) hash(plain string, cost int) (storage.PasswordHash, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return storage.PasswordHash{}, fmt.Errorf("%w: bcrypt cost %d", ErrFactor, cost)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	return storage.PasswordHash{Hash: string(b)}, nil
}

// encoded rebuilds the modular-crypt string from either storage form.
func (bcryptScheme) encoded(h storage.PasswordHash) string {
	if strings.HasPrefix(h.Hash, "$2") || h.Salt == "" {
		return h.Hash
	}
	return fmt.Sprintf("$2a$%02d$%s%s", h.Factor, h.Salt, h.Hash)
}

func (b bcryptScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	// CompareHashAndPassword compares in constant time (subtle).
	err := bcrypt.CompareHashAndPassword([]byte(b.encoded(h)), []byte(plain))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
}

// dummyHash: in bcrypt's base64 alphabet "." is zero, so 22 of them are an
// all-zero salt and 31 an all-zero digest.
func (bcryptScheme) dummyHash(cost int) storage.PasswordHash {
	return storage.PasswordHash{Hash: fmt.Sprintf("$2a$%02d$%s%s", cost, strings.Repeat(".", 22), strings.Repeat(".", 31))}
}

func (b bcryptScheme) current(h storage.PasswordHash, cost int) bool {
	got, err := bcrypt.Cost([]byte(b.encoded(h)))
	return err == nil && got == cost
}

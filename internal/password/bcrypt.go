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

// bcryptLen is the length of a modular-crypt bcrypt string:
// $2a$ + 2-digit cost + $ + 22 salt characters + 31 hash characters.
const bcryptLen = 60

// bcryptScheme stores the full modular-crypt string ($2a$10$<salt><hash>) in
// Hash with an empty Salt. FusionAuth's import format splits it instead
// (factor = cost, salt = the 22 salt characters, hash = the 31 hash
// characters); verify accepts both, and $2b$ / $2y$ (OpenBSD's and PHP's
// names for the same algorithm) as well as $2a$.
type bcryptScheme struct{}

func (bcryptScheme) defaultFactor() int  { return bcrypt.DefaultCost }
func (bcryptScheme) factors() (int, int) { return bcrypt.MinCost, maxBcryptCost }
func (bcryptScheme) maxBytes() int       { return bcryptMaxBytes }

func (bcryptScheme) hash(plain string, cost int) (storage.PasswordHash, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	if err != nil {
		return storage.PasswordHash{}, err
	}
	return storage.PasswordHash{Hash: string(b)}, nil
}

// encoded rebuilds the modular-crypt string from either storage form and
// bounds the cost it carries, which in the full form is not h.Factor.
func (bcryptScheme) encoded(h storage.PasswordHash) ([]byte, error) {
	enc := h.Hash
	if !strings.HasPrefix(h.Hash, "$2") && h.Salt != "" {
		enc = fmt.Sprintf("$2a$%02d$%s%s", h.Factor, h.Salt, h.Hash)
	}
	if !bcryptShape(enc) {
		return nil, fmt.Errorf("%w: not a $2a$/$2b$/$2x$/$2y$ bcrypt string of %d characters", ErrMalformedHash, bcryptLen)
	}
	cost, err := bcrypt.Cost([]byte(enc))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	if cost > maxBcryptCost {
		return nil, fmt.Errorf("%w: stored bcrypt cost %d over %d", ErrFactor, cost, maxBcryptCost)
	}
	return []byte(enc), nil
}

// factorInHash: the cost is read from the modular-crypt string and bounded
// there (encoded); in the split form that string is built from Factor.
func (bcryptScheme) factorInHash() {}

// bcryptShape checks the whole modular-crypt string, so that CheckStored
// refuses what CompareHashAndPassword would (it decodes the salt only when
// comparing).
func bcryptShape(enc string) bool {
	return len(enc) == bcryptLen && strings.HasPrefix(enc, "$2") && strings.IndexByte("abxy", enc[2]) >= 0 &&
		enc[3] == '$' && enc[4] >= '0' && enc[4] <= '9' && enc[5] >= '0' && enc[5] <= '9' && enc[6] == '$' &&
		strings.Trim(enc[7:], itoa64) == ""
}

func (b bcryptScheme) check(h storage.PasswordHash) error {
	_, err := b.encoded(h)
	return err
}

func (b bcryptScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	enc, err := b.encoded(h)
	if err != nil {
		return false, err
	}
	// CompareHashAndPassword compares in constant time (subtle).
	err = bcrypt.CompareHashAndPassword(enc, []byte(plain))
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
	enc, err := b.encoded(h)
	if err != nil {
		return false
	}
	got, err := bcrypt.Cost(enc)
	return err == nil && got == cost
}

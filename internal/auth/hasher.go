package auth

import (
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TEMPORARY until internal/password lands: keeps the shared tree compiling.
var errNoPassword = errors.New("auth: password package not available yet")

// hasher is the slice of internal/password that Login uses. It exists so the
// package's own tests can count hash evaluations (a locked account must not
// evaluate the hash; an unknown user must cost what a wrong password costs);
// production always uses passwordHasher.
type hasher interface {
	Hash(plain, scheme string, factor int) (storage.PasswordHash, error)
	Verify(plain string, h storage.PasswordHash) (bool, error)
	DummyVerify(plain, scheme string, factor int)
	NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool
}

type passwordHasher struct{}

func (passwordHasher) Hash(plain, scheme string, factor int) (storage.PasswordHash, error) {
	return storage.PasswordHash{}, errNoPassword
}

func (passwordHasher) Verify(plain string, h storage.PasswordHash) (bool, error) {
	return false, errNoPassword
}

func (passwordHasher) DummyVerify(plain, scheme string, factor int) {
}

func (passwordHasher) NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool {
	return false
}

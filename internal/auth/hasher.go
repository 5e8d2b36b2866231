package auth

import (
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

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
	return password.Hash(plain, scheme, factor)
}

func (passwordHasher) Verify(plain string, h storage.PasswordHash) (bool, error) {
	return password.Verify(plain, h)
}

func (passwordHasher) DummyVerify(plain, scheme string, factor int) {
	password.DummyVerify(plain, scheme, factor)
}

func (passwordHasher) NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool {
	return password.NeedsRehash(h, scheme, factor)
}

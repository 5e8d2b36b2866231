package auth

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// hasher is the slice of internal/password that Login uses. It exists so the
// package's own tests can count hash evaluations (a locked account must not
// evaluate the hash; an unknown user must cost what a wrong password costs);
// production always uses passwordHasher. Each call waits for a hashing turn
// until ctx ends (its client goes away, or the server's gate bound the wait:
// password.WithTurnWait), and is password.ErrBusy when it hashed nothing
// because that wait ended (notHashed).
type hasher interface {
	Hash(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error)
	Verify(ctx context.Context, plain string, h storage.PasswordHash) (bool, error)
	DummyVerify(ctx context.Context, plain, scheme string, factor int) error
	NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool
}

type passwordHasher struct{}

func (passwordHasher) Hash(ctx context.Context, plain, scheme string, factor int) (storage.PasswordHash, error) {
	return password.Hash(ctx, plain, scheme, factor)
}

func (passwordHasher) Verify(ctx context.Context, plain string, h storage.PasswordHash) (bool, error) {
	return password.Verify(ctx, plain, h)
}

func (passwordHasher) DummyVerify(ctx context.Context, plain, scheme string, factor int) error {
	return password.DummyVerify(ctx, plain, scheme, factor)
}

func (passwordHasher) NeedsRehash(h storage.PasswordHash, scheme string, factor int) bool {
	return password.NeedsRehash(h, scheme, factor)
}

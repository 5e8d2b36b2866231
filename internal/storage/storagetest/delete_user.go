package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testDeleteUserEndsSessions: deleting a user removes their refresh tokens
// in the same statement (the tokens go with the user row), so no session
// of a deleted user can be refreshed; another user's token is untouched.
func testDeleteUserEndsSessions(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	a, u := seed(t, s)
	other := newUser("u2", "grace@example.com", "grace")
	must(t, s.CreateUser(ctx, other))
	must(t, s.CreateRefreshToken(ctx, newToken("t1", u.ID, a.ID, "s1")))
	must(t, s.CreateRefreshToken(ctx, newToken("t2", other.ID, a.ID, "s2")))
	must(t, s.DeleteUserAt(ctx, u.ID, base))
	_, err := s.GetRefreshToken(ctx, "t1")
	wantErr(t, err, storage.ErrNotFound)
	if _, err := s.GetRefreshToken(ctx, "t2"); err != nil {
		t.Fatalf("another user's token after the deletion: %v", err)
	}
}

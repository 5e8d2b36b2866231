package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testTwoFactorSecrets: the secrets sealed with one key are found by their
// prefix, bytewise (including 0xff bytes and a prefix that is a whole
// secret), in (user, id) order and limited; the compare-and-swap replaces a
// secret only while it is the one that was read.
func testTwoFactorSecrets(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	v := newUser("u2", "bo@example.com", "bo")
	must(t, s.CreateUser(ctx, v))
	add := func(userID, id string, secret []byte) storage.TwoFactorMethod {
		m := storage.TwoFactorMethod{ID: id, UserID: userID, Method: "authenticator", Secret: secret, InsertedAt: base}
		must(t, s.AddTwoFactorMethod(ctx, m, nil))
		return m
	}
	a1 := add(u.ID, "AAAA", []byte{1, 0xaa, 0xff, 1, 2, 3})
	b1 := add(v.ID, "BBBB", []byte{1, 0xaa, 0xff, 9})
	add(u.ID, "CCCC", []byte{1, 0xab, 0x00, 1})          // the next prefix up
	add(v.ID, "DDDD", []byte{1, 0xaa, 0xfe, 0xff, 0xff}) // just below
	add(u.ID, "EEEE", []byte{1, 0xaa})                   // shorter than the prefix
	must(t, s.AddTwoFactorMethod(ctx, storage.TwoFactorMethod{ID: "FFFF", UserID: v.ID, Method: "email", Email: "bo@example.com", InsertedAt: base}, nil))

	prefix := []byte{1, 0xaa, 0xff}
	got, err := s.ListTwoFactorSecrets(ctx, prefix, 10)
	must(t, err)
	want := []storage.TwoFactorMethod{a1, b1}
	if u.ID > v.ID {
		want = []storage.TwoFactorMethod{b1, a1}
	}
	wantEqual(t, "sealed with the prefix", got, want)
	got, err = s.ListTwoFactorSecrets(ctx, prefix, 1)
	must(t, err)
	wantEqual(t, "limited", got, want[:1])
	got, err = s.ListTwoFactorSecrets(ctx, []byte{0xff, 0xff}, 10)
	must(t, err)
	wantEqual(t, "no secret under an all-0xff prefix", len(got), 0)
	got, err = s.ListTwoFactorSecrets(ctx, []byte{1, 0xaa, 0xff, 9}, 10)
	must(t, err)
	wantEqual(t, "a prefix that is a whole secret", got, []storage.TwoFactorMethod{b1})

	wantErr(t, s.ReplaceTwoFactorSecret(ctx, u.ID, "AAAA", []byte("not the stored one"), []byte{2, 2}), storage.ErrConflict)
	must(t, s.ReplaceTwoFactorSecret(ctx, u.ID, "AAAA", a1.Secret, []byte{2, 2}))
	wantErr(t, s.ReplaceTwoFactorSecret(ctx, u.ID, "AAAA", a1.Secret, []byte{3, 3}), storage.ErrConflict)
	wantErr(t, s.ReplaceTwoFactorSecret(ctx, u.ID, "ZZZZ", a1.Secret, []byte{3, 3}), storage.ErrNotFound)
	ms, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	if ms[0].ID != "AAAA" || string(ms[0].Secret) != string([]byte{2, 2}) {
		t.Fatalf("after the swap: %+v", ms[0])
	}
	got, err = s.ListTwoFactorSecrets(ctx, prefix, 10)
	must(t, err)
	wantEqual(t, "the replaced secret left the prefix", got, []storage.TwoFactorMethod{b1})
}

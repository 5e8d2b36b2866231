package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// sessionTests: a refresh's one read, and rotations that keep no history.
var sessionTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"FindRefreshSession", testFindRefreshSession},
	{"RotationWithoutHistory", testRotationWithoutHistory},
	{"ConcurrentRotationWithoutHistory", testConcurrentRotationWithoutHistory},
	{"ConcurrentFindRefreshSession", testConcurrentFindRefreshSession},
	{"RotatedFamilyReadByID", testRotatedFamilyReadByID},
	{"EarlierFormatRotatedOnce", testEarlierFormatRotatedOnce},
	{"FamilyCreatedReadByID", testFamilyCreatedReadByID},
}

// testFindRefreshSession: by id and by current or superseded hash, the
// family comes back with its user (without the password) and every
// registration of the user in application id order; revoked families too;
// ErrNotFound for what names nothing.
func testFindRefreshSession(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app0", true)))
	must(t, s.CreateRegistration(ctx, storage.Registration{ID: "reg0", UserID: u.ID, ApplicationID: "app0", Roles: []string{"viewer"}}))
	tok := newToken("rt1", "u1", "app1", "s0")
	must(t, s.CreateRefreshToken(ctx, tok))
	_, err := rotate(ctx, s, "s0", "s1", 1) // s0 goes to the history
	must(t, err)
	want, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	wantUser, err := s.GetUser(ctx, "u1")
	must(t, err)
	wantUser.Password = storage.PasswordHash{}
	regs, err := s.ListRegistrations(ctx, "u1")
	must(t, err)
	wantUser.Registrations = regs
	// A refresh read fills no revisions (0: unknown); it never writes.
	wantUser = unrevised(wantUser)
	if len(regs) != 2 || regs[0].ApplicationID != "app0" {
		t.Fatalf("registrations %+v", regs)
	}
	for name, k := range map[string]storage.SessionKey{
		"by id": {ID: "rt1"}, "by current hash": {Hash: hash("s1")}, "by superseded hash": {Hash: hash("s0")},
	} {
		got, err := s.FindRefreshSession(ctx, k)
		must(t, err)
		wantEqual(t, name+": token", got.Token, want)
		wantEqual(t, name+": user", got.User, wantUser)
	}
	for _, k := range []storage.SessionKey{{ID: "rt9"}, {Hash: hash("s9")}} {
		_, err := s.FindRefreshSession(ctx, k)
		wantErr(t, err, storage.ErrNotFound)
	}
	testSessionPrevented(t, s, u.ID)

	// A user without registrations, a revoked family.
	must(t, s.CreateUser(ctx, newUser("u2", "bob@example.com", "bob")))
	must(t, s.CreateRefreshToken(ctx, newToken("rt2", "u2", "app1", "b0")))
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt2"}, base, "admin")
	must(t, err)
	got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "rt2"})
	must(t, err)
	if got.Token.RevokedAt.IsZero() || got.User.ID != "u2" || len(got.User.Registrations) != 0 {
		t.Fatalf("revoked family of an unregistered user: %+v", got)
	}
}

// testRotationWithoutHistory: a rotation with NoHistory swaps like any
// other (the previous hash is kept, the generation counts) but leaves no
// row behind: the superseded hash finds nothing, by hash.
func testRotationWithoutHistory(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	for i := 1; i <= 3; i++ {
		at := base.Add(time.Duration(i) * time.Minute)
		got, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash(fmt.Sprint("s", i-1)),
			NewHash: hash(fmt.Sprint("s", i)), At: at, ExpiresAt: at.Add(time.Hour), NoHistory: true})
		must(t, err)
		if got.Generation != i || !bytes.Equal(got.Hash, hash(fmt.Sprint("s", i))) || !bytes.Equal(got.PrevHash, hash(fmt.Sprint("s", i-1))) {
			t.Fatalf("rotation %d: %+v", i, got)
		}
	}
	for i := range 3 {
		_, _, err := s.FindRefreshTokenByHash(ctx, hash(fmt.Sprint("s", i)))
		wantErr(t, err, storage.ErrNotFound)
	}
	_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash("s1"), NewHash: hash("x"), At: base, ExpiresAt: base, NoHistory: true})
	wantErr(t, err, storage.ErrConflict)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: "nope", OldHash: hash("s3"), NewHash: hash("x"), At: base, ExpiresAt: base, NoHistory: true})
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "rt1"}, base, "admin")
	must(t, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash("s3"), NewHash: hash("x"), At: base, ExpiresAt: base, NoHistory: true})
	wantErr(t, err, storage.ErrConflict)
}

// testConcurrentRotationWithoutHistory: of many concurrent swaps of one
// current hash exactly one wins, as with history.
func testConcurrentRotationWithoutHistory(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("rt1", "u1", "app1", "s0")))
	errs := parallel(16, func(i int) error {
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt1", OldHash: hash("s0"), NewHash: hash(fmt.Sprint("n", i)),
			At: base, ExpiresAt: base.Add(time.Hour), NoHistory: true})
		return err
	})
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantErr(t, err, storage.ErrConflict)
		}
	}
	got, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err)
	if won != 1 || got.Generation != 1 {
		t.Fatalf("%d winners, generation %d; want 1 and 1", won, got.Generation)
	}
}

// testSessionPrevented: MaybePrevented says whether an action in force at
// SessionKey.At prevents the user's login, by id and by hash: not for an
// action that does not prevent login, then for a lock while it lasts, not
// once it has expired.
func testSessionPrevented(t *testing.T, s storage.Storage, userID string) {
	ctx := context.Background()
	at := base.UnixMilli()
	check := func(when int64, want bool, why string) {
		t.Helper()
		for _, k := range []storage.SessionKey{{ID: "rt1", At: when}, {Hash: hash("s1"), At: when}, {Hash: hash("s0"), At: when}} {
			got, err := s.FindRefreshSession(ctx, k)
			must(t, err)
			if got.MaybePrevented != want {
				t.Fatalf("%s: MaybePrevented %v, want %v", why, got.MaybePrevented, want)
			}
		}
	}
	check(at, false, "never actioned")
	_, err := s.TakeUserAction(ctx, newActionLog("warn", userID, false, at+3_600_000), nil)
	must(t, err)
	check(at, false, "an action that does not prevent login")
	_, err = s.TakeUserAction(ctx, newActionLog("lock", userID, true, at+3_600_000), nil)
	must(t, err)
	check(at, true, "a lock in force")
	check(at+3_600_000, false, "the lock has expired")
}

// testConcurrentFindRefreshSession: many refreshes reading at once (which
// a backend may serve with shared statements) each get their own family,
// user and registrations, and the prevention flag as at their own instant;
// an unknown family is ErrNotFound.
func testConcurrentFindRefreshSession(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app0", true)))
	const users = 6
	for i := range users {
		id := fmt.Sprint("cu", i)
		must(t, s.CreateUser(ctx, newUser(id, id+"@example.com", id)))
		for j := range i % 3 { // 0, 1 or 2 registrations
			must(t, s.CreateRegistration(ctx, storage.Registration{ID: fmt.Sprint("creg", i, j), UserID: id,
				ApplicationID: []string{"app1", "app0"}[j], Roles: []string{fmt.Sprint("role", i)}}))
		}
		must(t, s.CreateRefreshToken(ctx, newToken("crt"+fmt.Sprint(i), id, "app1", "cs"+fmt.Sprint(i))))
	}
	at := base.UnixMilli()
	_, err := s.TakeUserAction(ctx, newActionLog("clock", "cu1", true, at+3_600_000), nil)
	must(t, err)
	want := map[string]storage.RefreshSession{} // by ID and At
	var keys []storage.SessionKey
	for i := range users {
		for _, when := range []int64{at, at + 7_200_000} {
			k := storage.SessionKey{ID: fmt.Sprint("crt", i), At: when}
			got, err := s.FindRefreshSession(ctx, k)
			must(t, err)
			if got.User.ID != fmt.Sprint("cu", i) || len(got.User.Registrations) != i%3 || got.MaybePrevented != (i == 1 && when == at) {
				t.Fatalf("%+v alone: user %s, %d registrations, prevented %v", k, got.User.ID, len(got.User.Registrations), got.MaybePrevented)
			}
			want[fmt.Sprint(k.ID, k.At)] = got
			keys = append(keys, k)
		}
	}
	keys = append(keys, storage.SessionKey{ID: "crt-none", At: at})
	const rounds = 8
	errs := parallel(len(keys)*rounds, func(n int) error {
		k := keys[n%len(keys)]
		got, err := s.FindRefreshSession(ctx, k)
		if k.ID == "crt-none" {
			if !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("unknown family: %v, want ErrNotFound", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%+v: %w", k, err)
		}
		if !reflect.DeepEqual(got, want[fmt.Sprint(k.ID, k.At)]) {
			return fmt.Errorf("%+v read concurrently:\n got  %+v\n want %+v", k, got, want[fmt.Sprint(k.ID, k.At)])
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testFamilyCreatedReadByID: a family created ReadByID (a login's, whose
// values name it) reads back with its hash by id, in the session read and
// in the list of the user's tokens; its hash finds nothing by hash, before
// and after a rotation; it rotates like any other (the previous hash kept,
// a stale one refused without a change) and is revoked by id. Ids of a
// UUID's canonical form and any other id, one after another: each family
// keeps its own hash.
func testFamilyCreatedReadByID(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	ids := []string{"019ae8f2-0c4a-7d3e-8a41-5b6c7d8e9f01", "019ae8f2-0c4a-7d3e-8a41-5b6c7d8e9f02", "rt-by-id",
		"019AE8F2-0C4A-7D3E-8A41-5B6C7D8E9F01"} // the first id in capitals: another id, not the same family
	for i, id := range ids {
		tok := newToken(id, "u1", "app1", fmt.Sprint("first-", i))
		tok.ReadByID = true
		must(t, s.CreateRefreshToken(ctx, tok))
	}
	for i, id := range ids {
		first := hash(fmt.Sprint("first-", i))
		got, err := s.GetRefreshToken(ctx, id)
		must(t, err)
		if !bytes.Equal(got.Hash, first) || got.PrevHash != nil || got.Generation != 0 || got.ReadByID {
			t.Fatalf("%s read back: hash %x prev %x generation %d ReadByID %v", id, got.Hash, got.PrevHash, got.Generation, got.ReadByID)
		}
		sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: id})
		must(t, err)
		if !bytes.Equal(sess.Token.Hash, first) || sess.User.ID != "u1" {
			t.Fatalf("%s session: hash %x user %q", id, sess.Token.Hash, sess.User.ID)
		}
		_, _, err = s.FindRefreshTokenByHash(ctx, first)
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.FindRefreshSession(ctx, storage.SessionKey{Hash: first})
		wantErr(t, err, storage.ErrNotFound)
	}
	list, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	seen := 0
	for _, tok := range list {
		for i, id := range ids {
			if tok.ID == id {
				seen++
				if !bytes.Equal(tok.Hash, hash(fmt.Sprint("first-", i))) {
					t.Fatalf("%s listed with hash %x", id, tok.Hash)
				}
			}
		}
	}
	if seen != len(ids) {
		t.Fatalf("%d of the %d families listed", seen, len(ids))
	}

	// A stale hash changes nothing; the current one rotates.
	id, first := ids[0], hash("first-0")
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: hash("other"), NewHash: hash("x"),
		At: base, ExpiresAt: base.Add(time.Hour), NoHistory: true})
	wantErr(t, err, storage.ErrConflict)
	if got, err := s.GetRefreshToken(ctx, id); err != nil || !bytes.Equal(got.Hash, first) || got.Generation != 0 {
		t.Fatalf("after a refused rotation: %+v, %v", got, err)
	}
	at := base.Add(time.Minute)
	got, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: first, NewHash: hash("second-0"),
		At: at, ExpiresAt: at.Add(time.Hour), NoHistory: true})
	must(t, err)
	if got.Generation != 1 || !bytes.Equal(got.Hash, hash("second-0")) || !bytes.Equal(got.PrevHash, first) {
		t.Fatalf("rotated: %+v", got)
	}
	for _, h := range [][]byte{first, hash("second-0")} {
		_, _, err = s.FindRefreshTokenByHash(ctx, h)
		wantErr(t, err, storage.ErrNotFound)
	}
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: first, NewHash: hash("y"),
		At: at, ExpiresAt: at.Add(time.Hour), NoHistory: true})
	wantErr(t, err, storage.ErrConflict)
	// The other families did not move.
	for i, other := range ids[1:] {
		got, err := s.GetRefreshToken(ctx, other)
		must(t, err)
		if !bytes.Equal(got.Hash, hash(fmt.Sprint("first-", i+1))) || got.Generation != 0 {
			t.Fatalf("%s after another family's rotation: %+v", other, got)
		}
	}
	_, err = s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: id}, at, "admin")
	must(t, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: hash("second-0"), NewHash: hash("z"),
		At: at, ExpiresAt: at.Add(time.Hour), NoHistory: true})
	wantErr(t, err, storage.ErrConflict)
}

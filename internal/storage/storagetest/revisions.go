package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// revisionTests pin optimistic concurrency (storage.ErrStale): every write
// of a user's or a registration's row raises its revision, and a write
// conditional on a revision that is no longer the row's changes nothing.
var revisionTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"UserWritesRaiseTheRevision", testUserWritesRaiseTheRevision},
	{"ChangeUserIfRevision", testChangeUserIfRevision},
	{"RegistrationWritesRaiseTheRevision", testRegistrationWritesRaiseTheRevision},
	{"UpdateRegistrationIfRevision", testUpdateRegistrationIfRevision},
	{"UserKeyConflictsNameTheKey", testUserKeyConflictsNameTheKey},
}

// revisions reads the revisions of u1 and of its registration to app1.
func revisions(t *testing.T, s storage.Storage) (user, reg int64) {
	t.Helper()
	ctx := context.Background()
	u, err := s.GetUser(ctx, "u1")
	must(t, err)
	r, err := s.GetRegistration(ctx, "u1", "app1")
	must(t, err)
	return u.Revision, r.Revision
}

// testUserWritesRaiseTheRevision: a new row has revision 1 (0 is "no
// condition"), and each kind of write of the user row raises it: the
// management API's replace, merged fields, a new password, UpdateUser, a
// login's lastLoginInstant and its undo.
func testUserWritesRaiseTheRevision(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	prev, _ := revisions(t, s)
	if prev != 1 {
		t.Fatalf("a new user's revision = %d, want 1", prev)
	}
	active, at := false, base.Add(time.Hour).UnixMilli()
	h := storage.PasswordHash{Scheme: "bcrypt", Factor: 10, Salt: "abcdefghijklmnopqrstuv", Hash: "0123456789012345678901234567890"}
	login := storage.Login{UserID: u.ID, At: at}
	writes := []struct {
		name  string
		write func() error
	}{
		{"ChangeUser Replace", func() error {
			r := u
			r.FirstName = "Augusta"
			return s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, Replace: &r})
		}},
		{"ChangeUser Fields", func() error {
			return s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, Fields: storage.UserFields{Active: &active}})
		}},
		{"ChangeUser Password", func() error {
			return s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, Password: &h})
		}},
		{"UpdateUser", func() error { return s.UpdateUser(ctx, u) }},
		{"RecordLogin", func() error { return s.RecordLogin(ctx, login) }},
		{"UndoLogin", func() error {
			_, err := s.UndoLogin(ctx, storage.LoginUndo{Login: login, FailedAt: base})
			return err
		}},
		{"RecordLogin to an application", func() error {
			return s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: at + 1})
		}},
	}
	for _, w := range writes {
		must(t, w.write())
		got, _ := revisions(t, s)
		if got <= prev {
			t.Fatalf("after %s the revision is %d, was %d", w.name, got, prev)
		}
		prev = got
	}
}

// testChangeUserIfRevision: a change computed from an older revision is
// refused with ErrStale and changes nothing, neither the row nor what
// comes with it (here a registration); one computed from the current
// revision applies; a deleted user is ErrNotFound, not ErrStale.
func testChangeUserIfRevision(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	read, err := s.GetUser(ctx, u.ID)
	must(t, err)
	// Another write lands after the read.
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, At: base.Add(time.Hour).UnixMilli()}))
	before, err := s.GetUser(ctx, u.ID)
	must(t, err)

	stale := read
	stale.Data = map[string]any{"plan": "free"}
	reg := storage.Registration{ID: "reg-2", UserID: u.ID, ApplicationID: "app2", Roles: []string{}}
	err = s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, IfRevision: read.Revision, Replace: &stale,
		Register: &reg, Outbox: events("e-stale")})
	wantErr(t, err, storage.ErrStale)
	after, err := s.GetUser(ctx, u.ID)
	must(t, err)
	wantEqual(t, "user after a stale change", after, before)
	if _, err := s.GetRegistration(ctx, u.ID, "app2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the registration of a stale change was created (%v)", err)
	}

	fresh := after
	fresh.Data = map[string]any{"plan": "free"}
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, IfRevision: after.Revision, Replace: &fresh}))
	got, err := s.GetUser(ctx, u.ID)
	must(t, err)
	if got.Data["plan"] != "free" || got.LastLoginInstant != before.LastLoginInstant || got.Revision <= after.Revision {
		t.Fatalf("after a current change: %+v (revision was %d)", got, after.Revision)
	}

	must(t, s.DeleteUserAt(ctx, u.ID, base))
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: u.ID, Now: base, IfRevision: got.Revision, Replace: &fresh}), storage.ErrNotFound)
}

// testRegistrationWritesRaiseTheRevision: a new registration has revision 1
// and every write of its row raises it: UpdateRegistration, a login to its
// application and its undo, a role renamed and a role deleted.
func testRegistrationWritesRaiseTheRevision(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	_, prev := revisions(t, s)
	if prev != 1 {
		t.Fatalf("a new registration's revision = %d, want 1", prev)
	}
	login := storage.Login{UserID: u.ID, ApplicationID: app.ID, At: base.Add(time.Hour).UnixMilli()}
	renamed := app
	renamed.Roles = []storage.ApplicationRole{{ID: app.ID + "-r", Name: "root", IsSuperRole: true}}
	dropped := app
	dropped.Roles = nil
	writes := []struct {
		name  string
		write func() error
	}{
		{"UpdateRegistration", func() error {
			r, err := s.GetRegistration(ctx, u.ID, app.ID)
			if err != nil {
				return err
			}
			r.Data = map[string]any{"k": "v"}
			return s.UpdateRegistration(ctx, r)
		}},
		{"RecordLogin", func() error { return s.RecordLogin(ctx, login) }},
		{"UndoLogin", func() error {
			_, err := s.UndoLogin(ctx, storage.LoginUndo{Login: login, FailedAt: base})
			return err
		}},
		{"role renamed", func() error {
			return s.ChangeApplicationRole(ctx, storage.RoleChange{Application: renamed, RoleID: app.ID + "-r", OldName: "admin"})
		}},
		{"role deleted", func() error {
			return s.ChangeApplicationRole(ctx, storage.RoleChange{Application: dropped, RoleID: app.ID + "-r", OldName: "root", Deleted: true})
		}},
	}
	for _, w := range writes {
		must(t, w.write())
		_, got := revisions(t, s)
		if got <= prev {
			t.Fatalf("after %s the registration's revision is %d, was %d", w.name, got, prev)
		}
		prev = got
	}
}

// testUpdateRegistrationIfRevision: UpdateRegistration of a registration
// read before another write is ErrStale and changes nothing; revision 0
// writes unconditionally; a deleted registration is ErrNotFound.
func testUpdateRegistrationIfRevision(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	app, u := seed(t, s)
	read, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	must(t, s.RecordLogin(ctx, storage.Login{UserID: u.ID, ApplicationID: app.ID, At: base.Add(time.Hour).UnixMilli()}))
	before, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)

	stale := read
	stale.Roles = []string{}
	wantErr(t, s.UpdateRegistration(ctx, stale), storage.ErrStale)
	after, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	wantEqual(t, "registration after a stale update", after, before)

	fresh := after
	fresh.Data = map[string]any{"k": "v"}
	must(t, s.UpdateRegistration(ctx, fresh))
	got, err := s.GetRegistration(ctx, u.ID, app.ID)
	must(t, err)
	if got.Data["k"] != "v" || got.LastLoginInstant != before.LastLoginInstant || got.Revision <= after.Revision {
		t.Fatalf("after a current update: %+v (revision was %d)", got, after.Revision)
	}
	blind := read
	blind.Revision = 0
	must(t, s.UpdateRegistration(ctx, blind))

	must(t, s.DeleteRegistration(ctx, u.ID, app.ID))
	wantErr(t, s.UpdateRegistration(ctx, got), storage.ErrNotFound)
}

// testUserKeyConflictsNameTheKey: a write that takes another user's
// username is ErrDuplicateUsername, one that takes their email
// ErrDuplicateEmail (both ErrConflict), on every path that writes the keys.
func testUserKeyConflictsNameTheKey(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	b := newUser("u2", "bob@example.com", "bob")
	must(t, s.CreateUser(ctx, b))
	takes := func(email, username string) storage.User {
		x := b
		x.Email, x.Username = email, username
		return x
	}
	for _, tc := range []struct {
		name      string
		user      storage.User
		want, not error
	}{
		{"username", takes("bob@example.com", u.Username), storage.ErrDuplicateUsername, storage.ErrDuplicateEmail},
		{"email", takes(u.Email, "bob"), storage.ErrDuplicateEmail, storage.ErrDuplicateUsername},
	} {
		// A new user takes the contested key only: the other is its own.
		created := tc.user
		created.ID = "u3"
		if created.Email == b.Email {
			created.Email = "carol@example.com"
		} else {
			created.Username = "carol"
		}
		check := func(how string, err error) {
			t.Helper()
			if !errors.Is(err, tc.want) || !errors.Is(err, storage.ErrConflict) || errors.Is(err, tc.not) {
				t.Fatalf("%s taking the %s: %v, want %v", how, tc.name, err, tc.want)
			}
		}
		check("UpdateUser", s.UpdateUser(ctx, tc.user))
		check("ChangeUser", s.ChangeUser(ctx, storage.UserChange{UserID: b.ID, Now: base, Replace: &tc.user}))
		check("CreateUser", s.CreateUser(ctx, created))
		check("CreateAccount", s.CreateAccount(ctx, storage.NewAccount{User: created}))
	}
}

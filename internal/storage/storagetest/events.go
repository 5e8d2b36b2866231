package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// eventTests are the conformance cases of issue 14's storage: webhooks,
// lambdas, and every write that commits webhook events (outbox messages)
// with its change (registered in suite.go).
var eventTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"Webhooks", testWebhooks},
	{"Lambdas", testLambdas},
	{"ChangeUserDelete", testChangeUserDelete},
	{"ChangeUserRegister", testChangeUserRegister},
	{"ImportUsers", testImportUsers},
	{"ImportUsersAllOrNothing", testImportUsersAllOrNothing},
	{"TakenUserKeys", testTakenUserKeys},
	{"DeleteApplicationWith", testDeleteApplicationWith},
}

func newWebhook(id, url string) storage.Webhook {
	return storage.Webhook{ID: id, URL: url, ConnectTimeout: 1000, ReadTimeout: 2000, Description: "hook " + id,
		EventsEnabled: map[string]bool{"user.create": true, "user.delete": false}, TenantIDs: []string{tenantID},
		Headers: map[string]string{"X-Test": "yes"}, HTTPAuthenticationUsername: "u", HTTPAuthenticationPassword: "p",
		SignatureConfiguration: storage.SignatureConfiguration{Enabled: true, SigningKeyID: "kid-1", SigningKeyAlgorithm: "RS256"},
		Data:                   map[string]any{"team": "ops"}, InsertInstant: base.UnixMilli(), LastUpdateInstant: base.UnixMilli()}
}

// testWebhooks: webhooks round-trip whole, the signing key's algorithm
// (which their JSON form leaves out) included.
func testWebhooks(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	a, b := newWebhook("wh-b", "https://b.example.com/hook"), newWebhook("wh-a", "https://a.example.com/hook")
	b.Global, b.TenantIDs = true, []string{}
	must(t, s.CreateWebhook(ctx, a))
	must(t, s.CreateWebhook(ctx, b))
	wantErr(t, s.CreateWebhook(ctx, newWebhook("wh-a", "https://other.example.com")), storage.ErrConflict)
	got, err := s.GetWebhook(ctx, "wh-b")
	must(t, err)
	a.Revision = 1 // a new row's, as read
	wantEqual(t, "webhook", got, a)
	list, err := s.ListWebhooks(ctx)
	must(t, err)
	wantEqual(t, "list ordered by id", []string{list[0].ID, list[1].ID}, []string{"wh-a", "wh-b"})
	wantEqual(t, "listed webhook", list[0], b)

	a.URL, a.EventsEnabled, a.LastUpdateInstant = "https://b2.example.com", map[string]bool{"user.update": true}, base.Add(time.Minute).UnixMilli()
	a.SignatureConfiguration = storage.SignatureConfiguration{Enabled: true, SigningKeyID: "kid-2", SigningKeyAlgorithm: "ES256"}
	must(t, s.UpdateWebhook(ctx, a))
	got, err = s.GetWebhook(ctx, "wh-b")
	must(t, err)
	a.Revision++
	wantEqual(t, "updated webhook", got, a)
	wantErr(t, s.UpdateWebhook(ctx, newWebhook("nope", "https://x")), storage.ErrNotFound)
	must(t, s.DeleteWebhook(ctx, "wh-b"))
	_, err = s.GetWebhook(ctx, "wh-b")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteWebhook(ctx, "wh-b"), storage.ErrNotFound)
}

func newLambda(id, name string) storage.Lambda {
	return storage.Lambda{ID: id, Name: name, Type: "JWTPopulate", EngineType: "GraalJS", Enabled: true, Debug: true,
		Body:          "function populate(jwt, user, registration) { jwt.x = 'é'; }",
		InsertInstant: base.UnixMilli(), LastUpdateInstant: base.UnixMilli()}
}

func testLambdas(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	a, b := newLambda("l-a", "Zeta"), newLambda("l-b", "Alpha")
	must(t, s.CreateLambda(ctx, a))
	must(t, s.CreateLambda(ctx, b))
	wantErr(t, s.CreateLambda(ctx, newLambda("l-a", "Other")), storage.ErrConflict)
	got, err := s.GetLambda(ctx, "l-a")
	must(t, err)
	a.Revision = 1 // a new row's, as read
	wantEqual(t, "lambda", got, a)
	list, err := s.ListLambdas(ctx)
	must(t, err)
	wantEqual(t, "list ordered by name", []string{list[0].ID, list[1].ID}, []string{"l-b", "l-a"})

	a.Name, a.Body, a.LastUpdateInstant = "Aardvark", "function populate(jwt) {}", base.Add(time.Minute).UnixMilli()
	must(t, s.UpdateLambda(ctx, a))
	got, err = s.GetLambda(ctx, "l-a")
	must(t, err)
	a.Revision++
	wantEqual(t, "updated lambda", got, a)
	list, err = s.ListLambdas(ctx)
	must(t, err)
	wantEqual(t, "renamed lambda sorts first", list[0].ID, "l-a")
	wantErr(t, s.UpdateLambda(ctx, newLambda("nope", "N")), storage.ErrNotFound)
	must(t, s.DeleteLambda(ctx, "l-a"))
	_, err = s.GetLambda(ctx, "l-a")
	wantErr(t, err, storage.ErrNotFound)
	wantErr(t, s.DeleteLambda(ctx, "l-a"), storage.ErrNotFound)
}

func eventMsg(id string) storage.OutboxMessage {
	return storage.OutboxMessage{ID: id, Queue: "webhook", TenantID: tenantID, Payload: []byte(`{"event":"` + id + `"}`), CreatedAt: base}
}

func events(ids ...string) []storage.OutboxMessage {
	var out []storage.OutboxMessage
	for _, id := range ids {
		out = append(out, eventMsg(id))
	}
	return out
}

// eventWrites are the writes that take outbox messages besides the
// account flows' (covered in accounts.go), each on a fresh seeded store.
// check says whether the write's change is visible.
var eventWrites = []struct {
	name  string
	write func(ctx context.Context, s storage.Storage, outbox []storage.OutboxMessage) error
	check func(ctx context.Context, s storage.Storage) bool
}{
	{"RecordLogin", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		rt := newToken("login-t", "u1", "app1", "login-secret")
		return s.RecordLogin(ctx, storage.Login{UserID: "u1", ApplicationID: "app1", At: base.UnixMilli(), RefreshToken: &rt, Outbox: o})
	}, func(ctx context.Context, s storage.Storage) bool {
		_, err := s.GetRefreshToken(ctx, "login-t")
		return err == nil
	}},
	{"UndoLogin", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		p := storage.LockoutPolicy{Threshold: 5, Window: time.Minute, LockDuration: time.Minute}
		_, err := s.UndoLogin(ctx, storage.LoginUndo{Login: storage.Login{UserID: "u1", At: base.UnixMilli()}, Policy: &p, FailedAt: base, Outbox: o})
		return err
	}, func(ctx context.Context, s storage.Storage) bool {
		f, err := s.GetLoginFailures(ctx, "u1")
		return err == nil && f.Count == 1
	}},
	{"RecordLoginFailureWith", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		p := storage.LockoutPolicy{Threshold: 5, Window: time.Minute, LockDuration: time.Minute}
		f, err := s.RecordLoginFailureWith(ctx, storage.LoginFailure{UserID: "u1", At: base, Policy: p, Outbox: o})
		if err == nil && (f.Count != 1 || f.UserID != "u1") {
			return fmt.Errorf("counter %+v", f)
		}
		return err
	}, func(ctx context.Context, s storage.Storage) bool {
		f, err := s.GetLoginFailures(ctx, "u1")
		return err == nil && f.Count == 1
	}},
	{"SettleLoginFailure", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		cs := []storage.LoginCounter{{Key: "u1", Account: "u1", Policy: storage.LockoutPolicy{Threshold: 1, Window: time.Minute, LockDuration: time.Minute}}}
		r, err := s.ReserveLoginAttempt(ctx, base, heldThroughout, cs)
		if err != nil {
			return err
		}
		_, err = s.SettleLoginFailure(ctx, base, r, o)
		return err
	}, func(ctx context.Context, s storage.Storage) bool {
		f, err := s.GetLoginFailures(ctx, "u1")
		return err == nil && f.Pending == 0 && f.LockedUntil.After(base)
	}},
	{"RotateRefreshToken", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "t1", OldHash: hash("s1"), NewHash: hash("s1-next"), At: base, ExpiresAt: base.Add(time.Hour), Outbox: o})
		return err
	}, func(ctx context.Context, s storage.Storage) bool {
		rt, err := s.GetRefreshToken(ctx, "t1")
		return err == nil && rt.Generation == 1
	}},
	{"RevokeRefreshTokensWith", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		_, err := s.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: storage.RefreshTokenFilter{UserID: "u1"}, At: base, Reason: "logout", Outbox: o})
		return err
	}, func(ctx context.Context, s storage.Storage) bool {
		rt, err := s.GetRefreshToken(ctx, "t1")
		return err == nil && !rt.RevokedAt.IsZero()
	}},
	{"RotateSigningKeyWith", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		next := storage.SigningKey{ID: "k-next", Algorithm: "ES256", PrivateKeyPEM: "priv2", PublicKeyPEM: "pub2", CreatedAt: base}
		return s.RotateSigningKeyWith(ctx, storage.KeyRotation{Next: next, RetireOldAt: base.Add(time.Hour), Outbox: o})
	}, func(ctx context.Context, s storage.Storage) bool {
		keys, err := s.ListSigningKeys(ctx, base)
		return err == nil && len(keys) == 2
	}},
	{"DeleteApplicationWith", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		return s.DeleteApplicationWith(ctx, storage.ApplicationDeletion{ID: "app1", At: base, Outbox: o})
	}, func(ctx context.Context, s storage.Storage) bool {
		_, err := s.GetApplication(ctx, "app1")
		return errors.Is(err, storage.ErrNotFound)
	}},
	{"ChangeUser", func(ctx context.Context, s storage.Storage, o []storage.OutboxMessage) error {
		return s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Fields: storage.UserFields{Verified: ptr(true)}, Outbox: o})
	}, func(ctx context.Context, s storage.Storage) bool {
		u, err := s.GetUser(ctx, "u1")
		return err == nil && u.Verified
	}},
}

// eventFixture seeds u1 (registered to app1) with the live refresh token
// t1 and an active ES256 signing key.
func eventFixture(t *testing.T, s storage.Storage) {
	t.Helper()
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("t1", "u1", "app1", "s1")))
	must(t, s.InsertSigningKey(ctx, storage.SigningKey{ID: "k-1", Algorithm: "ES256", PrivateKeyPEM: "priv", PublicKeyPEM: "pub", CreatedAt: base}))
}

// testEventsCommitWithTheChange: each write stores its events as pending
// webhook messages together with its change.
func testEventsCommitWithTheChange(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	for _, w := range eventWrites {
		t.Run(w.name, func(t *testing.T) {
			s := newStorage(t)
			ctx := context.Background()
			eventFixture(t, s)
			must(t, w.write(ctx, s, events("e-1", "e-2")))
			if !w.check(ctx, s) {
				t.Fatal("the change is not stored")
			}
			for _, id := range []string{"e-1", "e-2"} {
				m, err := s.GetOutboxMessage(ctx, id)
				must(t, err)
				wantEqual(t, "event state", m.State, storage.OutboxPending)
				wantEqual(t, "event payload", string(m.Payload), `{"event":"`+id+`"}`)
			}
		})
	}
}

// testEventsRollBackWithTheChange: an event that cannot be stored (its id
// is taken) takes the change down with it, and the other events too.
func testEventsRollBackWithTheChange(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	for _, w := range eventWrites {
		t.Run(w.name, func(t *testing.T) {
			s := newStorage(t)
			ctx := context.Background()
			eventFixture(t, s)
			must(t, s.EnqueueOutbox(ctx, eventMsg("taken")))
			wantErr(t, w.write(ctx, s, events("e-new", "taken")), storage.ErrConflict)
			if w.check(ctx, s) {
				t.Fatal("the change was stored although its event was not")
			}
			_, err := s.GetOutboxMessage(ctx, "e-new")
			wantErr(t, err, storage.ErrNotFound)
		})
	}
}

// testChangeUserDelete: Delete removes the user (tombstoning sessions, as
// DeleteUserAt) with its events; an unknown user changes nothing.
func testChangeUserDelete(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	eventFixture(t, s)
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: "nobody", Now: base, Delete: true, Outbox: events("e-0")}), storage.ErrNotFound)
	_, err := s.GetOutboxMessage(ctx, "e-0")
	wantErr(t, err, storage.ErrNotFound)
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base.Add(time.Second), Delete: true, Outbox: events("e-1")}))
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetOutboxMessage(ctx, "e-1")
	must(t, err)
	revs, err := s.ListRevocations(ctx, "app1", time.Time{}, "", 10)
	must(t, err)
	if len(revs) != 1 || revs[0].ID != "t1" || revs[0].RevokeReason != "user_deleted" || !revs[0].RevokedAt.Equal(base.Add(time.Second)) {
		t.Fatalf("tombstone of t1 = %+v", revs)
	}
}

// testDeleteApplicationWith: the hard delete tombstones the application's
// sessions and stores its events; an unknown application stores none.
func testDeleteApplicationWith(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	eventFixture(t, s)
	wantErr(t, s.DeleteApplicationWith(ctx, storage.ApplicationDeletion{ID: "nope", At: base, Outbox: events("e-0")}), storage.ErrNotFound)
	_, err := s.GetOutboxMessage(ctx, "e-0")
	wantErr(t, err, storage.ErrNotFound)
	must(t, s.DeleteApplicationWith(ctx, storage.ApplicationDeletion{ID: "app1", At: base.Add(time.Second), Outbox: events("e-1")}))
	_, err = s.GetRefreshToken(ctx, "t1")
	wantErr(t, err, storage.ErrNotFound)
	m, err := s.GetOutboxMessage(ctx, "e-1")
	must(t, err)
	wantEqual(t, "event state", m.State, storage.OutboxPending)
	revs, err := s.ListRevocations(ctx, "app1", time.Time{}, "", 10)
	must(t, err)
	if len(revs) != 1 || revs[0].ID != "t1" || revs[0].RevokeReason != "application_deleted" || !revs[0].RevokedAt.Equal(base.Add(time.Second)) {
		t.Fatalf("tombstone of t1 = %+v", revs)
	}
}

// testChangeUserRegister: Register creates the registration with the
// change; a second registration for the same application is a conflict
// that leaves nothing behind.
func testChangeUserRegister(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	eventFixture(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	reg := storage.Registration{ID: "reg-2", UserID: "u1", ApplicationID: "app2", Roles: []string{"admin"}, InsertInstant: base.UnixMilli()}
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Register: &reg, Outbox: events("e-1")}))
	got, err := s.GetRegistration(ctx, "u1", "app2")
	must(t, err)
	wantEqual(t, "registration", unrevisedReg(got), reg)
	dup := storage.Registration{ID: "reg-3", UserID: "u1", ApplicationID: "app2"}
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Register: &dup, Outbox: events("e-2")}), storage.ErrConflict)
	_, err = s.GetOutboxMessage(ctx, "e-2")
	wantErr(t, err, storage.ErrNotFound)
}

func importedUser(i int, email string) storage.User {
	id := "imp-" + string(rune('a'+i))
	u := newUser(id, email, "")
	u.Registrations = []storage.Registration{{ID: id + "-reg", UserID: id, ApplicationID: "app1", Roles: []string{"admin"}, Verified: true, InsertInstant: base.UnixMilli()}}
	return u
}

// testImportUsers: a batch lands with its registrations, password hashes
// as given and its event; users beyond one INSERT's chunk are stored too.
func testImportUsers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	batch := storage.UserImport{Outbox: events("bulk-1")}
	for i := range 3 {
		batch.Users = append(batch.Users, importedUser(i, "user"+string(rune('0'+i))+"@Example.com"))
	}
	batch.Users[1].Password = storage.PasswordHash{Scheme: "bcrypt", Factor: 10, Salt: "abcdefghijklmnopqrstuv", Hash: "0123456789012345678901234567890"}
	must(t, s.ImportUsers(ctx, batch))
	for _, want := range batch.Users {
		got, err := s.GetUser(ctx, want.ID)
		must(t, err)
		regs := want.Registrations
		want.Registrations = nil
		wantEqual(t, "imported user", unrevised(got), want)
		gotRegs, err := s.ListRegistrations(ctx, want.ID)
		must(t, err)
		wantEqual(t, "imported registrations", unrevised(storage.User{Registrations: gotRegs}).Registrations, regs)
	}
	found, err := s.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "USER1@example.com"})
	must(t, err)
	wantEqual(t, "found by email", found.ID, batch.Users[1].ID)
	// Imported users are searchable like created ones (user_search is
	// written in the batch's transaction).
	hits, total, err := s.SearchUsers(ctx, storage.UserSearch{TenantID: tenantID, QueryString: "user1@exam", Limit: 10})
	must(t, err)
	if total != 1 || len(hits) != 1 || hits[0].ID != batch.Users[1].ID {
		t.Fatalf("search for an imported user's email: %d hits (%+v), want %s", total, hits, batch.Users[1].ID)
	}
	_, err = s.GetOutboxMessage(ctx, "bulk-1")
	must(t, err)

	big := storage.UserImport{}
	for i := range 1234 {
		id := "big-" + itoa(i)
		big.Users = append(big.Users, storage.User{ID: id, TenantID: tenantID, Active: true, Email: id + "@example.com",
			Password: pw("h"), Registrations: []storage.Registration{{ID: id + "-r", UserID: id, ApplicationID: "app1"}}})
	}
	must(t, s.ImportUsers(ctx, big))
	for _, id := range []string{"big-0", "big-499", "big-500", "big-1233"} {
		if _, err := s.GetRegistration(ctx, id, "app1"); err != nil {
			t.Fatalf("registration of %s: %v", id, err)
		}
	}
	if _, total, err := s.SearchUsers(ctx, storage.UserSearch{TenantID: tenantID, QueryString: "big-", Limit: 1}); err != nil || total != 1234 {
		t.Fatalf("search for the big batch: %d matches, %v; want 1234", total, err)
	}
}

// testImportUsersAllOrNothing: one duplicate anywhere in a batch (an email
// taken in the database, or twice in the batch, a registration id, a user
// id) leaves nothing of the batch, not even the users before it.
func testImportUsersAllOrNothing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	for name, edit := range map[string]func(b *storage.UserImport){
		"email in database": func(b *storage.UserImport) { b.Users[2].Email = "ADA@example.com" },
		"email twice":       func(b *storage.UserImport) { b.Users[2].Email = b.Users[0].Email },
		"registration id":   func(b *storage.UserImport) { b.Users[2].Registrations[0].ID = "reg1" },
		"user id":           func(b *storage.UserImport) { b.Users[2].ID, b.Users[2].Registrations[0].UserID = "u1", "u1" },
		"unknown application": func(b *storage.UserImport) {
			b.Users[2].Registrations[0].ApplicationID = "no-such-app"
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := storage.UserImport{Outbox: events("bulk-" + name)}
			for i := range 3 {
				b.Users = append(b.Users, importedUser(i, "x"+itoa(i)+"@example.com"))
			}
			edit(&b)
			if err := s.ImportUsers(ctx, b); err == nil {
				t.Fatal("the batch was accepted")
			}
			for _, u := range b.Users[:2] {
				if _, err := s.GetUser(ctx, u.ID); err == nil {
					t.Fatalf("%s was stored from a refused batch", u.ID)
				}
			}
			_, err := s.GetOutboxMessage(ctx, "bulk-"+name)
			wantErr(t, err, storage.ErrNotFound)
		})
	}
}

func testTakenUserKeys(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s) // u1, Ada@Example.com, ada
	got, err := s.TakenUserKeys(ctx, tenantID, storage.UserKeys{
		IDs: []string{"u1", "u2"}, Emails: []string{"ADA@example.com", "bob@example.com"}, Usernames: []string{"Ada", "bob"}})
	must(t, err)
	wantEqual(t, "taken", got, storage.UserKeys{IDs: []string{"u1"}, Emails: []string{"ADA@example.com"}, Usernames: []string{"Ada"}})
	got, err = s.TakenUserKeys(ctx, "other-tenant", storage.UserKeys{IDs: []string{"u1"}, Emails: []string{"ada@example.com"}, Usernames: []string{"ada"}})
	must(t, err)
	wantEqual(t, "another tenant's emails and usernames are free, ids are global", got, storage.UserKeys{IDs: []string{"u1"}})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// accountTests are the conformance cases of AccountStore (registered in
// suite.go).
var accountTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"CreateAccountAllOrNothing", testCreateAccountAllOrNothing},
	{"ChangeUserCommitsEverything", testChangeUserCommitsEverything},
	{"DeleteUserEndsSessions", testDeleteUserEndsSessions},
	{"ChangeUserRefusedChangesNothing", testChangeUserRefusedChangesNothing},
	{"ChangeUserConcurrentConsume", testChangeUserConcurrentConsume},
	{"ChangeUserConsumesTrust", testChangeUserConsumesTrust},
	{"ChangeUserReplace", testChangeUserReplace},
	{"Identifiers", testIdentifiers},
	{"IdentifierConcurrentConsume", testIdentifierConcurrentConsume},
	{"IdentifierReserveAttempt", testIdentifierReserveAttempt},
	{"IdentifierReserveAttemptConcurrent", testIdentifierReserveAttemptConcurrent},
	{"PasswordHistory", testPasswordHistory},
	{"VerifyRegistration", testVerifyRegistration},
}

func newIdentifier(secret, kind, userID string, expires time.Time) storage.Identifier {
	return storage.Identifier{Hash: hash(secret), Kind: kind, UserID: userID, TenantID: tenantID,
		CreatedAt: base, ExpiresAt: expires, Data: storage.IdentifierData{ApplicationID: "app1",
			State: map[string]any{"page": "/cart"}, Email: "ada@example.com", CodeHash: hash("ABC123")}}
}

func ref(secret, kind string) *storage.IdentifierRef {
	return &storage.IdentifierRef{Kind: kind, Hash: hash(secret)}
}

func pw(h string) storage.PasswordHash {
	return storage.PasswordHash{Scheme: "salted-pbkdf2-hmac-sha256", Factor: 24000, Salt: "c2FsdA==", Hash: h}
}

func ptr[T any](v T) *T { return &v }

func testCreateAccountAllOrNothing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	reg := &storage.Registration{ID: "reg2", UserID: "u2", ApplicationID: "app1", Roles: []string{}}
	id := newIdentifier("verify-u2", storage.IdentifierEmailVerification, "u2", base.Add(time.Hour))
	// Ada's email is taken: nothing of the account may remain.
	dup := storage.NewAccount{User: newUser("u2", "ada@example.com", "other"), Registration: reg,
		Issue: []storage.Identifier{id}, Outbox: []storage.OutboxMessage{outboxMsg("m-dup", base)}}
	wantErr(t, s.CreateAccount(ctx, dup), storage.ErrConflict)
	_, err := s.GetUser(ctx, "u2")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetOutboxMessage(ctx, "m-dup")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetIdentifier(ctx, id.Kind, id.Hash, base)
	wantErr(t, err, storage.ErrNotFound)

	ok := dup
	ok.User = newUser("u2", "grace@example.com", "grace")
	ok.Outbox = []storage.OutboxMessage{outboxMsg("m-ok", base)}
	must(t, s.CreateAccount(ctx, ok))
	got, err := s.GetUser(ctx, "u2")
	must(t, err)
	wantEqual(t, "password", got.Password, ok.User.Password)
	r, err := s.GetRegistration(ctx, "u2", "app1")
	must(t, err)
	wantEqual(t, "registration", r.ID, "reg2")
	gotID, err := s.GetIdentifier(ctx, id.Kind, id.Hash, base)
	must(t, err)
	wantEqual(t, "identifier", gotID, id)
	_, err = s.GetOutboxMessage(ctx, "m-ok")
	must(t, err)
}

// changeFixture gives u1 two live refresh tokens, a lockout counter, an
// outstanding changePasswordId and a verificationId.
func changeFixture(t *testing.T, s storage.Storage) {
	t.Helper()
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateRefreshToken(ctx, newToken("t1", "u1", "app1", "s1")))
	must(t, s.CreateRefreshToken(ctx, newToken("t2", "u1", "app1", "s2")))
	_, err := s.RecordLoginFailure(ctx, "u1", base, storage.LockoutPolicy{Threshold: 5, Window: time.Minute, LockDuration: time.Minute})
	must(t, err)
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Issue: []storage.Identifier{
		newIdentifier("cp-1", storage.IdentifierChangePassword, "u1", base.Add(10*time.Minute)),
		newIdentifier("cp-2", storage.IdentifierChangePassword, "u1", base.Add(10*time.Minute)),
		newIdentifier("ver-1", storage.IdentifierEmailVerification, "u1", base.Add(time.Hour)),
	}}))
}

// testChangeUserCommitsEverything is a password reset as the account flows
// make it: the identifier consumed, the hash replaced and remembered, the
// other changePasswordIds dropped, a oneTimePassword issued, every refresh
// token revoked, the lockout reset and the mail queued, all in one call;
// the document keeps the fields the change did not name.
func testChangeUserCommitsEverything(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	at := base.Add(time.Minute)
	otp := newIdentifier("otp-1", storage.IdentifierOneTimePassword, "u1", at.Add(time.Minute))
	must(t, s.ChangeUser(ctx, storage.UserChange{
		UserID: "u1", Now: at, Consume: ref("cp-1", storage.IdentifierChangePassword),
		Password: ptr(pw("bmV3")), RememberPasswords: 3,
		Fields: storage.UserFields{PasswordChangeRequired: ptr(false), Verified: ptr(true),
			PasswordLastUpdateInstant: at.UnixMilli(), LastUpdateInstant: at.UnixMilli()},
		DropIdentifiers: []string{storage.IdentifierChangePassword}, Issue: []storage.Identifier{otp},
		RevokeReason: "password_changed", ResetFailures: true, Outbox: []storage.OutboxMessage{outboxMsg("m1", at)},
	}))
	u, err := s.GetUser(ctx, "u1")
	must(t, err)
	if u.Password != pw("bmV3") || !u.Verified || u.PasswordLastUpdateInstant != at.UnixMilli() ||
		u.LastUpdateInstant != at.UnixMilli() || u.FirstName != "Ada" || u.Data["plan"] != "pro" || u.Email != "Ada@Example.com" {
		t.Fatalf("user after the change = %+v", u)
	}
	hist, err := s.PasswordHistory(ctx, "u1", 10)
	must(t, err)
	wantEqual(t, "history holds the replaced hash", hist, []storage.PasswordHash{newUser("u1", "", "").Password})
	for _, secret := range []string{"cp-1", "cp-2"} {
		_, err := s.GetIdentifier(ctx, storage.IdentifierChangePassword, hash(secret), at)
		wantErr(t, err, storage.ErrNotFound)
	}
	_, err = s.GetIdentifier(ctx, storage.IdentifierEmailVerification, hash("ver-1"), at)
	must(t, err) // another kind: kept
	_, err = s.GetIdentifier(ctx, storage.IdentifierOneTimePassword, hash("otp-1"), at)
	must(t, err)
	live, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	wantEqual(t, "live tokens", ids(live), []string{})
	tok, err := s.GetRefreshToken(ctx, "t1")
	must(t, err)
	if !tok.RevokedAt.Equal(at) || tok.RevokeReason != "password_changed" {
		t.Fatalf("revoked token = %+v", tok)
	}
	f, err := s.GetLoginFailures(ctx, "u1")
	must(t, err)
	wantEqual(t, "lockout counter", f.Count, 0)
	_, err = s.GetOutboxMessage(ctx, "m1")
	must(t, err)
}

// testChangeUserRefusedChangesNothing: an unknown, expired, or another
// user's identifier (and an unknown user) refuse the whole change.
func testChangeUserRefusedChangesNothing(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	must(t, s.CreateUser(ctx, newUser("u2", "grace@example.com", "grace")))
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u2", Now: base, Issue: []storage.Identifier{
		newIdentifier("cp-u2", storage.IdentifierChangePassword, "u2", base.Add(time.Hour))}}))
	for name, c := range map[string]storage.UserChange{
		"unknown identifier":      {UserID: "u1", Consume: ref("nope", storage.IdentifierChangePassword)},
		"expired identifier":      {UserID: "u1", Consume: ref("cp-1", storage.IdentifierChangePassword), Now: base.Add(10 * time.Minute)},
		"another kind":            {UserID: "u1", Consume: ref("ver-1", storage.IdentifierChangePassword)},
		"another user's":          {UserID: "u1", Consume: ref("cp-u2", storage.IdentifierChangePassword)},
		"unknown user":            {UserID: "u9"},
		"unknown user, with mail": {UserID: "u9", Outbox: []storage.OutboxMessage{outboxMsg("m-u9", base)}},
	} {
		t.Run(name, func(t *testing.T) {
			if c.Now.IsZero() {
				c.Now = base.Add(time.Minute)
			}
			c.Password, c.RememberPasswords, c.RevokeReason, c.ResetFailures = ptr(pw("bmV3")), 3, "password_changed", true
			c.Fields.Verified = ptr(true)
			c.Outbox = append(c.Outbox, outboxMsg("m-"+name, c.Now))
			wantErr(t, s.ChangeUser(ctx, c), storage.ErrNotFound)
			u, err := s.GetUser(ctx, "u1")
			must(t, err)
			if u.Password != newUser("u1", "", "").Password || u.Verified {
				t.Fatalf("user changed: %+v", u)
			}
			live, err := s.ListRefreshTokens(ctx, "u1")
			must(t, err)
			wantEqual(t, "live tokens", ids(live), []string{"t1", "t2"})
			f, err := s.GetLoginFailures(ctx, "u1")
			must(t, err)
			wantEqual(t, "lockout counter", f.Count, 1)
			_, err = s.GetOutboxMessage(ctx, "m-"+name)
			wantErr(t, err, storage.ErrNotFound)
			hist, err := s.PasswordHistory(ctx, "u1", 10)
			must(t, err)
			wantEqual(t, "history", len(hist), 0)
		})
	}
}

// testChangeUserConcurrentConsume: one changePasswordId spent by many
// requests at once changes the password exactly once.
func testChangeUserConcurrentConsume(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	errs := parallel(8, func(i int) error {
		return s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base.Add(time.Minute),
			Consume: ref("cp-1", storage.IdentifierChangePassword), Password: ptr(pw("bmV3")), RememberPasswords: 5,
			Outbox: []storage.OutboxMessage{outboxMsg("m"+string(rune('a'+i)), base)}})
	})
	ok, other := countNil(errs)
	if ok != 1 {
		t.Fatalf("%d changes succeeded, want 1; others: %v", ok, other)
	}
	for _, err := range errs {
		if err != nil {
			wantErr(t, err, storage.ErrNotFound)
		}
	}
	hist, err := s.PasswordHistory(ctx, "u1", 10)
	must(t, err)
	wantEqual(t, "one remembered hash", len(hist), 1)
}

// testChangeUserConsumesTrust: a change that spends a changePasswordId and
// a trustToken spends both or neither: a trustToken that is unknown,
// expired, of another kind or another user's refuses the change, and the
// changePasswordId stays live; a good one is gone with the change.
func testChangeUserConsumesTrust(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	must(t, s.CreateUser(ctx, newUser("u2", "grace@example.com", "grace")))
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Issue: []storage.Identifier{
		newIdentifier("tt-1", storage.IdentifierTrustToken, "u1", base.Add(3*time.Minute))}}))
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u2", Now: base, Issue: []storage.Identifier{
		newIdentifier("tt-u2", storage.IdentifierTrustToken, "u2", base.Add(3*time.Minute))}}))
	change := func(trust *storage.IdentifierRef, at time.Time) storage.UserChange {
		return storage.UserChange{UserID: "u1", Now: at, Consume: ref("cp-1", storage.IdentifierChangePassword),
			ConsumeTrust: trust, Password: ptr(pw("bmV3")), RememberPasswords: 3}
	}
	for name, c := range map[string]storage.UserChange{
		"unknown trustToken":    change(ref("nope", storage.IdentifierTrustToken), base.Add(time.Minute)),
		"expired trustToken":    change(ref("tt-1", storage.IdentifierTrustToken), base.Add(4*time.Minute)),
		"another kind":          change(ref("cp-2", storage.IdentifierTrustToken), base.Add(time.Minute)),
		"another user's":        change(ref("tt-u2", storage.IdentifierTrustToken), base.Add(time.Minute)),
		"trustToken as Consume": {UserID: "u1", Now: base.Add(time.Minute), Consume: ref("tt-1", storage.IdentifierChangePassword)},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, s.ChangeUser(ctx, c), storage.ErrNotFound)
			u, err := s.GetUser(ctx, "u1")
			must(t, err)
			wantEqual(t, "password", u.Password, newUser("u1", "", "").Password)
			_, err = s.GetIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-1"), base.Add(time.Minute))
			must(t, err)
			_, err = s.GetIdentifier(ctx, storage.IdentifierTrustToken, hash("tt-1"), base.Add(time.Minute))
			must(t, err)
		})
	}
	must(t, s.ChangeUser(ctx, change(ref("tt-1", storage.IdentifierTrustToken), base.Add(time.Minute))))
	for _, r := range []*storage.IdentifierRef{ref("cp-1", storage.IdentifierChangePassword), ref("tt-1", storage.IdentifierTrustToken)} {
		_, err := s.GetIdentifier(ctx, r.Kind, r.Hash, base.Add(time.Minute))
		wantErr(t, err, storage.ErrNotFound)
	}
	_, err := s.GetIdentifier(ctx, storage.IdentifierTrustToken, hash("tt-u2"), base.Add(time.Minute))
	must(t, err)
	// Spent: the same trustToken (with a live changePasswordId) changes nothing.
	again := change(ref("tt-1", storage.IdentifierTrustToken), base.Add(time.Minute))
	again.Consume = ref("cp-2", storage.IdentifierChangePassword)
	wantErr(t, s.ChangeUser(ctx, again), storage.ErrNotFound)
	_, err = s.GetIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-2"), base.Add(time.Minute))
	must(t, err)
}

// testChangeUserReplace: the management API's full replacement, with an
// identity another user holds refused and nothing changed.
func testChangeUserReplace(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	must(t, s.CreateUser(ctx, newUser("u2", "grace@example.com", "grace")))
	u, err := s.GetUser(ctx, "u1")
	must(t, err)
	taken := u
	taken.Email = "Grace@Example.com"
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Replace: &taken, RevokeReason: "x",
		Outbox: []storage.OutboxMessage{outboxMsg("m-taken", base)}}), storage.ErrConflict)
	_, err = s.GetOutboxMessage(ctx, "m-taken")
	wantErr(t, err, storage.ErrNotFound)
	live, err := s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	wantEqual(t, "live tokens after a refused replace", len(live), 2)

	next := u
	next.Email, next.Active, next.Password = "ada.l@example.com", false, pw("cmVw")
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Replace: &next, RememberPasswords: 1,
		RevokeReason: "user_deactivated", Fields: storage.UserFields{Verified: ptr(false)}}))
	got, err := s.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "ADA.L@example.com"})
	must(t, err)
	if got.ID != "u1" || got.Active || got.Verified || got.Password != pw("cmVw") {
		t.Fatalf("replaced user = %+v", got)
	}
	hist, err := s.PasswordHistory(ctx, "u1", 10)
	must(t, err)
	wantEqual(t, "history after a replaced hash", hist, []storage.PasswordHash{u.Password})
	live, err = s.ListRefreshTokens(ctx, "u1")
	must(t, err)
	wantEqual(t, "live tokens after deactivation", len(live), 0)
}

func testIdentifiers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	exp := base.Add(10 * time.Minute)
	_, err := s.GetIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-1"), exp)
	wantErr(t, err, storage.ErrNotFound) // expired at its expiry instant
	got, err := s.GetIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-1"), exp.Add(-time.Millisecond))
	must(t, err)
	wantEqual(t, "identifier", got, newIdentifier("cp-1", storage.IdentifierChangePassword, "u1", exp))
	_, err = s.GetIdentifier(ctx, storage.IdentifierEmailVerification, hash("cp-1"), base)
	wantErr(t, err, storage.ErrNotFound) // kind is part of the key

	c, err := s.ConsumeIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-1"), base)
	must(t, err)
	wantEqual(t, "consumed", c.UserID, "u1")
	_, err = s.ConsumeIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-1"), base)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ConsumeIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-2"), exp)
	wantErr(t, err, storage.ErrNotFound)

	n, err := s.DeleteExpiredIdentifiers(ctx, exp)
	must(t, err)
	wantEqual(t, "purged", n, 1) // cp-2; ver-1 lives an hour
	_, err = s.GetIdentifier(ctx, storage.IdentifierEmailVerification, hash("ver-1"), base)
	must(t, err)
	must(t, s.DeleteUser(ctx, "u1"))
	_, err = s.GetIdentifier(ctx, storage.IdentifierEmailVerification, hash("ver-1"), base)
	wantErr(t, err, storage.ErrNotFound) // gone with the user
}

func testIdentifierConcurrentConsume(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	errs := parallel(8, func(int) error {
		_, err := s.ConsumeIdentifier(ctx, storage.IdentifierChangePassword, hash("cp-2"), base)
		return err
	})
	if ok, other := countNil(errs); ok != 1 {
		t.Fatalf("%d consumed, want 1: %v", ok, other)
	}
}

func testPasswordHistory(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	for i, h := range []string{"b25l", "dHdv", "dGhyZWU=", "Zm91cg=="} {
		must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base.Add(time.Duration(i) * time.Second),
			Password: ptr(pw(h)), RememberPasswords: 2}))
	}
	// Setting the same hash again (a rehash to the same value) remembers nothing.
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Password: ptr(pw("Zm91cg==")), RememberPasswords: 2}))
	// Without RememberPasswords nothing is kept.
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Password: ptr(pw("Zml2ZQ=="))}))
	hist, err := s.PasswordHistory(ctx, "u1", 10)
	must(t, err)
	wantEqual(t, "newest first, trimmed to 2", hist, []storage.PasswordHash{pw("dGhyZWU="), pw("dHdv")})
	one, err := s.PasswordHistory(ctx, "u1", 1)
	must(t, err)
	wantEqual(t, "limited", one, []storage.PasswordHash{pw("dGhyZWU=")})
	none, err := s.PasswordHistory(ctx, "u2", 5)
	must(t, err)
	wantEqual(t, "unknown user", none, []storage.PasswordHash{})
}

// testIdentifierReserveAttempt: answers to an identifier are counted before
// their check up to max; then, and for an expired, unknown or other kind's
// identifier, ErrNotFound. The identifier stays readable and consumable.
func testIdentifierReserveAttempt(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	k := storage.IdentifierEmailVerification
	for want := 1; want <= 3; want++ {
		n, err := s.ReserveIdentifierAttempt(ctx, k, hash("ver-1"), base, 3)
		must(t, err)
		wantEqual(t, "reserved attempts", n, want)
	}
	_, err := s.ReserveIdentifierAttempt(ctx, k, hash("ver-1"), base, 3)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.GetIdentifier(ctx, k, hash("ver-1"), base)
	must(t, err)
	_, err = s.ConsumeIdentifier(ctx, k, hash("ver-1"), base)
	must(t, err)

	exp := base.Add(10 * time.Minute) // cp-2's expiry
	_, err = s.ReserveIdentifierAttempt(ctx, storage.IdentifierChangePassword, hash("cp-2"), exp, 3)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ReserveIdentifierAttempt(ctx, k, hash("cp-2"), base, 3)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ReserveIdentifierAttempt(ctx, k, hash("unknown"), base, 3)
	wantErr(t, err, storage.ErrNotFound)
	// Refused reservations counted nothing: cp-2 still takes max.
	for want := 1; want <= 3; want++ {
		n, err := s.ReserveIdentifierAttempt(ctx, storage.IdentifierChangePassword, hash("cp-2"), base, 3)
		must(t, err)
		wantEqual(t, "cp-2 reserved attempts", n, want)
	}
}

// testIdentifierReserveAttemptConcurrent: of many concurrent reservations
// (wrong guesses racing) on one identifier exactly max succeed; the rest
// are ErrNotFound.
func testIdentifierReserveAttemptConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	changeFixture(t, s)
	errs := parallel(24, func(int) error {
		_, err := s.ReserveIdentifierAttempt(ctx, storage.IdentifierEmailVerification, hash("ver-1"), base, 5)
		return err
	})
	ok, other := countNil(errs)
	if ok != 5 {
		t.Fatalf("%d of 24 concurrent reservations succeeded, want 5", ok)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("a refused reservation failed otherwise: %v", other)
		}
	}
}

package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// mfaTests are the conformance cases of TwoFactorStore, ChallengeStore and
// WebAuthnStore (registered in suite.go).
var mfaTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Storage)
}{
	{"TwoFactorMethods", testTwoFactorMethods},
	{"TwoFactorStepOnce", testTwoFactorStepOnce},
	{"TwoFactorStepConcurrent", testTwoFactorStepConcurrent},
	{"TwoFactorSecrets", testTwoFactorSecrets},
	{"RecoveryCodes", testRecoveryCodes},
	{"RemoveTwoFactorMethods", testRemoveTwoFactorMethods},
	{"SecondFactorResetEndsTrusts", testSecondFactorResetEndsTrusts},
	{"RecoveryCodeConcurrent", testRecoveryCodeConcurrent},
	{"Challenges", testChallenges},
	{"ChallengeConsumeConcurrent", testChallengeConsumeConcurrent},
	{"ChallengeAttempts", testChallengeAttempts},
	{"ChallengeReserveAttempt", testChallengeReserveAttempt},
	{"ChallengeReserveAttemptConcurrent", testChallengeReserveAttemptConcurrent},
	{"PurgeChallenges", testPurgeChallenges},
	{"CountEvent", testCountEvent},
	{"IssueChallenge", testIssueChallenge},
	{"IssueChallengeConcurrent", testIssueChallengeConcurrent},
	{"WebAuthnCredentials", testWebAuthnCredentials},
	{"WebAuthnSignCountCAS", testWebAuthnSignCount},
	{"DeleteUserRemovesSecondFactors", testDeleteUserRemovesSecondFactors},
}

func totpMethod(userID, id string) storage.TwoFactorMethod {
	return storage.TwoFactorMethod{ID: id, UserID: userID, Method: "authenticator", Name: "phone",
		Secret: []byte("sealed-" + id), InsertedAt: base}
}

func testTwoFactorMethods(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	wantErr(t, s.AddTwoFactorMethod(ctx, totpMethod("nobody", "AAAA"), nil), storage.ErrNotFound)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1"), hash("r2")}))
	email := storage.TwoFactorMethod{ID: "BBBB", UserID: u.ID, Method: "email", Email: "ada@example.com", InsertedAt: base.Add(time.Second)}
	must(t, s.AddTwoFactorMethod(ctx, email, nil))
	wantErr(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), nil), storage.ErrConflict)

	got, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	wantEqual(t, "methods", got, []storage.TwoFactorMethod{totpMethod(u.ID, "AAAA"), email})
	n, err := s.CountRecoveryCodes(ctx, u.ID)
	must(t, err)
	wantEqual(t, "recovery codes", n, 2)

	must(t, s.RenameTwoFactorMethod(ctx, u.ID, "BBBB", "work"))
	wantErr(t, s.RenameTwoFactorMethod(ctx, u.ID, "ZZZZ", "x"), storage.ErrNotFound)
	must(t, s.RemoveTwoFactorMethod(ctx, u.ID, "AAAA"))
	wantErr(t, s.RemoveTwoFactorMethod(ctx, u.ID, "AAAA"), storage.ErrNotFound)
	got, err = s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	email.Name = "work"
	wantEqual(t, "after remove", got, []storage.TwoFactorMethod{email})
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 2 {
		t.Fatalf("recovery codes after removing one of two methods = %d, want 2", n)
	}
	must(t, s.RemoveTwoFactorMethod(ctx, u.ID, "BBBB"))
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 0 {
		t.Fatalf("recovery codes after removing the last method = %d, want 0", n)
	}
}

func testTwoFactorStepOnce(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), nil))
	must(t, s.UseTwoFactorStep(ctx, u.ID, "AAAA", 100, base))
	wantErr(t, s.UseTwoFactorStep(ctx, u.ID, "AAAA", 100, base), storage.ErrConflict) // the same code again
	wantErr(t, s.UseTwoFactorStep(ctx, u.ID, "AAAA", 99, base), storage.ErrConflict)  // an older one
	must(t, s.UseTwoFactorStep(ctx, u.ID, "AAAA", 101, base.Add(time.Minute)))
	wantErr(t, s.UseTwoFactorStep(ctx, u.ID, "ZZZZ", 5, base), storage.ErrNotFound)
	got, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	if got[0].LastStep != 101 || !got[0].LastUsedAt.Equal(base.Add(time.Minute)) {
		t.Fatalf("after use: step %d at %v", got[0].LastStep, got[0].LastUsedAt)
	}
}

func testTwoFactorStepConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), nil))
	errs := parallel(8, func(int) error { return s.UseTwoFactorStep(ctx, u.ID, "AAAA", 42, base) })
	ok, other := countNil(errs)
	if ok != 1 {
		t.Fatalf("%d of 8 concurrent uses of one code succeeded, want 1 (%v)", ok, other)
	}
}

func testRecoveryCodes(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1"), hash("r2"), hash("r3")}))
	must(t, s.ConsumeRecoveryCode(ctx, u.ID, hash("r1")))
	wantErr(t, s.ConsumeRecoveryCode(ctx, u.ID, hash("r1")), storage.ErrNotFound)
	wantErr(t, s.ConsumeRecoveryCode(ctx, "other", hash("r2")), storage.ErrNotFound)
	must(t, s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{hash("n1")}))
	wantErr(t, s.ConsumeRecoveryCode(ctx, u.ID, hash("r2")), storage.ErrNotFound)

	wantErr(t, s.DisableTwoFactor(ctx, u.ID, hash("r3")), storage.ErrNotFound)
	if got, _ := s.ListTwoFactorMethods(ctx, u.ID); len(got) != 1 {
		t.Fatalf("a refused disable changed the methods: %v", got)
	}
	must(t, s.DisableTwoFactor(ctx, u.ID, hash("n1")))
	got, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); len(got) != 0 || n != 0 {
		t.Fatalf("after disable: %d methods, %d codes", len(got), n)
	}
}

// testRemoveTwoFactorMethods: the administrator's override removes every
// method and recovery code of one user, no code asked, and nobody else's.
func testRemoveTwoFactorMethods(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	other := newUser("u-other", "other@example.com", "")
	must(t, s.CreateUser(ctx, other))
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1"), hash("r2")}))
	must(t, s.AddTwoFactorMethod(ctx, storage.TwoFactorMethod{ID: "BBBB", UserID: u.ID, Method: "email", Email: "ada@example.com",
		InsertedAt: base.Add(time.Second)}, nil))
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(other.ID, "CCCC"), [][]byte{hash("o1")}))

	must(t, s.RemoveTwoFactorMethods(ctx, u.ID))
	got, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); len(got) != 0 || n != 0 {
		t.Fatalf("after the override: %d methods, %d recovery codes, want none", len(got), n)
	}
	wantErr(t, s.ConsumeRecoveryCode(ctx, u.ID, hash("r2")), storage.ErrNotFound)
	wantErr(t, s.RemoveTwoFactorMethods(ctx, u.ID), storage.ErrNotFound)
	theirs, err := s.ListTwoFactorMethods(ctx, other.ID)
	must(t, err)
	if n, _ := s.CountRecoveryCodes(ctx, other.ID); len(theirs) != 1 || n != 1 {
		t.Fatalf("another user's second factor changed: %d methods, %d codes", len(theirs), n)
	}
}

func testRecoveryCodeConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1")}))
	errs := parallel(8, func(int) error { return s.ConsumeRecoveryCode(ctx, u.ID, hash("r1")) })
	if ok, other := countNil(errs); ok != 1 {
		t.Fatalf("%d of 8 concurrent uses of one recovery code succeeded, want 1 (%v)", ok, other)
	}
}

func challenge(value, kind, userID string, ttl time.Duration) storage.Challenge {
	return storage.Challenge{Hash: hash(value), Kind: kind, UserID: userID, TenantID: tenantID,
		CreatedAt: base, ExpiresAt: base.Add(ttl), Data: []byte(`{"applicationId":"app1"}`)}
}

func testChallenges(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := challenge("two-factor-id", storage.ChallengeTwoFactorLogin, "u1", 5*time.Minute)
	must(t, s.CreateChallenge(ctx, c))
	wantErr(t, s.CreateChallenge(ctx, c), storage.ErrConflict)
	got, err := s.GetChallenge(ctx, c.Kind, c.Hash, base)
	must(t, err)
	wantEqual(t, "challenge", got, c)
	_, err = s.GetChallenge(ctx, storage.ChallengePasswordless, c.Hash, base)
	wantErr(t, err, storage.ErrNotFound) // another kind never answers
	_, err = s.GetChallenge(ctx, c.Kind, c.Hash, c.ExpiresAt)
	wantErr(t, err, storage.ErrNotFound) // expired at ExpiresAt

	must(t, s.UpdateChallengeData(ctx, c.Kind, c.Hash, []byte(`{"x":1}`), base))
	wantErr(t, s.UpdateChallengeData(ctx, c.Kind, c.Hash, nil, c.ExpiresAt), storage.ErrNotFound)
	_, err = s.ConsumeChallenge(ctx, c.Kind, c.Hash, c.ExpiresAt)
	wantErr(t, err, storage.ErrNotFound) // an expired challenge cannot be consumed
	got, err = s.ConsumeChallenge(ctx, c.Kind, c.Hash, base)
	must(t, err)
	wantEqual(t, "consumed data", string(got.Data), `{"x":1}`)
	_, err = s.ConsumeChallenge(ctx, c.Kind, c.Hash, base)
	wantErr(t, err, storage.ErrNotFound)

	must(t, s.CreateChallenge(ctx, challenge("a", storage.ChallengeWebAuthnAuthentication, "u1", time.Minute)))
	must(t, s.CreateChallenge(ctx, challenge("b", storage.ChallengeWebAuthnAuthentication, "u1", time.Minute)))
	must(t, s.CreateChallenge(ctx, challenge("c", storage.ChallengeWebAuthnAuthentication, "u2", time.Minute)))
	must(t, s.CreateChallenge(ctx, challenge("d", storage.ChallengePasswordless, "u1", time.Hour)))
	n, err := s.DeleteChallenges(ctx, "u1", storage.ChallengeWebAuthnAuthentication)
	must(t, err)
	wantEqual(t, "deleted for u1", n, 2)
	n, err = s.PurgeChallenges(ctx, base.Add(2*time.Minute), 10)
	must(t, err)
	wantEqual(t, "purged: the expired one of u2", n, 1)
	if _, err := s.GetChallenge(ctx, storage.ChallengePasswordless, hash("d"), base); err != nil {
		t.Fatalf("a live challenge was purged: %v", err)
	}
}

func testChallengeConsumeConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := challenge("once", storage.ChallengePasswordless, "u1", time.Minute)
	must(t, s.CreateChallenge(ctx, c))
	errs := parallel(8, func(int) error { _, err := s.ConsumeChallenge(ctx, c.Kind, c.Hash, base); return err })
	if ok, other := countNil(errs); ok != 1 {
		t.Fatalf("%d of 8 concurrent consumes succeeded, want 1 (%v)", ok, other)
	}
}

func testChallengeAttempts(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := challenge("tfid", storage.ChallengeTwoFactorLogin, "u1", time.Minute)
	must(t, s.CreateChallenge(ctx, c))
	for want := 1; want <= 2; want++ {
		n, err := s.FailChallenge(ctx, c.Kind, c.Hash, base, 3)
		must(t, err)
		wantEqual(t, "attempts", n, want)
	}
	n, err := s.FailChallenge(ctx, c.Kind, c.Hash, base, 3)
	must(t, err)
	wantEqual(t, "attempts at max", n, 3)
	_, err = s.GetChallenge(ctx, c.Kind, c.Hash, base)
	wantErr(t, err, storage.ErrNotFound) // gone at the cap
	_, err = s.FailChallenge(ctx, c.Kind, c.Hash, base, 3)
	wantErr(t, err, storage.ErrNotFound)
}

// testChallengeReserveAttempt: answers are counted before their check up
// to max; then, and for an expired or unknown challenge, ErrNotFound. The
// challenge stays readable (with its count) and consumable.
func testChallengeReserveAttempt(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := challenge("reserved", storage.ChallengeTwoFactorLogin, "u1", time.Minute)
	must(t, s.CreateChallenge(ctx, c))
	for want := 1; want <= 3; want++ {
		n, err := s.ReserveChallengeAttempt(ctx, c.Kind, c.Hash, base, 3)
		must(t, err)
		wantEqual(t, "reserved attempts", n, want)
	}
	_, err := s.ReserveChallengeAttempt(ctx, c.Kind, c.Hash, base, 3)
	wantErr(t, err, storage.ErrNotFound)
	got, err := s.GetChallenge(ctx, c.Kind, c.Hash, base)
	must(t, err)
	wantEqual(t, "attempts after a refused reservation", got.Attempts, 3)
	_, err = s.ConsumeChallenge(ctx, c.Kind, c.Hash, base)
	must(t, err)

	e := challenge("expiring", storage.ChallengeTwoFactorEnable, "u1", time.Minute)
	must(t, s.CreateChallenge(ctx, e))
	_, err = s.ReserveChallengeAttempt(ctx, e.Kind, e.Hash, e.ExpiresAt, 3)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ReserveChallengeAttempt(ctx, storage.ChallengePasswordless, e.Hash, base, 3)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ReserveChallengeAttempt(ctx, e.Kind, hash("unknown"), base, 3)
	wantErr(t, err, storage.ErrNotFound)
	got, err = s.GetChallenge(ctx, e.Kind, e.Hash, base)
	must(t, err)
	wantEqual(t, "attempts of refused reservations", got.Attempts, 0)
}

// testChallengeReserveAttemptConcurrent: of many concurrent reservations
// on one challenge exactly max succeed.
func testChallengeReserveAttemptConcurrent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	c := challenge("raced", storage.ChallengeTwoFactorLogin, "u1", time.Minute)
	must(t, s.CreateChallenge(ctx, c))
	errs := parallel(24, func(int) error { _, err := s.ReserveChallengeAttempt(ctx, c.Kind, c.Hash, base, 5); return err })
	ok, other := countNil(errs)
	if ok != 5 {
		t.Fatalf("%d of 24 concurrent reservations succeeded, want 5", ok)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("a refused reservation failed otherwise: %v", other)
		}
	}
	got, err := s.GetChallenge(ctx, c.Kind, c.Hash, base)
	must(t, err)
	wantEqual(t, "attempts", got.Attempts, 5)
}

func testCountEvent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	for want := 1; want <= 3; want++ {
		n, err := s.CountEvent(ctx, "send:u1", base.Add(time.Duration(want)*time.Second), time.Minute)
		must(t, err)
		wantEqual(t, "count", n, want)
	}
	n, err := s.CountEvent(ctx, "send:u2", base, time.Minute)
	must(t, err)
	wantEqual(t, "another key", n, 1)
	n, err = s.CountEvent(ctx, "send:u1", base.Add(61*time.Second), time.Minute)
	must(t, err)
	wantEqual(t, "after the window", n, 1)
	errs := parallel(8, func(int) error { _, err := s.CountEvent(ctx, "burst", base, time.Minute); return err })
	if ok, other := countNil(errs); ok != 8 {
		t.Fatalf("concurrent counts failed: %v", other)
	}
	n, err = s.CountEvent(ctx, "burst", base, time.Minute)
	must(t, err)
	wantEqual(t, "every concurrent event counted", n, 9)
}

func passkey(id, userID string, credID byte) storage.WebAuthnCredential {
	return storage.WebAuthnCredential{ID: id, TenantID: tenantID, UserID: userID, CredentialID: []byte{credID, 1, 2},
		PublicKey: []byte{0xa5, credID}, Algorithm: -7, AttestationType: "none", AAGUID: []byte{0, 1},
		SignCount: 5, Transports: []string{"internal"}, Discoverable: true, UserVerified: true, BackupEligible: true,
		RelyingPartyID: "example.com", DisplayName: "Laptop", Name: "ada@example.com", UserAgent: "Chrome",
		InsertInstant: base.UnixMilli(), LastUseInstant: base.UnixMilli()}
}

func testWebAuthnCredentials(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	a, b := passkey("pk-a", u.ID, 1), passkey("pk-b", u.ID, 2)
	b.InsertInstant++
	must(t, s.CreateWebAuthnCredential(ctx, a))
	must(t, s.CreateWebAuthnCredential(ctx, b))
	wantErr(t, s.CreateWebAuthnCredential(ctx, passkey("pk-c", u.ID, 1)), storage.ErrConflict) // same credential id
	wantErr(t, s.CreateWebAuthnCredential(ctx, passkey("pk-d", "nobody", 9)), storage.ErrNotFound)
	got, err := s.GetWebAuthnCredential(ctx, "pk-a")
	must(t, err)
	wantEqual(t, "get", got, a)
	got, err = s.FindWebAuthnCredential(ctx, []byte{2, 1, 2})
	must(t, err)
	wantEqual(t, "find", got, b)
	_, err = s.FindWebAuthnCredential(ctx, []byte{7})
	wantErr(t, err, storage.ErrNotFound)
	list, err := s.ListWebAuthnCredentials(ctx, u.ID)
	must(t, err)
	wantEqual(t, "list", list, []storage.WebAuthnCredential{a, b})
	must(t, s.DeleteWebAuthnCredential(ctx, "pk-a"))
	wantErr(t, s.DeleteWebAuthnCredential(ctx, "pk-a"), storage.ErrNotFound)
	n, err := s.DeleteWebAuthnCredentials(ctx, u.ID)
	must(t, err)
	wantEqual(t, "deleted", n, 1)
}

func testWebAuthnSignCount(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.CreateWebAuthnCredential(ctx, passkey("pk-a", u.ID, 1)))
	wantErr(t, s.UseWebAuthnCredential(ctx, "pk-a", 4, 6, false, base), storage.ErrConflict)
	errs := parallel(8, func(int) error { return s.UseWebAuthnCredential(ctx, "pk-a", 5, 6, false, base.Add(time.Second)) })
	if ok, other := countNil(errs); ok != 1 {
		t.Fatalf("%d of 8 assertions with one counter value accepted, want 1 (%v)", ok, other)
	}
	got, err := s.GetWebAuthnCredential(ctx, "pk-a")
	must(t, err)
	if got.SignCount != 6 || got.LastUseInstant != base.Add(time.Second).UnixMilli() || got.BackupState {
		t.Fatalf("after use: %+v", got)
	}
	wantErr(t, s.UseWebAuthnCredential(ctx, "nope", 0, 1, false, base), storage.ErrNotFound)
}

func testDeleteUserRemovesSecondFactors(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, u := seed(t, s)
	must(t, s.AddTwoFactorMethod(ctx, totpMethod(u.ID, "AAAA"), [][]byte{hash("r1")}))
	must(t, s.CreateWebAuthnCredential(ctx, passkey("pk-a", u.ID, 1)))
	must(t, s.DeleteUser(ctx, u.ID))
	must(t, s.CreateUser(ctx, newUser(u.ID, "ada@example.com", "ada"))) // same id again
	methods, err := s.ListTwoFactorMethods(ctx, u.ID)
	must(t, err)
	keys, err := s.ListWebAuthnCredentials(ctx, u.ID)
	must(t, err)
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); len(methods)+len(keys)+n != 0 {
		t.Fatalf("a deleted user's second factors survived: %d methods, %d passkeys, %d codes", len(methods), len(keys), n)
	}
}

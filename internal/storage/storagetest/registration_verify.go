package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// regVerification is a registration verificationId of u1 for appID's
// registration regID.
func regVerification(secret, appID, regID string) storage.Identifier {
	return storage.Identifier{Hash: hash(secret), Kind: storage.IdentifierRegistrationVerification, UserID: "u1",
		TenantID: tenantID, CreatedAt: base, ExpiresAt: base.Add(time.Hour),
		Data: storage.IdentifierData{ApplicationID: appID, RegistrationID: regID}}
}

// testVerifyRegistration: ChangeUser consumes a registration verificationId
// and marks the registration verified in one transaction; a change naming
// a registration the user does not have changes nothing, the id included;
// DropRegistrationVerifications voids one application's ids only.
func testVerifyRegistration(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	must(t, s.CreateApplication(ctx, newApp("app2", true)))
	must(t, s.CreateRegistration(ctx, storage.Registration{ID: "reg2", UserID: "u1", ApplicationID: "app2", Roles: []string{}}))
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, Issue: []storage.Identifier{
		regVerification("rv-1", "app1", "reg1"), regVerification("rv-1b", "app1", "reg1"), regVerification("rv-2", "app2", "reg2")}}))

	// A registration that is not the user's: nothing changes.
	wantErr(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base,
		Consume:            ref("rv-1", storage.IdentifierRegistrationVerification),
		VerifyRegistration: &storage.RegistrationVerified{RegistrationID: "gone", Instant: 5}}), storage.ErrNotFound)
	_, err := s.GetIdentifier(ctx, storage.IdentifierRegistrationVerification, hash("rv-1"), base)
	must(t, err)

	// A new id for app1 voids app1's earlier ones and keeps app2's.
	must(t, s.ChangeUser(ctx, storage.UserChange{UserID: "u1", Now: base, DropRegistrationVerifications: "app1",
		Issue: []storage.Identifier{regVerification("rv-3", "app1", "reg1")}}))
	for _, gone := range []string{"rv-1", "rv-1b"} {
		_, err = s.GetIdentifier(ctx, storage.IdentifierRegistrationVerification, hash(gone), base)
		wantErr(t, err, storage.ErrNotFound)
	}
	_, err = s.GetIdentifier(ctx, storage.IdentifierRegistrationVerification, hash("rv-2"), base)
	must(t, err)

	verify := storage.UserChange{UserID: "u1", Now: base, Consume: ref("rv-3", storage.IdentifierRegistrationVerification),
		VerifyRegistration: &storage.RegistrationVerified{RegistrationID: "reg1", Instant: base.UnixMilli()}}
	must(t, s.ChangeUser(ctx, verify))
	r, err := s.GetRegistration(ctx, "u1", "app1")
	must(t, err)
	wantEqual(t, "verified", r.Verified, true)
	wantEqual(t, "verifiedInstant", r.VerifiedInstant, base.UnixMilli())
	wantEqual(t, "roles kept", r.Roles, []string{"admin"})
	// Single use: the same change again is refused.
	wantErr(t, s.ChangeUser(ctx, verify), storage.ErrNotFound)
	r2, err := s.GetRegistration(ctx, "u1", "app2")
	must(t, err)
	wantEqual(t, "other registration", r2.Verified, false)
}

package storagetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Run runs the conformance suite. newStorage returns a fresh, empty store for
// one subtest and arranges its cleanup with t.Cleanup.
func Run(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"Tenants", testTenants},
		{"Applications", testApplications},
		{"Users", testUsers},
		{"UserEmailCaseInsensitive", testUserCaseInsensitive},
		{"UpdateUserConflict", testUpdateUserConflict},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"DeleteApplicationCascades", testDeleteApplicationCascades},
		{"Registrations", testRegistrations},
		{"RecordLogin", testRecordLogin},
		{"RecordLoginAllOrNothing", testRecordLoginAllOrNothing},
		{"UndoLogin", testUndoLogin},
		{"UndoLoginKeepsOthers", testUndoLoginKeepsOthers},
		{"APIKeys", testAPIKeys},
		{"SystemConfiguration", testSystemConfiguration},
		{"RefreshTokenRoundTrip", testRefreshTokenRoundTrip},
		{"RefreshTokenRotationHistory", testRotationHistory},
		{"RefreshTokenRotationRefusals", testRotationRefusals},
		{"RefreshTokenConcurrentRotation", testConcurrentRotation},
		{"RefreshTokenTouch", testTouch},
		{"RefreshTokenRevokeEmptyFilter", testRevokeEmptyFilter},
		{"RefreshTokenDeleteExpired", testDeleteExpired},
		{"ListRevocations", testListRevocations},
		{"IssuedSessionsInFeed", testIssuedSessionsInFeed},
		{"DeletedSessionsInFeed", testDeletedSessionsInFeed},
		{"SigningKeys", testSigningKeys},
		{"SigningKeysConcurrentInsert", testConcurrentSigningKeyInsert},
		{"Lockout", testLockout},
		{"LockoutConcurrent", testLockoutConcurrent},
		{"ReserveLoginAttempt", testReserveLoginAttempt},
		{"ReserveLoginAttemptRefundUnlocks", testReserveLoginAttemptRefundUnlocks},
		{"ReserveLoginAttemptConcurrent", testReserveLoginAttemptConcurrent},
		{"SettleLoginFailure", testSettleLoginFailure},
		{"PendingChargesLapse", testPendingChargesLapse},
		{"SettlementAfterLapse", testSettlementAfterLapse},
		{"Kickstart", testKickstart},
		{"ServerSecret", testServerSecret},
		{"Health", testHealth},
		{"Ping", func(t *testing.T, s storage.Storage) { must(t, s.Ping(context.Background())) }},
		{"DatabaseTime", testDatabaseTime},
		{"EventCounts", testEventCounts},
		{"DataNumbersKeptExactly", testDataNumbersKeptExactly},
		{"UserComments", testUserComments},
		{"DeleteUserDeletesComments", testDeleteUserDeletesComments},
		{"Families", testFamilies},
		{"DeleteUserDeletesFamilies", testDeleteUserDeletesFamilies},
		{"PendingChildren", testPendingChildren},
		{"FamilyAdultRace", testFamilyAdultRace},
		{"OrphanedChildren", testDeleteOrphanedChildren},
		{"OrphanAdoptionRace", testOrphanAdoptionRace},
		{"Consents", testConsents},
		{"UserConsents", testUserConsents},
		{"UserConsentsGoWithUserAndConsent", testUserConsentsGoWithUserAndConsent},
		{"EventLog", testEventLog},
		{"PurgeEventLogs", testPurgeEventLogs},
		{"IdentityProviderConnectionTests", testIdentityProviderConnectionTests},
	}
	tests = append(tests, eventTests...)
	for _, tc := range append(append(append(append(append(append(append(append(tests, mailTests...), accountTests...), revisionTests...), mfaTests...), directoryTests...), janitorTests...), oauthTests...), sessionTests...) {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStorage(t))
		})
	}
	t.Run("EventsCommitWithTheChange", func(t *testing.T) { testEventsCommitWithTheChange(t, newStorage) })
	t.Run("EventsRollBackWithTheChange", func(t *testing.T) { testEventsRollBackWithTheChange(t, newStorage) })
	t.Run("RevokingAllTokensEndsLoginSessions", func(t *testing.T) { testRevokingAllTokensEndsLoginSessions(t, newStorage) })
	for _, rc := range revokeCases {
		t.Run("RefreshTokenRevoke/"+rc.name, func(t *testing.T) {
			testRevoke(t, newStorage(t), rc)
		})
	}
}

// base is the suite's fixed clock: millisecond precision, UTC, so that
// round-trips compare exactly.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

const tenantID = "11111111-1111-1111-1111-111111111111"

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr fails unless err matches target (errors.Is).
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// unrevised is u without the revisions a read fills in (User.Revision,
// Registration.Revision): the record apart from how often its rows were
// written.
func unrevised(u storage.User) storage.User {
	u.Revision = 0
	if u.Registrations != nil {
		regs := make([]storage.Registration, len(u.Registrations))
		for i, r := range u.Registrations {
			regs[i] = unrevisedReg(r)
		}
		u.Registrations = regs
	}
	return u
}

// unrevisedReg is r without its revision (unrevised).
func unrevisedReg(r storage.Registration) storage.Registration {
	r.Revision = 0
	return r
}

func newTenant(id string) storage.Tenant {
	return storage.Tenant{
		ID: id, Name: "Default", Issuer: "https://id.example.com",
		JWTConfiguration: storage.TenantJWTConfiguration{
			Enabled: true, TimeToLiveInSeconds: 300, RefreshTokenTimeToLiveInMinutes: 43200,
			RefreshTokenExpirationPolicy: "SlidingWindow", RefreshTokenUsagePolicy: "OneTimeUse",
			RefreshTokenOneTimeUseConfiguration: storage.RefreshTokenOneTimeUseConfiguration{GracePeriodInSeconds: 10},
		},
		FailedAuthenticationConfiguration: storage.FailedAuthenticationConfiguration{TooManyAttempts: 5, Enabled: true},
		Data:                              map[string]any{"region": "eu"},
		InsertInstant:                     base.UnixMilli(),
	}
}

func newApp(id string, active bool) storage.Application {
	state := "Active"
	if !active {
		state = "Inactive"
	}
	return storage.Application{
		ID: id, TenantID: tenantID, Name: "App " + id, Active: active, State: state,
		Roles: []storage.ApplicationRole{{ID: id + "-r", Name: "admin", IsSuperRole: true}},
		OAuthConfiguration: storage.ApplicationOAuthConfig{
			ClientID: id, EnabledGrants: []string{"password", "refresh_token"},
			AuthorizedOriginURLs: []string{"https://app.example.com"},
		},
		InsertInstant: base.UnixMilli(),
	}
}

func newUser(id, email, username string) storage.User {
	return storage.User{
		ID: id, TenantID: tenantID, Active: true, Email: email, Username: username,
		FirstName: "Ada", PreferredLanguages: []string{"en"}, Data: map[string]any{"plan": "pro"},
		Password:      storage.PasswordHash{Scheme: "salted-pbkdf2-hmac-sha256", Factor: 24000, Salt: "c2FsdA==", Hash: "aGFzaA=="},
		InsertInstant: base.UnixMilli(),
	}
}

// seed creates the default tenant, application "app1", and user "u1"
// registered to it, and returns them.
func seed(t *testing.T, s storage.Storage) (storage.Application, storage.User) {
	t.Helper()
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	a := newApp("app1", true)
	must(t, s.CreateApplication(ctx, a))
	u := newUser("u1", "Ada@Example.com", "ada")
	must(t, s.CreateUser(ctx, u))
	must(t, s.CreateRegistration(ctx, storage.Registration{ID: "reg1", UserID: u.ID, ApplicationID: a.ID, Roles: []string{"admin"}}))
	return a, u
}

// newToken builds a refresh-token family for user/app with secret secret.
func newToken(id, userID, appID, secret string) storage.RefreshToken {
	return storage.RefreshToken{
		ID: id, TenantID: tenantID, UserID: userID, ApplicationID: appID, Hash: hash(secret),
		StartInstant: base, LastUsedAt: base, ExpiresAt: base.Add(30 * 24 * time.Hour), AuthTime: base,
		Scopes: []string{"offline_access"}, DPoPJKT: "jkt-" + id,
		Device:     storage.DeviceInfo{Name: "Firefox", Type: "BROWSER", LastAccessedAddress: "192.0.2.1"},
		InsertedAt: base,
	}
}

// parallel runs fn(i) for i in [0,n) at once and returns the errors by index.
// A start barrier makes the calls actually overlap.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan int)
	for i := range n {
		go func() {
			<-start
			errs[i] = fn(i)
			done <- i
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}

func countNil(errs []error) (ok int, other []string) {
	for i, err := range errs {
		if err == nil {
			ok++
		} else {
			other = append(other, fmt.Sprintf("#%d: %v", i, err))
		}
	}
	return ok, other
}

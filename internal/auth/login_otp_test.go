package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// issueOTP stores a oneTimePassword for alice with d and returns its value.
func (e *env) issueOTP(d storage.IdentifierData, ttl time.Duration) string {
	e.t.Helper()
	u, err := e.store.GetUser(e.ctx, userID)
	must(e.t, err)
	raw, id := NewIdentifier(storage.IdentifierOneTimePassword, storage.SecureGenerator{Length: 32, Type: "randomBytes"},
		int(ttl/time.Second), u, e.clock.Now(), d)
	must(e.t, e.store.ChangeUser(e.ctx, storage.UserChange{UserID: userID, Now: e.clock.Now(), Issue: []storage.Identifier{id}}))
	return raw
}

// TestOneTimePasswordLogin: the value logs in once, for the application it
// was issued for, within its lifetime, with what its issuer allowed (a
// refresh token continuing the original session's start, or none).
func TestOneTimePasswordLogin(t *testing.T) {
	e := newEnv(t)
	start := e.clock.Now().Add(-30 * time.Minute)
	otp := e.issueOTP(storage.IdentifierData{ApplicationID: appID, IssueJWT: true, IssueRefreshToken: true,
		RefreshTokenStart: start.UnixMilli(), AuthTime: start.UnixMilli(), State: map[string]any{"k": "v"}}, time.Minute)
	_, err := e.svc.Login(e.ctx, LoginRequest{OneTimePassword: otp, ApplicationID: otherApp})
	wantErr(t, err, ErrInvalidCredentials) // issued for another application; not spent
	tok, err := e.svc.Login(e.ctx, LoginRequest{OneTimePassword: otp})
	must(t, err)
	if tok.RefreshToken == "" || tok.State["k"] != "v" || e.claims(tok.AccessToken)["authenticationType"] != authOneTimePassword {
		t.Fatalf("login = %+v", tok)
	}
	rt := e.record(tok.RefreshTokenID)
	if !rt.StartInstant.Equal(start) || !rt.ExpiresAt.Equal(start.Add(60*time.Minute)) {
		t.Fatalf("refresh token starts %s and expires %s, want the original session's start %s and its Fixed expiry", rt.StartInstant, rt.ExpiresAt, start)
	}
	_, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: otp})
	wantErr(t, err, ErrInvalidCredentials) // single use

	noRefresh := e.issueOTP(storage.IdentifierData{ApplicationID: appID, IssueJWT: true}, time.Minute)
	tok, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: noRefresh})
	if err != nil || tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Fatalf("without issueRefreshToken: %+v, %v", tok, err)
	}
	ended := e.clock.Now().Add(-2 * time.Hour) // the session it would continue has outlived its 60 minutes
	gone := e.issueOTP(storage.IdentifierData{ApplicationID: appID, IssueJWT: true, IssueRefreshToken: true,
		RefreshTokenStart: ended.UnixMilli(), AuthTime: ended.UnixMilli()}, time.Minute)
	tok, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: gone})
	if err != nil || tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Fatalf("continuing an ended session: %+v, %v; want a JWT and no refresh token", tok, err)
	}
	expired := e.issueOTP(storage.IdentifierData{ApplicationID: appID, IssueJWT: true}, time.Minute)
	e.clock.Advance(time.Minute)
	_, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: expired})
	wantErr(t, err, ErrInvalidCredentials)
	for _, bad := range []string{"nope", string(make([]byte, 1000))} {
		_, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: bad})
		wantErr(t, err, ErrInvalidCredentials)
	}
}

// TestCheckPassword: a current password asked for again is checked as a
// login checks one: a wrong one costs a hash and counts toward the lockout,
// a locked account is refused without hashing.
func TestCheckPassword(t *testing.T) {
	e := newEnv(t)
	tn, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	u, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	must(t, e.svc.CheckPassword(e.ctx, tn, u, goodPass))
	for range 3 { // the tenant locks after 3
		wantErr(t, e.svc.CheckPassword(e.ctx, tn, u, "wrong"), ErrInvalidCredentials)
	}
	before := e.hasher.evals.Load()
	var locked *LockedError
	if err := e.svc.CheckPassword(e.ctx, tn, u, goodPass); !errors.As(err, &locked) || e.hasher.evals.Load() != before {
		t.Fatalf("locked account: %v, %d hashes", err, e.hasher.evals.Load()-before)
	}
}

// TestOneTimePasswordLoginSecondFactor (adversarial): the oneTimePassword
// of a user with an authenticator is a first factor only. Its login is
// withheld with 242 as a password login is (twoFactorId, methods without
// secrets) and writes nothing but the pending login: no token, no refresh
// token, no login record or lastLoginInstant; the value is spent, so it
// cannot be tried again. A wrong code issues nothing. The right code
// issues what the oneTimePassword allowed: authenticationType
// ONE_TIME_PASSWORD, a refresh token continuing the original session's
// start, the forgot-password state. A trusted device is not asked again;
// a user without a second factor logs in at once (TestOneTimePasswordLogin).
func TestOneTimePasswordLoginSecondFactor(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	start := e.clock.Now().Add(-30 * time.Minute)
	allows := storage.IdentifierData{ApplicationID: appID, IssueJWT: true, IssueRefreshToken: true,
		RefreshTokenStart: start.UnixMilli(), AuthTime: start.UnixMilli(), State: map[string]any{"k": "v"}}
	before := e.traces()
	unchanged := e.noNewTraces(before)

	otp := e.issueOTP(allows, time.Minute)
	tok, err := e.svc.Login(e.ctx, LoginRequest{OneTimePassword: otp, ApplicationID: appID})
	w := held242(t, err)
	if tok.AccessToken != "" || tok.RefreshToken != "" {
		t.Fatal("tokens with the 242")
	}
	unchanged("the 242")
	_, err = e.svc.Login(e.ctx, LoginRequest{OneTimePassword: otp, ApplicationID: appID})
	wantErr(t, err, ErrInvalidCredentials) // spent by the 242
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: "000000"})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	unchanged("a wrong code")

	tok, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e.code(), TrustComputer: true})
	must(t, err)
	if tok.RefreshToken == "" || tok.State["k"] != "v" || e.claims(tok.AccessToken)["authenticationType"] != authOneTimePassword {
		t.Fatalf("after the second factor: %+v, claims %v", tok, e.claims(tok.AccessToken))
	}
	if rt := e.record(tok.RefreshTokenID); !rt.StartInstant.Equal(start) {
		t.Fatalf("refresh token starts %s, want the original session's start %s", rt.StartInstant, start)
	}

	trusted, err := e.svc.Login(e.ctx, LoginRequest{OneTimePassword: e.issueOTP(allows, time.Minute), ApplicationID: appID,
		TwoFactorTrustID: tok.TwoFactorTrustID})
	if err != nil || trusted.AccessToken == "" {
		t.Fatalf("a trusted device was asked again: %v", err)
	}
}

package auth

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestTOTPFusionAuthSecret pins FusionAuth's secret form (accounts spec
// §10.1, the docs' example): the key is the bytes of the secret string.
func TestTOTPFusionAuthSecret(t *testing.T) {
	if got := TOTPBase32("8MJJfCY4ERBtotvenSc3"); got != "HBGUUSTGINMTIRKSIJ2G65DWMVXFGYZT" {
		t.Fatalf("base32 = %s", got)
	}
	if s, ok := SecretFromBase32("HBGUUSTGINMTIRKSIJ2G65DWMVXFGYZT"); !ok || s != "8MJJfCY4ERBtotvenSc3" {
		t.Fatalf("decode = %q %v", s, ok)
	}
	// RFC 6238 appendix B (SHA-1, key "12345678901234567890"), 8-digit
	// codes truncated to their last 6 digits, which is the 6-digit code.
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := TOTPCode("12345678901234567890", TOTPStep(time.Unix(v.unix, 0))); got != v.code {
			t.Errorf("code at %d = %s, want %s", v.unix, got, v.code)
		}
	}
	secret, b := NewTOTPSecret()
	if len(secret) != 20 || len(b) != 32 {
		t.Fatalf("new secret %q (%d), base32 %q (%d)", secret, len(secret), b, len(b))
	}
}

func TestMatchTOTPWindow(t *testing.T) {
	now := time.Unix(1_800_000_015, 0)
	cur := TOTPStep(now)
	for d, want := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		step, ok := MatchTOTP("12345678901234567890", TOTPCode("12345678901234567890", cur+d), now)
		if ok != want || (ok && step != cur+d) {
			t.Errorf("offset %d: ok=%v step=%d, want %v", d, ok, step, want)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", " 12345"} {
		if _, ok := MatchTOTP("12345678901234567890", bad, now); ok {
			t.Errorf("%q matched", bad)
		}
	}
}

func bytesOf(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

const totpSecret = "8MJJfCY4ERBtotvenSc3"

// enrolTOTP gives alice an authenticator method and recovery codes.
func (e *env) enrolTOTP() []string {
	e.t.Helper()
	sealed := e.svc.SealSecret(userID, "AAAA", totpSecret)
	codes, hashes := NewRecoveryCodes()
	must(e.t, e.store.AddTwoFactorMethod(e.ctx, storage.TwoFactorMethod{ID: "AAAA", UserID: userID,
		Method: MethodAuthenticator, Secret: sealed, InsertedAt: e.clock.Now()}, hashes))
	return codes
}

// pendingID stands for the first step of a login answered 242.
func (e *env) pendingID() string {
	e.t.Helper()
	user, err := e.store.GetUser(e.ctx, userID)
	must(e.t, err)
	tenant, _ := e.store.GetTenant(e.ctx, tenantID)
	app, _ := e.store.GetApplication(e.ctx, appID)
	id, err := e.svc.startTwoFactor(e.ctx, LoginRequest{IPAddress: "192.0.2.1"}, tenant, app, user, "", e.clock.Now())
	must(e.t, err)
	return id
}

func (e *env) code() string { return TOTPCode(totpSecret, TOTPStep(e.clock.Now())) }

func TestTwoFactorLoginIssuesLikeLogin(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: e.code()})
	must(t, err)
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("no tokens: %+v", tok)
	}
	rec := e.record(tok.RefreshTokenID)
	if rec.UserID != userID || rec.ApplicationID != appID {
		t.Fatalf("refresh token record %+v", rec)
	}
	c := e.claims(tok.AccessToken)
	if c["authenticationType"] != authPassword || c["sid"] != tok.RefreshTokenID {
		t.Fatalf("claims %v", c)
	}
}

func TestTwoFactorLoginRefusals(t *testing.T) {
	e := newEnv(t)
	codes := e.enrolTOTP()
	// A wrong code: 421, nothing issued, the id survives, the guess counts.
	id := e.pendingID()
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: "000000"})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	if f, _ := e.store.GetLoginFailures(e.ctx, ipKey(userID)); f.Count != 1 {
		t.Fatalf("a wrong code was not counted toward lockout: %+v", f)
	}
	tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: e.code()})
	must(t, err)
	if f, _ := e.store.GetLoginFailures(e.ctx, ipKey(userID)); f.Count != 0 {
		t.Fatalf("success did not reset the counter: %+v", f)
	}
	// The id is single use.
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: e.code()})
	wantErr(t, err, ErrTwoFactorNotFound)
	// The same code within its step, on a fresh id: refused (replay).
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: e.code()})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	// The next step's code works.
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: e.code()})
	must(t, err)
	// An expired id.
	old := e.pendingID()
	e.clock.Advance(defaultTwoFactorIDTTL)
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: old, Code: e.code()})
	wantErr(t, err, ErrTwoFactorNotFound)
	// Unknown and absurd ids.
	for _, bad := range []string{"", "nope", strings.Repeat("x", 4096)} {
		_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: bad, Code: e.code()})
		wantErr(t, err, ErrTwoFactorNotFound)
	}
	// A recovery code works once, in any case and with or without hyphen.
	e.clock.Advance(time.Minute)
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: strings.ToLower(codes[0])})
	must(t, err)
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: strings.ReplaceAll(codes[0], "-", "")})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	_ = tok
}

func TestTwoFactorLoginAttemptCapAndLockout(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.TooManyAttempts = 100 })
	e.enrolTOTP()
	id := e.pendingID()
	for range maxTwoFactorAttempts {
		_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: "000000"})
		wantErr(t, err, ErrInvalidTwoFactorCode)
	}
	// The id is gone after the cap, even with the right code.
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: id, Code: e.code()})
	wantErr(t, err, ErrTwoFactorNotFound)

	l := newEnv(t) // three failures lock (defaultWorld)
	l.enrolTOTP()
	lid := l.pendingID()
	for range 3 {
		_, err := l.svc.TwoFactorLogin(l.ctx, TwoFactorLoginRequest{TwoFactorID: lid, Code: "000000"})
		wantErr(t, err, ErrInvalidTwoFactorCode)
	}
	_, err = l.svc.TwoFactorLogin(l.ctx, TwoFactorLoginRequest{TwoFactorID: lid, Code: l.code()})
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("after the lockout threshold the right code got %v, want LockedError", err)
	}
}

func TestTwoFactorLoginCrossUser(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	// Bob has his own authenticator; his valid code does not finish
	// alice's login.
	bob := storage.User{ID: "0f1a2b3c-0000-4000-8000-0000000000b2", TenantID: tenantID, Active: true, Email: "bob@example.test"}
	must(t, e.store.CreateUser(e.ctx, bob))
	bobSecret := "BOBBOBBOBBOBBOBBOBBO"
	sealed := e.svc.SealSecret(bob.ID, "BBBB", bobSecret)
	must(t, e.store.AddTwoFactorMethod(e.ctx, storage.TwoFactorMethod{ID: "BBBB", UserID: bob.ID, Method: MethodAuthenticator, Secret: sealed}, nil))
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: TOTPCode(bobSecret, TOTPStep(e.clock.Now()))})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	// Bob's sealed secret copied onto alice's method does not open.
	_ = e.store.RemoveTwoFactorMethod(e.ctx, userID, "AAAA")
	must(t, e.store.AddTwoFactorMethod(e.ctx, storage.TwoFactorMethod{ID: "BBBB", UserID: userID, Method: MethodAuthenticator, Secret: sealed}, nil))
	if _, _, err := e.svc.unsealSecret(userID, "BBBB", sealed); !errors.Is(err, errUnseal) {
		t.Fatalf("a secret moved between users opened: %v", err)
	}
	// The login refuses the code like a wrong one (421, no tokens) and
	// the log says why; the operator's problem is not a 500.
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: TOTPCode(bobSecret, TOTPStep(e.clock.Now()))})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	if !strings.Contains(e.logs.String(), "two-factor secret does not open") {
		t.Fatal("the unopenable secret was not logged")
	}
}

func TestTrustEndsWithPasswordChange(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: e.pendingID(), Code: e.code(), TrustComputer: true})
	must(t, err)
	if tok.TwoFactorTrustID == "" || !tok.TrustExpiresAt.Equal(e.clock.Now().Add(defaultTrustTTL)) {
		t.Fatalf("no trust: %+v", tok)
	}
	user, _ := e.store.GetUser(e.ctx, userID)
	app, _ := e.store.GetApplication(e.ctx, appID)
	if ok, err := e.svc.trusted(e.ctx, tok.TwoFactorTrustID, app, user); !ok || err != nil {
		t.Fatalf("fresh trust not honoured: %v %v", ok, err)
	}
	other := user
	other.ID = "someone-else"
	if ok, _ := e.svc.trusted(e.ctx, tok.TwoFactorTrustID, app, other); ok {
		t.Fatal("trust honoured for another user")
	}
	if ok, _ := e.svc.trusted(e.ctx, "forged", app, user); ok {
		t.Fatal("a forged trust id was honoured")
	}
	none := app
	none.MultiFactorConfiguration = &storage.ApplicationMultiFactorConfiguration{TrustPolicy: "None"}
	if ok, _ := e.svc.trusted(e.ctx, tok.TwoFactorTrustID, none, user); ok {
		t.Fatal("trustPolicy None honoured a trust")
	}
	changed := user
	changed.Password.Salt = "bmV3LXNhbHQ="
	if ok, _ := e.svc.trusted(e.ctx, tok.TwoFactorTrustID, app, changed); ok {
		t.Fatal("trust survived a password change")
	}
	e.clock.Advance(defaultTrustTTL)
	if ok, _ := e.svc.trusted(e.ctx, tok.TwoFactorTrustID, app, user); ok {
		t.Fatal("an expired trust was honoured")
	}
	sum := sha256.Sum256([]byte(tok.TwoFactorTrustID))
	if _, err := e.store.GetChallenge(e.ctx, storage.ChallengeTwoFactorTrust, sum[:], e.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatalf("the trust is stored by its SHA-256: %v", err)
	}
}

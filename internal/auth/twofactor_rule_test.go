package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// loginAlice is a password login for the Store.
func (e *env) loginAlice(pass string) (Tokens, error) {
	return e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: pass, ApplicationID: appID, IPAddress: "192.0.2.1"})
}

func held242(t *testing.T, err error) *Withheld {
	t.Helper()
	var w *Withheld
	if !errors.As(err, &w) || w.Kind != WithheldTwoFactor || w.TwoFactorID == "" || len(w.Methods) == 0 {
		t.Fatalf("want a 242, got %v (%+v)", err, w)
	}
	for _, m := range w.Methods {
		if m.Secret != nil {
			t.Fatal("the 242 carries a secret")
		}
	}
	return w
}

// TestLogin242WritesNothing: a password login of a user with a second
// factor answers 242 with nothing issued or written but the pending login;
// the lockout counter is not reset by the password alone; a wrong password
// on such an account is refused like any other.
func TestLogin242WritesNothing(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	before, _ := e.store.GetUser(e.ctx, userID)
	// One earlier failure on the counter.
	_, err := e.loginAlice("wrong")
	wantErr(t, err, ErrInvalidCredentials)
	evals := e.hasher.evals.Load()

	_, err = e.loginAlice(goodPass)
	w := held242(t, err)
	if e.hasher.evals.Load() != evals+1 {
		t.Fatal("the 242 did not cost exactly one hash")
	}
	if toks, _ := e.store.ListRefreshTokens(e.ctx, userID); len(toks) != 0 {
		t.Fatalf("a 242 wrote %d refresh tokens", len(toks))
	}
	after, _ := e.store.GetUser(e.ctx, userID)
	if after.LastLoginInstant != before.LastLoginInstant {
		t.Fatal("a 242 wrote lastLoginInstant")
	}
	if f, _ := e.store.GetLoginFailures(e.ctx, ipKey(userID)); f.Count != 1 {
		t.Fatalf("the password alone reset the lockout counter: %+v", f)
	}
	// The second step issues, and only then the counter is reset.
	tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e.code()})
	must(t, err)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token after the second factor")
	}
	if f, _ := e.store.GetLoginFailures(e.ctx, ipKey(userID)); f.Count != 0 {
		t.Fatalf("success did not reset the counter: %+v", f)
	}
	// A wrong password on a two-factor account: the same refusal, counted.
	_, err = e.loginAlice("wrong again")
	wantErr(t, err, ErrInvalidCredentials)
}

func TestLogin242PolicyAndTrust(t *testing.T) {
	e := newEnv(t, func(w *world) {
		w.app.MultiFactorConfiguration = &storage.ApplicationMultiFactorConfiguration{LoginPolicy: "Disabled"}
	})
	e.enrolTOTP()
	if _, err := e.loginAlice(goodPass); err != nil {
		t.Fatalf("loginPolicy Disabled still asked: %v", err)
	}
	e2 := newEnv(t)
	e2.enrolTOTP()
	_, err := e2.loginAlice(goodPass)
	w := held242(t, err)
	tok, err := e2.svc.TwoFactorLogin(e2.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e2.code(), TrustComputer: true})
	must(t, err)
	trusted, err := e2.svc.Login(e2.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
		TwoFactorTrustID: tok.TwoFactorTrustID})
	if err != nil || trusted.AccessToken == "" {
		t.Fatalf("a trusted device was asked again: %v", err)
	}
	// The password grant gets the same outcome.
	_, err = e2.svc.Login(e2.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID, OAuth: true})
	held242(t, err)
}

// TestChangePasswordAfterSecondFactor: 203 comes after 242, as FusionAuth
// orders them, and is answered by the second step.
func TestChangePasswordAfterSecondFactor(t *testing.T) {
	e := newEnv(t, func(w *world) { w.user.PasswordChangeRequired = true })
	e.enrolTOTP()
	_, err := e.loginAlice(goodPass)
	w := held242(t, err)
	e.clock.Advance(time.Second)
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e.code()})
	var cp *Withheld
	if !errors.As(err, &cp) || cp.Kind != WithheldChangePassword || cp.ChangePasswordID == "" {
		t.Fatalf("after the second factor: %v, want 203", err)
	}
	if toks, _ := e.store.ListRefreshTokens(e.ctx, userID); len(toks) != 0 {
		t.Fatal("a 203 after the second factor issued a refresh token")
	}
}

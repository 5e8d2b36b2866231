package auth

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// stepUp starts a step-up for alice as POST /api/two-factor/start does.
func (e *env) stepUp(req StepUpRequest) StepUp {
	e.t.Helper()
	u, err := e.store.GetUser(e.ctx, userID)
	must(e.t, err)
	req.User = u
	up, err := e.svc.StartStepUp(e.ctx, req)
	must(e.t, err)
	return up
}

// trustTokenOf reads the stored trustToken raw stands for.
func (e *env) trustTokenOf(raw string) (storage.Identifier, error) {
	return e.store.GetIdentifier(e.ctx, storage.IdentifierTrustToken, HashIdentifier(raw), e.clock.Now())
}

// TestStepUpCompletesWithItsCodeOrAMethodAndIssuesATrustToken: a step-up
// answers a twoFactorId, a drawn six-digit code (or the caller's own) and
// the user's methods; its completion with that code, or with a TOTP code,
// is a login whose answer carries the state and a trustToken stored for the
// user, bound to the trustChallenge's hash and living the tenant's
// trustTokenTimeToLiveInSeconds. A completion that does not ask for one
// (the hosted page) stores none.
func TestStepUpCompletesWithItsCodeOrAMethodAndIssuesATrustToken(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	up := e.stepUp(StepUpRequest{ApplicationID: appID, TrustChallenge: "bind-me", State: map[string]any{"next": "/password"}})
	if len(up.Code) != 6 || len(up.Methods) != 1 || up.Methods[0].ID != "AAAA" || up.TwoFactorID == "" {
		t.Fatalf("start answered %+v", up)
	}
	tok, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: up.Code, TrustToken: true})
	must(t, err)
	if tok.AccessToken == "" || tok.State["next"] != "/password" || tok.TrustToken == "" {
		t.Fatalf("completion answered %+v", tok)
	}
	rec, err := e.trustTokenOf(tok.TrustToken)
	must(t, err)
	if rec.UserID != userID || !bytes.Equal(rec.Data.TrustChallenge, TrustChallengeHash("bind-me")) ||
		!rec.ExpiresAt.Equal(e.clock.Now().Add(180*time.Second)) {
		t.Fatalf("stored trustToken %+v", rec)
	}

	// The caller's own code, or the authenticator's, completes one too;
	// without a trustChallenge the token is bound to none.
	up = e.stepUp(StepUpRequest{Code: "pigeon-42"})
	if up.Code != "pigeon-42" {
		t.Fatalf("own code answered as %q", up.Code)
	}
	tok, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: "pigeon-42", TrustToken: true})
	must(t, err)
	if rec, err := e.trustTokenOf(tok.TrustToken); err != nil || rec.Data.TrustChallenge != nil {
		t.Fatalf("own code's trustToken %+v, %v", rec, err)
	}
	up = e.stepUp(StepUpRequest{})
	tok, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: e.code()})
	must(t, err)
	if tok.TrustToken != "" {
		t.Fatalf("a completion that asked for none got trustToken %q", tok.TrustToken)
	}
}

// TestStepUpAnswersAreCappedAndChargedLikeALogin: a step-up's twoFactorId
// is the login's second step: each wrong code is charged to the lockout
// before it is checked and spends one of the id's five answers; the sixth
// answer, the right code, finds nothing; and once the account is locked
// the right code of a fresh step-up is refused unchecked.
func TestStepUpAnswersAreCappedAndChargedLikeALogin(t *testing.T) {
	e := newEnv(t, func(w *world) { w.tenant.FailedAuthenticationConfiguration.TooManyAttempts = 1000 })
	e.enrolTOTP()
	up := e.stepUp(StepUpRequest{})
	wrong := e.wrongTOTP()
	for range maxTwoFactorAttempts {
		_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: wrong, IPAddress: "192.0.2.1", TrustToken: true})
		wantErr(t, err, ErrInvalidTwoFactorCode)
	}
	if c := counts(t, e, userID); c[0].Count != maxTwoFactorAttempts {
		t.Fatalf("lockout counter %d after %d wrong codes", c[0].Count, maxTwoFactorAttempts)
	}
	_, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: up.Code, TrustToken: true})
	wantErr(t, err, ErrTwoFactorNotFound)

	l := newEnv(t) // three failures lock
	l.enrolTOTP()
	up = l.stepUp(StepUpRequest{})
	wrong = l.wrongTOTP()
	for range 3 {
		_, err := l.svc.TwoFactorLogin(l.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: wrong, IPAddress: "192.0.2.1"})
		wantErr(t, err, ErrInvalidTwoFactorCode)
	}
	fresh := l.stepUp(StepUpRequest{})
	var locked *LockedError
	if tok, err := l.svc.TwoFactorLogin(l.ctx, TwoFactorLoginRequest{TwoFactorID: fresh.TwoFactorID, Code: fresh.Code,
		IPAddress: "192.0.2.1", TrustToken: true}); !errors.As(err, &locked) || tok.TrustToken != "" {
		t.Fatalf("the right code on a locked account: %+v, %v; want LockedError and no trustToken", tok, err)
	}
}

// TestStepUpStartRefusals: an applicationId that names no application,
// and a caller's code too long to be one, start nothing.
func TestStepUpStartRefusals(t *testing.T) {
	e := newEnv(t)
	u, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	_, err = e.svc.StartStepUp(e.ctx, StepUpRequest{User: u, ApplicationID: "00000000-0000-0000-0000-00000000dead"})
	wantErr(t, err, ErrUnknownApplication)
	_, err = e.svc.StartStepUp(e.ctx, StepUpRequest{User: u, Code: string(bytes.Repeat([]byte("9"), maxStepUpCode+1))})
	wantErr(t, err, ErrStepUpCode)
}

// TestStepUpTokensSayOneTimePassword: a step-up proves no password, so the
// access token its completion issues says authenticationType
// ONE_TIME_PASSWORD (the code it was completed with), whether that is the
// start's code or an authenticator's; the second step of a password login
// still says PASSWORD (TestTwoFactorLoginIssuesLikeLogin).
func TestStepUpTokensSayOneTimePassword(t *testing.T) {
	e := newEnv(t)
	e.enrolTOTP()
	up := e.stepUp(StepUpRequest{ApplicationID: appID})
	byStartCode, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: up.Code})
	must(t, err)
	up = e.stepUp(StepUpRequest{ApplicationID: appID})
	e.clock.Advance(30 * time.Second) // the next TOTP step: a code not used above
	byAuthenticator, err := e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: up.TwoFactorID, Code: e.code()})
	must(t, err)
	for name, tok := range map[string]Tokens{"start's code": byStartCode, "authenticator": byAuthenticator} {
		if got := e.claims(tok.AccessToken)["authenticationType"]; got != authOneTimePassword || tok.AuthType != authOneTimePassword {
			t.Errorf("%s: authenticationType %v, answer's %q; want %s", name, got, tok.AuthType, authOneTimePassword)
		}
	}
}

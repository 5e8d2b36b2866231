package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestFederatedLoginPrevented (adversarial): a login an identity provider
// authenticated (IssueFederated: POST /api/identity-provider/login and the
// hosted page's "Sign in with …") is refused with 409 while a user action
// prevents it, as a password login is: when the lock was in force before
// the login read the user's actions, and when it committed between that
// read and the write (staleActions: RecordLogin's gate catches it). Either
// way, with or without tokens asked for, no refresh token, no login record
// and no lastLoginInstant are written. A lock of another application does
// not stop the login.
func TestFederatedLoginPrevented(t *testing.T) {
	e := newEnv(t)
	app, err := e.store.GetApplication(e.ctx, appID)
	must(t, err)
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	federated := func(noJWT bool) (Tokens, error) {
		return e.svc.IssueFederated(e.ctx, FederatedLogin{User: user, Application: app, IPAddress: "192.0.2.1", NoJWT: noJWT,
			Provider: storage.IdentityProvider{ID: "0f1a2b3c-0000-4000-8000-0000000000c1", Name: "Upstream"}})
	}
	e.lock("other-app-lock", otherApp)
	if tok, err := federated(false); err != nil || tok.RefreshToken == "" {
		t.Fatalf("a lock of another application refused the federated login: %v", err)
	}
	e.clock.Advance(time.Minute) // a later login would write a later lastLoginInstant
	e.lock("lock-1")
	before := e.traces()
	for _, stale := range []bool{false, true} {
		if stale {
			e.svc.cfg.Store = staleActions{e.store} // the lock commits after the login's read
		}
		for _, noJWT := range []bool{false, true} {
			tok, err := federated(noJWT)
			var w *Withheld
			if !errors.As(err, &w) || w.Kind != WithheldLoginPrevented || len(w.Actions) != 1 || w.Actions[0].ID != "lock-1" {
				t.Fatalf("stale %v, noJWT %v: federated login = %v (%+v), want 409 with lock-1", stale, noJWT, err, w)
			}
			if tok.AccessToken != "" || tok.RefreshToken != "" {
				t.Fatalf("stale %v, noJWT %v: tokens with the refusal", stale, noJWT)
			}
			after := e.traces()
			if len(after.live) != len(before.live) || len(after.records) != len(before.records) ||
				after.user.LastLoginInstant != before.user.LastLoginInstant || after.reg.LastLoginInstant != before.reg.LastLoginInstant {
				t.Fatalf("stale %v, noJWT %v: a prevented federated login left traces", stale, noJWT)
			}
		}
	}
}

// TestFederatedLoginSecondFactor (adversarial): a federated login of a user
// with an authenticator is withheld with 242 as a password login is
// (twoFactorId, methods without secrets) and writes nothing but the
// pending login: no refresh token, login record or lastLoginInstant. A
// wrong code issues nothing. The right code issues what IssueFederated
// would have: authenticationType OPENID_CONNECT, a refresh token, the
// login recorded (and logged as federated) under the email the provider
// vouched for, and no 203 for a user without a password (one an identity
// provider created: nothing to change); a lock taken between the steps is
// still 409. The trust of the second step spares the next federated login.
func TestFederatedLoginSecondFactor(t *testing.T) {
	e := newEnv(t, func(w *world) { w.user.PasswordChangeRequired, w.noPassword = true, true })
	e.enrolTOTP()
	app, err := e.store.GetApplication(e.ctx, appID)
	must(t, err)
	user, err := e.store.GetUser(e.ctx, userID)
	must(t, err)
	federated := func(trust string) (Tokens, error) {
		return e.svc.IssueFederated(e.ctx, FederatedLogin{User: user, Application: app, IPAddress: "192.0.2.1", TwoFactorTrustID: trust,
			Provider: storage.IdentityProvider{ID: "0f1a2b3c-0000-4000-8000-0000000000c1", Name: "Upstream"}})
	}
	before := e.traces()
	unchanged := e.noNewTraces(before)

	tok, err := federated("")
	w := held242(t, err)
	if tok.AccessToken != "" || tok.RefreshToken != "" {
		t.Fatal("tokens with the 242")
	}
	unchanged("the 242")
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: "000000"})
	wantErr(t, err, ErrInvalidTwoFactorCode)
	unchanged("a wrong code")

	// A lock taken between the steps is the second step's 409.
	e.lock("lock-1")
	_, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e.code()})
	var held *Withheld
	if !errors.As(err, &held) || held.Kind != WithheldLoginPrevented {
		t.Fatalf("second step under a lock = %v, want 409", err)
	}
	unchanged("a prevented second step")
	e.clock.Advance(2 * time.Hour) // the lock expires

	_, err = federated("")
	w = held242(t, err)
	tok, err = e.svc.TwoFactorLogin(e.ctx, TwoFactorLoginRequest{TwoFactorID: w.TwoFactorID, Code: e.code(), TrustComputer: true})
	must(t, err)
	if tok.AuthType != authOpenIDConnect || tok.RefreshToken == "" || e.claims(tok.AccessToken)["authenticationType"] != authOpenIDConnect {
		t.Fatalf("after the second factor: authType %q, refresh %v, claims %v", tok.AuthType, tok.RefreshToken != "", e.claims(tok.AccessToken))
	}
	if n := strings.Count(e.logs.String(), `"outcome":"federated"`); n != 1 {
		t.Fatalf("the second step logged %d federated successes, want 1", n)
	}
	after := e.traces()
	if len(after.records) != len(before.records)+1 || after.records[0].LoginID != user.Email {
		t.Fatalf("login records after the second factor: %+v", after.records)
	}
	if trusted, err := federated(tok.TwoFactorTrustID); err != nil || trusted.AccessToken == "" {
		t.Fatalf("a trusted device was asked again: %v", err)
	}
}

// otherClickFirst is the real store on which, the first time an account is
// to be written, another first login of the same upstream account (a
// double click) runs to its end first.
type otherClickFirst struct {
	storage.Storage
	other func()
}

func (s *otherClickFirst) CreateFederatedAccount(ctx context.Context, a storage.FederatedAccount) error {
	if f := s.other; f != nil {
		s.other = nil
		f()
	}
	return s.Storage.CreateFederatedAccount(ctx, a)
}

// Two first logins of one new upstream account at once both log the same
// new user in: the one whose write loses (a conflict: the other wrote the
// user and the link first) resolves the account again through the other's
// link. Before, it was a 500. One user, one link, one registration.
func TestFirstFederatedLoginsAtOnceShareTheAccount(t *testing.T) {
	e := newEnv(t)
	const providerID = "0f1a2b3c-0000-4000-8000-0000000000c7"
	p := storage.IdentityProvider{ID: providerID, Type: "OpenIDConnect", Name: "Upstream", Enabled: true, LinkingStrategy: "LinkByEmail",
		ApplicationConfiguration: map[string]storage.IdentityProviderAppConfig{appID: {Enabled: true, CreateRegistration: true}}}
	must(t, e.store.CreateIdentityProvider(e.ctx, p))
	req := FederatedRequest{Provider: p, ApplicationID: appID, IPAddress: "192.0.2.1",
		Claims: map[string]any{"sub": "upstream-new-1", "email": "new-upstream@example.test", "email_verified": true}}
	st := &otherClickFirst{Storage: e.store}
	svc := New(Config{Store: st, Keys: e.keys, Now: e.clock.Now, TenantID: tenantID})
	var other storage.User
	var otherErr error
	st.other = func() { other, _, otherErr = e.svc.FederatedUser(e.ctx, req) }
	u, _, err := svc.FederatedUser(e.ctx, req)
	if otherErr != nil || err != nil {
		t.Fatalf("first logins at once: %v and %v", otherErr, err)
	}
	if u.ID == "" || u.ID != other.ID {
		t.Fatalf("the two logins got users %q and %q, want the same one", other.ID, u.ID)
	}
	found, err := e.store.FindUser(e.ctx, storage.UserFilter{TenantID: tenantID, Email: "new-upstream@example.test"})
	must(t, err)
	link, err := e.store.GetIdentityProviderLink(e.ctx, tenantID, providerID, "upstream-new-1")
	must(t, err)
	regs, err := e.store.ListRegistrations(e.ctx, u.ID)
	must(t, err)
	if found.ID != u.ID || link.UserID != u.ID || len(regs) != 1 || regs[0].ApplicationID != appID {
		t.Fatalf("user %s, link to %s, registrations %+v; want one of each for %s", found.ID, link.UserID, regs, u.ID)
	}
}

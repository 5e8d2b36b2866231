package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginWithheld: each outcome that withholds tokens (outcome.go) answers
// its Withheld after the password verified, writes no refresh token and no
// lastLoginInstant, and issues what its answer carries; /api/login and the
// password grant alike.
func TestLoginWithheld(t *testing.T) {
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() // 14 months before the clock
	tests := []struct {
		name   string
		world  func(*world)
		kind   string
		reason string
	}{
		{"administrative", func(w *world) { w.user.PasswordChangeRequired = true }, WithheldChangePassword, password.ReasonAdministrative},
		{"expired", func(w *world) {
			w.tenant.MaximumPasswordAge = storage.MaximumPasswordAge{Enabled: true, Days: 180}
			w.user.PasswordLastUpdateInstant = old
		}, WithheldChangePassword, password.ReasonExpired},
		{"validation", func(w *world) {
			w.tenant.PasswordValidationRules = storage.PasswordValidationRules{MinLength: 8, MaxLength: 256, RequireNumber: true, ValidateOnLogin: true}
		}, WithheldChangePassword, password.ReasonValidation},
		{"email unverified, gated", func(w *world) {
			w.tenant.EmailConfiguration.VerifyEmail, w.tenant.EmailConfiguration.Unverified.Behavior = true, "Gated"
			w.user.Verified = false
		}, WithheldEmailUnverified, ""},
		{"change required wins over unverified", func(w *world) {
			w.tenant.EmailConfiguration.VerifyEmail, w.tenant.EmailConfiguration.Unverified.Behavior = true, "Gated"
			w.user.Verified, w.user.PasswordChangeRequired = false, true
		}, WithheldChangePassword, password.ReasonAdministrative},
	}
	for _, tc := range tests {
		for _, oauth := range []bool{false, true} {
			name := tc.name
			if oauth {
				name += ", password grant"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, tc.world)
				before := e.traces()
				_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID,
					OAuth: oauth, Scopes: []string{"offline_access"}})
				var w *Withheld
				if !errors.As(err, &w) || w.Kind != tc.kind || w.ChangePasswordReason != tc.reason {
					t.Fatalf("login = %v (%+v), want %s %q", err, w, tc.kind, tc.reason)
				}
				if w.User.ID != userID || len(w.User.Registrations) != 1 {
					t.Errorf("withheld user = %+v, want alice with her registration", w.User)
				}
				after := e.traces()
				if len(after.live) != 0 || after.user.LastLoginInstant != before.user.LastLoginInstant ||
					after.reg.LastLoginInstant != before.reg.LastLoginInstant {
					t.Errorf("a withheld login left traces: %d live tokens, lastLogin %d/%d", len(after.live),
						after.user.LastLoginInstant, after.reg.LastLoginInstant)
				}
				if got := e.hasher.evals.Load(); got != 1 {
					t.Errorf("%d hash evaluations, want 1", got)
				}
				if tc.kind != WithheldChangePassword {
					if w.ChangePasswordID != "" {
						t.Errorf("changePasswordId %q on %s", w.ChangePasswordID, tc.kind)
					}
					return
				}
				id, err := e.store.GetIdentifier(e.ctx, storage.IdentifierChangePassword, HashIdentifier(w.ChangePasswordID), e.clock.Now())
				if err != nil || id.UserID != userID || id.Data.Reason != tc.reason ||
					!id.ExpiresAt.Equal(e.clock.Now().Add(600*time.Second)) || len(w.ChangePasswordID) != 43 {
					t.Errorf("stored changePasswordId = %+v, %v (raw %q)", id, err, w.ChangePasswordID)
				}
			})
		}
	}
}

// TestLoginWithheldWrongPassword (adversarial): an account whose login would
// be withheld answers a wrong password exactly as any account does — the
// same error after one hash, the failure counted — and nothing is issued.
func TestLoginWithheldWrongPassword(t *testing.T) {
	e := newEnv(t, func(w *world) { w.user.PasswordChangeRequired = true })
	_, err := e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: "wrong", ApplicationID: appID})
	wantErr(t, err, ErrInvalidCredentials)
	if got := e.hasher.evals.Load(); got != 1 {
		t.Errorf("%d hash evaluations, want 1", got)
	}
	f, err := e.store.GetLoginFailures(e.ctx, addrKey(userID))
	must(t, err)
	if f.Count != 1 {
		t.Errorf("failure count %d, want 1", f.Count)
	}
	if n, err := e.store.DeleteExpiredIdentifiers(e.ctx, e.clock.Now().Add(48*time.Hour)); err != nil || n != 0 {
		t.Errorf("identifiers issued for a wrong password: %d, %v", n, err)
	}
	// The right password after a failure resets the counter with the 203.
	_, err = e.svc.Login(e.ctx, LoginRequest{LoginID: userEmail, Password: goodPass, ApplicationID: appID})
	var w *Withheld
	if !errors.As(err, &w) {
		t.Fatalf("login = %v, want Withheld", err)
	}
	f, err = e.store.GetLoginFailures(e.ctx, addrKey(userID))
	must(t, err)
	if f.Count != 0 {
		t.Errorf("failure count %d after the 203, want 0", f.Count)
	}
}

// TestLoginUnverifiedAllowed: with unverified.behavior Allow (the default)
// an unverified user logs in and the token says email_verified false.
func TestLoginUnverifiedAllowed(t *testing.T) {
	e := newEnv(t, func(w *world) {
		w.tenant.EmailConfiguration.VerifyEmail = true
		w.user.Verified = false
	})
	tok := e.login()
	if v := e.claims(tok.AccessToken)["email_verified"]; v != false {
		t.Errorf("email_verified = %v, want false", v)
	}
}

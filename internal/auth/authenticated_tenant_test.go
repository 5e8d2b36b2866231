package auth

import (
	"errors"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestAuthenticatedLoginOtherTenantRefused (adversarial): whatever proved
// the user (a passkey, a passwordless code), LoginAuthenticated never logs
// a user of another tenant into an application: ErrInvalidCredentials,
// and no refresh token, login record or lastLoginInstant is written. The
// same call for the application's own tenant's user logs in.
func TestAuthenticatedLoginOtherTenantRefused(t *testing.T) {
	e := newEnv(t)
	const otherTenant, otherUser = "0f1a2b3c-0000-4000-8000-0000000000f1", "0f1a2b3c-0000-4000-8000-0000000000f2"
	tn, err := e.store.GetTenant(e.ctx, tenantID)
	must(t, err)
	tn.ID, tn.Name = otherTenant, "Other"
	must(t, e.store.CreateTenant(e.ctx, tn))
	must(t, e.store.CreateUser(e.ctx, storage.User{ID: otherUser, TenantID: otherTenant, Active: true, Email: "other@example.test", Verified: true}))
	for _, method := range []string{AuthWebAuthn, AuthPasswordless} {
		for _, app := range []string{appID, ""} {
			_, err := e.svc.LoginAuthenticated(e.ctx, AuthenticatedLogin{UserID: otherUser, ApplicationID: app, IPAddress: "192.0.2.1", Method: method})
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("%s login of another tenant's user to application %q: %v, want ErrInvalidCredentials", method, app, err)
			}
		}
	}
	u, err := e.store.GetUser(e.ctx, otherUser)
	must(t, err)
	rts, err := e.store.ListRefreshTokens(e.ctx, otherUser)
	must(t, err)
	recs, _, err := e.store.ListLoginRecords(e.ctx, storage.LoginRecordFilter{UserID: otherUser, Limit: 10})
	must(t, err)
	if u.LastLoginInstant != 0 || len(rts) != 0 || len(recs) != 0 {
		t.Errorf("refused logins wrote: lastLoginInstant %d, %d refresh tokens, %d login records", u.LastLoginInstant, len(rts), len(recs))
	}
	if tok, err := e.svc.LoginAuthenticated(e.ctx, AuthenticatedLogin{UserID: userID, ApplicationID: appID, IPAddress: "192.0.2.1", Method: AuthWebAuthn}); err != nil || tok.RefreshToken == "" {
		t.Fatalf("the tenant's own user: %v", err)
	}
}

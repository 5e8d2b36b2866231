package server_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/mfa/passkeytest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestPasskeyOfAnotherTenantRefused (adversarial): a usernameless
// ceremony started for an application of the default tenant is answered
// with the passkey of a user of another tenant (same RP ID). Both
// /api/webauthn/login and /api/webauthn/assert answer 400 naming the
// credential, and nothing is written: no lastLoginInstant, no login
// record, no refresh token, the passkey's counter and last use unchanged.
func TestPasskeyOfAnotherTenantRefused(t *testing.T) {
	s := passkeyStack(t)
	s.withOtherTenant()
	a := passkeytest.New()
	if res := s.registerPasskey(s.jwtFor(), a); res.status != 200 {
		t.Fatalf("register: %d %s", res.status, res.body)
	}
	// The passkey becomes the other tenant's user's.
	c := s.storedPasskey(aliceID, a)
	must(t, s.Store.DeleteWebAuthnCredential(t.Context(), c.ID))
	c.ID, c.UserID, c.TenantID = "0f1a2b3c-0000-4000-8000-0000000000e9", otherUserID, otherTenant
	must(t, s.Store.CreateWebAuthnCredential(t.Context(), c))
	a.UserHandle = []byte(otherUserID)
	for _, path := range []string{"/api/webauthn/login", "/api/webauthn/assert"} {
		o := s.startLogin() // the Store: default tenant
		assertion := a.Get(rpID, o.Options.Challenge, storeSite)
		res := s.do(call{method: "POST", path: path, hdr: map[string]string{"Origin": storeSite},
			body: `{"credential":` + string(assertion) + `,"origin":"` + storeSite + `","rpId":"` + rpID + `"}`})
		if res.status != 400 || !strings.Contains(string(res.body), `"[invalid]credential.id"`) {
			t.Errorf("%s with another tenant's passkey: %d %s, want 400 [invalid]credential.id", path, res.status, res.body)
		}
	}
	u, err := s.Store.GetUser(t.Context(), otherUserID)
	must(t, err)
	if u.LastLoginInstant != 0 {
		t.Errorf("the other tenant's user got lastLoginInstant %d", u.LastLoginInstant)
	}
	recs, _, err := s.Store.ListLoginRecords(t.Context(), storage.LoginRecordFilter{UserID: otherUserID, Limit: 10})
	must(t, err)
	rts, err := s.Store.ListRefreshTokens(t.Context(), otherUserID)
	must(t, err)
	if len(recs) != 0 || len(rts) != 0 {
		t.Errorf("the refused logins wrote %d login records and %d refresh tokens", len(recs), len(rts))
	}
	after := s.storedPasskey(otherUserID, a)
	if after.SignCount != c.SignCount || after.LastUseInstant != c.LastUseInstant {
		t.Errorf("the refused assertions used the passkey: count %d→%d, last use %d→%d", c.SignCount, after.SignCount, c.LastUseInstant, after.LastUseInstant)
	}
}

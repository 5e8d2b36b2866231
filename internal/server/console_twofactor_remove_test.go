package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// aliceWithAuthenticator enrols alice's authenticator app through the API
// and returns its method id; her next login answers 242.
func aliceWithAuthenticator(t *testing.T, s *stack) string {
	t.Helper()
	s.apiOK("POST", "/api/user/two-factor/"+aliceID, map[string]any{"method": "authenticator",
		"secret": totpTestSecret, "code": s.totp(totpTestSecret)})
	ms, err := s.Store.ListTwoFactorMethods(context.Background(), aliceID)
	must(t, err)
	if len(ms) != 1 {
		t.Fatalf("alice has %d methods, want 1", len(ms))
	}
	wantConsoleStatus(t, "alice's login with a second factor", s.login(storeApp, nil), 242)
	return ms[0].ID
}

// wantTwoFactor fails unless alice still has n methods and her login asks
// for the second factor exactly when she has one.
func wantTwoFactor(t *testing.T, s *stack, n int) {
	t.Helper()
	ms, err := s.Store.ListTwoFactorMethods(context.Background(), aliceID)
	must(t, err)
	if len(ms) != n {
		t.Fatalf("alice has %d two-factor methods, want %d", len(ms), n)
	}
	want := 242
	if n == 0 {
		want = 200
	}
	wantConsoleStatus(t, "alice's login", s.login(storeApp, nil), want)
}

// TestConsoleRemovesTwoFactor: for a user who lost their phone the admin
// removes every second factor and the recovery codes from the user page,
// after ticking the confirmation; her next login needs the password only
// and the audit log names the admin. Unconfirmed, cross-site, or by a
// non-admin, nothing changes.
func TestConsoleRemovesTwoFactor(t *testing.T) {
	s, c := newConsole(t)
	ctx := context.Background()
	aliceWithAuthenticator(t, s)
	c.signInAdmin(t)
	page := c.get("/admin/users/" + aliceID)
	wantConsoleStatus(t, "user page", page, 200)
	if !strings.Contains(string(page.body), `id="two-factor-methods"`) || !strings.Contains(string(page.body), "authenticator") {
		t.Fatalf("the user page does not list alice's authenticator:\n%s", page.body)
	}
	token := csrf(t, page)

	unconfirmed := c.post("/admin/users/"+aliceID+"/two-factor", url.Values{"csrf": {token}})
	wantFieldError(t, "remove without confirming", unconfirmed, "two-factor")
	wantTwoFactor(t, s, 1)

	newRefusals(t, s, c).refused(t, "/admin/users/"+aliceID+"/two-factor", url.Values{"csrf": {token}, "confirm": {"yes"}},
		func() { wantTwoFactor(t, s, 1) })

	done := c.post("/admin/users/"+aliceID+"/two-factor", url.Values{"csrf": {token}, "confirm": {"yes"}})
	wantConsoleStatus(t, "remove", done, 303)
	wantTwoFactor(t, s, 0)
	if n, _ := s.Store.CountRecoveryCodes(ctx, aliceID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	after := c.get(done.header.Get("Location"))
	if !strings.Contains(string(after.body), `id="no-two-factor"`) || !strings.Contains(string(after.body), "Two-factor authentication is removed") {
		t.Fatalf("the user page after the removal:\n%s", after.body)
	}
	entries, _, err := s.Store.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Removed*two-factor*", Limit: 10})
	must(t, err)
	if len(entries) != 1 || entries[0].InsertUser != rootEmail || !strings.Contains(entries[0].Message, aliceID) {
		t.Fatalf("audit entries of the removal: %+v", entries)
	}
	if b, _ := json.Marshal(entries[0]); strings.Contains(string(b), "sealed") || strings.Contains(string(b), totpTestSecret) {
		t.Fatalf("the audit entry holds a secret: %+v", entries[0])
	}

	again := c.post("/admin/users/"+aliceID+"/two-factor", url.Values{"csrf": {token}, "confirm": {"yes"}})
	wantConsoleStatus(t, "remove when there is nothing left", again, 400)
}

// TestAdminRemovesTwoFactorMethodWithAPIKey: DELETE
// /api/user/two-factor/{userId}?methodId= with an API key and no code
// removes that method (FusionAuth's admin removing a user's method),
// audited with the key; an unknown method id is refused and nothing
// changes; the user's own JWT still needs a code.
func TestAdminRemovesTwoFactorMethodWithAPIKey(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	jwt := s.jwtFor()
	methodID := aliceWithAuthenticator(t, s)

	self := s.do(call{method: "DELETE", path: "/api/user/two-factor?methodId=" + methodID,
		hdr: map[string]string{"Authorization": "Bearer " + jwt}})
	wantConsoleStatus(t, "the user's JWT without a code", self, 400)
	wantTwoFactor(t, s, 1)
	wantConsoleStatus(t, "an unknown method", s.api("DELETE", "/api/user/two-factor/"+aliceID+"?methodId=ZZZZ", nil), 400)
	wantTwoFactor(t, s, 1)
	wantConsoleStatus(t, "no API key", s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID + "?methodId=" + methodID}), 401)
	wantTwoFactor(t, s, 1)

	s.apiOK("DELETE", "/api/user/two-factor/"+aliceID+"?methodId="+methodID, nil)
	wantTwoFactor(t, s, 0)
	entries, _, err := s.Store.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Removed*two-factor*", Limit: 10})
	must(t, err)
	if len(entries) != 1 || entries[0].InsertUser != "apiKey:"+s.superKeyID(t) {
		t.Fatalf("audit entries of the removal: %+v", entries)
	}
}

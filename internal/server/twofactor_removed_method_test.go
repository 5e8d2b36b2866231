package server_test

import (
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// A login code mailed to an email method is worth nothing once that method
// is removed (the user keeps an authenticator, so the login still asks for
// a second factor): 421 as for a wrong code, nothing issued.
func TestEmailCodeAfterItsMethodIsRemovedIsRefused(t *testing.T) {
	s := newMailStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Authenticator: storage.MultiFactorMethodConfig{Enabled: true}, Email: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	enableTOTP(t, s.stack)
	if res := s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `"}`}); res.status != 200 {
		t.Fatalf("send: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me,
		body: `{"method":"email","email":"` + aliceEmail + `","code":"` + mailedCode(t, s, 1) + `"}`}); res.status != 200 {
		t.Fatalf("enable email: %d %s", res.status, res.body)
	}
	res := s.login(storeApp, admin)
	if res.status != 242 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	id := res.json(t)["twoFactorId"].(string)
	if r := s.do(call{method: "POST", path: "/api/two-factor/send/" + id, body: `{}`}); r.status != 200 {
		t.Fatalf("send for login: %d %s", r.status, r.body)
	}
	code := mailedCode(t, s, 2)
	ms, err := s.Store.ListTwoFactorMethods(t.Context(), aliceID)
	must(t, err)
	removed := 0
	for _, m := range ms {
		if m.Method == "email" {
			if r := s.do(call{method: "DELETE", path: "/api/user/two-factor/" + aliceID + "?methodId=" + m.ID, hdr: admin}); r.status != 200 {
				t.Fatalf("remove: %d %s", r.status, r.body)
			}
			removed++
		}
	}
	if removed != 1 {
		t.Fatalf("removed %d email methods", removed)
	}
	before, err := s.Store.ListRefreshTokens(t.Context(), aliceID)
	must(t, err)
	res = s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + code + `"}`})
	if res.status != 421 {
		t.Errorf("the code mailed to a removed email method: %d %s, want 421", res.status, res.body)
	}
	if c := res.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("cookies set: %v", c)
	}
	if after, _ := s.Store.ListRefreshTokens(t.Context(), aliceID); len(after) != len(before) {
		t.Errorf("refresh tokens %d -> %d", len(before), len(after))
	}
	// The pending login still takes the authenticator the user kept (a
	// later step: enrolment spent this one).
	s.Clock.Advance(30 * time.Second)
	res = s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + s.totp(totpTestSecret) + `"}`})
	if res.status != 200 {
		t.Errorf("the kept authenticator's code: %d %s", res.status, res.body)
	}
}

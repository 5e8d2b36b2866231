package server_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Codes by email through the real mail path (outbox, worker, SMTP to the
// catcher): the email second factor and passwordless links.

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func mailedCode(t *testing.T, s *mailStack, n int) string {
	t.Helper()
	msgs := s.mailTo(aliceEmail, n)
	code := sixDigits.FindString(msgs[n-1].Text)
	if code == "" {
		t.Fatalf("no code in %q", msgs[n-1].Text)
	}
	return code
}

func TestEmailSecondFactor(t *testing.T) {
	s := newMailStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Authenticator: storage.MultiFactorMethodConfig{Enabled: true}, Email: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	res := s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `"}`})
	if res.status != 200 {
		t.Fatalf("send for enable: %d %s", res.status, res.body)
	}
	code := mailedCode(t, s, 1)
	if res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `","code":"000000"}`}); res.status != 421 {
		t.Fatalf("wrong enable code: %d", res.status)
	}
	res = s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `","code":"` + code + `"}`})
	if res.status != 200 {
		t.Fatalf("enable email: %d %s", res.status, res.body)
	}
	// The enrolment code is spent.
	if res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `","code":"` + code + `"}`}); res.status != 421 {
		t.Fatalf("reused enable code: %d", res.status)
	}

	res = s.login(storeApp, admin)
	if res.status != 242 || !strings.Contains(string(res.body), `"method":"email"`) {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	id := res.json(t)["twoFactorId"].(string)
	// The TS client's sendTwoFactorCodeForLogin: no body, text/plain.
	res = s.do(call{method: "POST", path: "/api/two-factor/send/" + id, hdr: map[string]string{"Content-Type": "text/plain"}})
	if res.status != 200 {
		t.Fatalf("send for login: %d %s", res.status, res.body)
	}
	code = mailedCode(t, s, 2)
	res = s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + code + `"}`})
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("login with the emailed code: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "POST", path: "/api/two-factor/send/unknown-id", body: `{}`}); res.status != 404 {
		t.Fatalf("send for an unknown twoFactorId: %d", res.status)
	}
}

func TestPasswordlessByMail(t *testing.T) {
	s := newMailStack(t, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
	})
	for _, login := range []string{aliceEmail, "nobody@example.test"} {
		res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Origin": storeSite},
			body: `{"applicationId":"` + storeApp + `","loginId":"` + login + `"}`})
		if res.status != 200 {
			t.Fatalf("start %s: %d", login, res.status)
		}
	}
	code := linkID(t, s.mailTo(aliceEmail, 1)[0], "/passwordless/")
	s.noMailTo("nobody@example.test")
	res := s.do(call{method: "POST", path: "/api/passwordless/login", hdr: map[string]string{"Origin": storeSite}, body: `{"code":"` + code + `"}`})
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("login with the mailed link's code: %d %s", res.status, res.body)
	}
}

// TestTwoFactorCodeMailsAreLimitedPerUser: emailed two-factor codes are
// limited per user (5 a minute, enable and login codes together, counted
// in the database): the sixth is a 429 and sends nothing, the code mailed
// before it still works, and a minute later codes flow again.
func TestTwoFactorCodeMailsAreLimitedPerUser(t *testing.T) {
	s := newMailStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Authenticator: storage.MultiFactorMethodConfig{Enabled: true}, Email: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	send := func() result {
		return s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `"}`})
	}
	// Each send replaces the user's live code, and the outbox worker
	// delivers up to four messages at once, so mail arrives in any order:
	// each code's mail is awaited before the next is asked for, so that the
	// fifth to arrive is the fifth issued, the live one.
	for i := range 5 {
		if res := send(); res.status != 200 {
			t.Fatalf("code %d: %d %s", i+1, res.status, res.body)
		}
		s.mailTo(aliceEmail, i+1)
	}
	res := send()
	if res.status != 429 || res.header.Get("Retry-After") == "" || !strings.Contains(string(res.body), "[RateLimitedException]") {
		t.Fatalf("sixth code: %d %s", res.status, res.body)
	}
	code := mailedCode(t, s, 5)
	s.drained()
	if n := len(s.mailTo(aliceEmail, 5)); n != 5 {
		t.Fatalf("%d codes mailed, want 5", n)
	}
	res = s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `","code":"` + code + `"}`})
	if res.status != 200 {
		t.Fatalf("the code mailed before the refusal: %d %s", res.status, res.body)
	}

	// The login's codes share the budget.
	res = s.login(storeApp, admin)
	id := res.json(t)["twoFactorId"].(string)
	if res := s.do(call{method: "POST", path: "/api/two-factor/send/" + id, body: `{}`}); res.status != 429 {
		t.Fatalf("a login code within the same minute: %d %s", res.status, res.body)
	}
	s.Clock.Advance(61 * time.Second)
	if res := s.do(call{method: "POST", path: "/api/two-factor/send/" + id, body: `{}`}); res.status != 200 {
		t.Fatalf("a login code a minute later: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/two-factor/login", body: `{"twoFactorId":"` + id + `","code":"` + mailedCode(t, s, 6) + `"}`})
	if res.status != 200 {
		t.Fatalf("login with the code: %d %s", res.status, res.body)
	}
}

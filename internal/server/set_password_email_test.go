package server_test

import (
	"bytes"
	"testing"
)

// TestCreateUserSendSetPasswordEmail: POST /api/user and the combined POST
// /api/user/registration with sendSetPasswordEmail true need no
// user.password: the user is created without one and mailed (over SMTP) the
// set password template with a changePasswordId. Until it is used no
// password logs in (the ordinary failed-login 404, never a 500); the mailed
// id sets the password once, and that password then logs in. Without the
// flag user.password stays required, and the flag without an address to
// mail is refused with nothing created.
func TestCreateUserSendSetPasswordEmail(t *testing.T) {
	s := newMailStack(t)
	login := func(email, password, app string) result {
		return s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":"` + email + `","password":"` + password + `","applicationId":"` + app + `"}`})
	}
	for _, c := range []struct {
		name, path, body, email, app string
		loggedIn                     int // 202: carol is not registered for the application
	}{
		{"user", "/api/user", `{"user":{"email":"carol@example.test","firstName":"Carol"},"sendSetPasswordEmail":true}`, "carol@example.test", storeApp, 202},
		{"registration", "/api/user/registration", `{"user":{"email":"dave@example.test"},"registration":{"applicationId":"` + storeApp + `"},"sendSetPasswordEmail":true}`, "dave@example.test", storeApp, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.do(call{method: "POST", path: c.path, hdr: admin, body: c.body})
			wantStatus(t, res, 200)
			if bytes.Contains(res.body, []byte("changePasswordId")) {
				t.Fatalf("the create answers the mailed id: %s", res.body)
			}
			m := s.mailTo(c.email, 1)[0]
			if m.Subject != "Set up your password" {
				t.Fatalf("mail %q, want the set password template", m.Subject)
			}
			id := linkID(t, m, "/password/change/")
			for _, guess := range []string{"a guess at a password", "another guess"} {
				if res := login(c.email, guess, c.app); res.status != 404 {
					t.Fatalf("login before the password is set: %d %s, want 404", res.status, res.body)
				}
			}
			const chosen = "a chosen long passphrase"
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/change-password/" + id, body: `{"password":"` + chosen + `"}`}), 200)
			if res := s.do(call{method: "POST", path: "/api/user/change-password/" + id, body: `{"password":"someone else's passphrase"}`}); res.status != 404 {
				t.Fatalf("the id used again: %d %s, want 404", res.status, res.body)
			}
			wantStatus(t, login(c.email, chosen, c.app), c.loggedIn)
		})
	}

	res := s.do(call{method: "POST", path: "/api/user", hdr: admin, body: `{"user":{"email":"erin@example.test"}}`})
	if len(fieldCodes(t, res, "user.password")) != 1 {
		t.Errorf("no password, no flag: %s", res.body)
	}
	res = s.do(call{method: "POST", path: "/api/user", hdr: admin, body: `{"user":{"username":"frank"},"sendSetPasswordEmail":true}`})
	if codes := fieldCodes(t, res, "user.email"); len(codes) != 1 || codes[0] != "[blank]user.email" {
		t.Errorf("the flag without an address: %s", res.body)
	}
	if res := s.do(call{method: "GET", path: "/api/user?username=frank", hdr: admin}); res.status != 404 {
		t.Errorf("the refused create stored a user: %d %s", res.status, res.body)
	}
}

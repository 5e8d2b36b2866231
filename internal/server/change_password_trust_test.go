package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// stepUpFor starts a step-up for userID with the API key (POST
// /api/two-factor/start, bound to challenge when not empty) and returns
// the answer.
func (s *stack) stepUpFor(userID, challenge string) map[string]any {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"userId": userID, "applicationId": storeApp, "trustChallenge": challenge})
	res := s.do(call{method: "POST", path: "/api/two-factor/start", hdr: admin, body: string(body)})
	if res.status != 200 {
		s.t.Fatalf("two-factor start: %d %s", res.status, res.body)
	}
	return res.json(s.t)
}

// completeStepUp answers a step-up with code and returns its trustToken.
func (s *stack) completeStepUp(twoFactorID, code string) string {
	s.t.Helper()
	res := twoFactorLogin(s, twoFactorID, code, false)
	tt, _ := res.json(s.t)["trustToken"].(string)
	if (res.status != 200 && res.status != 202) || tt == "" { // 202: not registered for the application
		s.t.Fatalf("step-up completion: %d %s", res.status, res.body)
	}
	return tt
}

// stepUpTrust walks a step-up for alice with the start's own code and
// returns the trustToken.
func (s *stack) stepUpTrust(challenge string) string {
	s.t.Helper()
	up := s.stepUpFor(aliceID, challenge)
	return s.completeStepUp(up["twoFactorId"].(string), up["code"].(string))
}

// isTrustTokenRequired: FusionAuth's 400 with the general error code.
func isTrustTokenRequired(res result) bool {
	return res.status == 400 && strings.Contains(string(res.body), `"code":"[TrustTokenRequired]"`)
}

// TestTwoFactorStartAnswers pins POST /api/two-factor/start: with the API
// key, a user named by userId (or loginId) gets {code, methods,
// twoFactorId}; a user without methods the same without methods; an
// unknown user is an empty 404; neither id is a 400; no key is a 401.
func TestTwoFactorStartAnswers(t *testing.T) {
	s := newStack(t)
	enableTOTP(t, s)
	up := s.stepUpFor(aliceID, "")
	if code, _ := up["code"].(string); len(code) != 6 || up["twoFactorId"] == "" {
		t.Fatalf("start: %v", up)
	}
	if ms, _ := up["methods"].([]any); len(ms) != 1 || ms[0].(map[string]any)["method"] != "authenticator" {
		t.Fatalf("methods: %v", up["methods"])
	}
	res := s.do(call{method: "POST", path: "/api/two-factor/start", hdr: admin, body: `{"loginId":"` + aliceEmail + `","code":"out-of-band-1"}`})
	if res.status != 200 || res.json(t)["code"] != "out-of-band-1" {
		t.Fatalf("start by loginId with an own code: %d %s", res.status, res.body)
	}
	s.apiOK("POST", "/api/user/"+bobID, map[string]any{"user": map[string]any{"email": "bob@example.test", "password": "bob's passphrase 1"}})
	if up := s.stepUpFor(bobID, ""); up["methods"] != nil {
		t.Fatalf("a user without methods: %v", up)
	}
	for _, c := range []struct {
		hdr  map[string]string
		body string
		want int
	}{
		{admin, `{"userId":"0f1a2b3c-0000-4000-8000-00000000dead"}`, 404},
		{admin, `{"loginId":"nobody@example.test"}`, 404},
		{admin, `{"applicationId":"` + storeApp + `"}`, 400},
		{admin, `{"userId":"` + aliceID + `","applicationId":"0f1a2b3c-0000-4000-8000-00000000dead"}`, 400},
		{nil, `{"userId":"` + aliceID + `"}`, 401},
	} {
		if res := s.do(call{method: "POST", path: "/api/two-factor/start", hdr: c.hdr, body: c.body}); res.status != c.want || (c.want != 400 && len(res.body) != 0) {
			t.Errorf("%s: %d %s, want %d", c.body, res.status, res.body, c.want)
		}
	}
}

// passwordState is what a refused change must leave as it was: which of
// the two passwords logs in (242: the password was right), the live
// sessions, and the changePasswordId (looked up with the API key).
func (s *stack) passwordState(changeID string) string {
	s.t.Helper()
	id := s.do(call{method: "GET", path: "/api/user?changePasswordId=" + changeID, hdr: admin}).status
	return strings.Join([]string{
		"old:" + itoa(s.loginWith(alicePass).status), "new:" + itoa(s.loginWith("a brand new passphrase").status),
		"sessions:" + itoa(s.liveSessions(aliceID)), "changePasswordId:" + itoa(id)}, " ")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestChangePasswordNeedsTrustToken (adversarial): alice has an
// authenticator, so reading her mailbox (forgot password) no longer sets
// her password. GET /api/user/change-password/{id} answers 400
// [TrustTokenRequired]; POST answers it without a trustToken, with a
// made-up one, an expired one, one of another user (bob's step-up), one
// bound to a trustChallenge sent with none or another, and a spent one;
// after each refusal her password, her sessions, the changePasswordId and
// the trustToken are all as they were. The step-up's trustToken, with its
// challenge, changes the password once and is spent.
func TestChangePasswordNeedsTrustToken(t *testing.T) {
	s := newStack(t, revokeOnPasswordChange)
	enableTOTP(t, s) // its login leaves a session the change revokes
	s.apiOK("POST", "/api/user/"+bobID, map[string]any{"user": map[string]any{"email": "bob@example.test", "password": "bob's passphrase 1"}})
	changeID := s.forgotID(`{}`)
	if res := s.do(call{method: "GET", path: "/api/user/change-password/" + changeID}); !isTrustTokenRequired(res) {
		t.Fatalf("check the id of a two-factor user: %d %s", res.status, res.body)
	}
	expired := s.stepUpTrust("")
	s.Clock.Advance(181 * time.Second) // trustTokenTimeToLiveInSeconds 180
	bobUp := s.stepUpFor(bobID, "")
	bobs := s.completeStepUp(bobUp["twoFactorId"].(string), bobUp["code"].(string))
	bound := s.stepUpTrust("the-challenge") // each of alice's step-ups is a login with a session
	before := s.passwordState(changeID)
	if before != "old:242 new:404 sessions:3 changePasswordId:200" {
		t.Fatalf("state before: %s", before)
	}
	for name, extra := range map[string]string{
		"no trustToken":                ``,
		"a made-up trustToken":         `,"trustToken":"bm90LWEtdG9rZW4tYXQtYWxsLWJ1dC1sb25nLWVub3VnaC10by1sb29rLW9uZQ"`,
		"an expired trustToken":        `,"trustToken":"` + expired + `"`,
		"another user's":               `,"trustToken":"` + bobs + `"`,
		"bound, without its challenge": `,"trustToken":"` + bound + `"`,
		"bound, another challenge":     `,"trustToken":"` + bound + `","trustChallenge":"not-the-challenge"`,
	} {
		res := s.do(call{method: "POST", path: "/api/user/change-password/" + changeID, body: `{"password":"a brand new passphrase"` + extra + `}`})
		if !isTrustTokenRequired(res) {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
	}
	s.Clock.Advance(61 * time.Second) // the rate limit's minute
	if now := s.passwordState(changeID); now != before {
		t.Fatalf("a refused change changed: %s → %s", before, now)
	}

	res := s.do(call{method: "POST", path: "/api/user/change-password", body: `{"changePasswordId":"` + changeID +
		`","password":"a brand new passphrase","trustToken":"` + bound + `","trustChallenge":"the-challenge"}`})
	if res.status != 200 || res.json(t)["oneTimePassword"] == "" {
		t.Fatalf("change with the trustToken: %d %s", res.status, res.body)
	}
	if now := s.passwordState(changeID); now != "old:404 new:242 sessions:0 changePasswordId:404" {
		t.Fatalf("after the change: %s", now)
	}
	// Spent: a new changePasswordId with the same trustToken changes nothing.
	again := s.forgotID(`{}`)
	res = s.do(call{method: "POST", path: "/api/user/change-password/" + again,
		body: `{"password":"yet another passphrase","trustToken":"` + bound + `","trustChallenge":"the-challenge"}`})
	if !isTrustTokenRequired(res) {
		t.Fatalf("a spent trustToken: %d %s", res.status, res.body)
	}
	if now := s.passwordState(again); now != "old:404 new:242 sessions:0 changePasswordId:200" {
		t.Fatalf("after a spent trustToken: %s", now)
	}
}

// TestChangePasswordWithJWTOrKeyNeedsTrustToken (adversarial): a stolen
// access token with the current password is not enough either, and the
// refusal comes before the password is checked (the lockout is not
// charged); the API key's loginId form asks for it too, as FusionAuth's
// does. Each mode's check (GET) answers [TrustTokenRequired]; with a
// step-up's trustToken each changes once.
func TestChangePasswordWithJWTOrKeyNeedsTrustToken(t *testing.T) {
	s := newStack(t)
	jwt := s.jwtFor()
	enableTOTP(t, s)
	bearer := map[string]string{"Authorization": "Bearer " + jwt}
	for _, c := range []call{
		{method: "GET", path: "/api/user/change-password", hdr: bearer},
		{method: "GET", path: "/api/user/change-password?loginId=" + aliceEmail, hdr: admin},
		{method: "POST", path: "/api/user/change-password", hdr: bearer, body: `{"currentPassword":"wrong guess","password":"a brand new passphrase"}`},
		{method: "POST", path: "/api/user/change-password", hdr: bearer, body: `{"currentPassword":"` + alicePass + `","password":"a brand new passphrase"}`},
		{method: "POST", path: "/api/user/change-password", hdr: admin, body: `{"loginId":"` + aliceEmail + `","password":"a brand new passphrase"}`},
	} {
		if res := s.do(c); !isTrustTokenRequired(res) {
			t.Fatalf("%s %s %s: %d %s", c.method, c.path, c.body, res.status, res.body)
		}
	}
	f, err := s.Store.GetLoginFailures(context.Background(), aliceID)
	must(t, err)
	if f.Count != 0 || s.loginWith(alicePass).status != 242 {
		t.Fatalf("a refused change charged the lockout (%d) or changed the password", f.Count)
	}

	tt := s.stepUpTrust("")
	res := s.do(call{method: "POST", path: "/api/user/change-password", hdr: bearer,
		body: `{"currentPassword":"` + alicePass + `","password":"a brand new passphrase","trustToken":"` + tt + `"}`})
	if res.status != 200 {
		t.Fatalf("change with a JWT and the trustToken: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/user/change-password", hdr: admin,
		body: `{"loginId":"` + aliceEmail + `","password":"a third passphrase!","trustToken":"` + tt + `"}`})
	if !isTrustTokenRequired(res) {
		t.Fatalf("the key with a spent trustToken: %d %s", res.status, res.body)
	}
	tt = s.stepUpTrust("")
	res = s.do(call{method: "POST", path: "/api/user/change-password", hdr: admin,
		body: `{"loginId":"` + aliceEmail + `","password":"a third passphrase!","trustToken":"` + tt + `"}`})
	if res.status != 200 || s.loginWith("a third passphrase!").status != 242 {
		t.Fatalf("change with the key and the trustToken: %d %s", res.status, res.body)
	}
}

// TestStepUpByEmailThenChangePassword: the whole step-up with an email
// method through the real mail path: start, the code mailed by POST
// /api/two-factor/send/{twoFactorId} (which replaces the start's own
// code), the completion's trustToken, then the reset it allows.
func TestStepUpByEmailThenChangePassword(t *testing.T) {
	s := newMailStack(t, func(_ map[string]*storage.Application, tn *storage.Tenant) {
		tn.MultiFactorConfiguration = &storage.TenantMultiFactorConfiguration{LoginPolicy: "Enabled",
			Email: storage.MultiFactorMethodConfig{Enabled: true}}
	})
	me := map[string]string{"Authorization": "Bearer " + s.jwtFor(), "Origin": storeSite}
	if res := s.do(call{method: "POST", path: "/api/two-factor/send", hdr: me, body: `{"method":"email","email":"` + aliceEmail + `"}`}); res.status != 200 {
		t.Fatalf("send for enable: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "POST", path: "/api/user/two-factor", hdr: me,
		body: `{"method":"email","email":"` + aliceEmail + `","code":"` + mailedCode(t, s, 1) + `"}`}); res.status != 200 {
		t.Fatalf("enable email: %d %s", res.status, res.body)
	}
	changeID := s.forgotID(`{}`)
	if res := s.do(call{method: "POST", path: "/api/user/change-password/" + changeID, body: `{"password":"a brand new passphrase"}`}); !isTrustTokenRequired(res) {
		t.Fatalf("reset without a trustToken: %d %s", res.status, res.body)
	}

	up := s.stepUpFor(aliceID, "from-the-reset-page")
	id := up["twoFactorId"].(string)
	if ms, _ := up["methods"].([]any); len(ms) != 1 || ms[0].(map[string]any)["method"] != "email" {
		t.Fatalf("methods: %v", up["methods"])
	}
	if res := s.do(call{method: "POST", path: "/api/two-factor/send/" + id, body: `{}`}); res.status != 200 {
		t.Fatalf("send for the step-up: %d %s", res.status, res.body)
	}
	code := mailedCode(t, s, 2)
	if code != up["code"] {
		if res := twoFactorLogin(s.stack, id, up["code"].(string), false); res.status != 421 {
			t.Fatalf("the start's code after a send: %d %s", res.status, res.body)
		}
	}
	tt := s.completeStepUp(id, code)
	res := s.do(call{method: "POST", path: "/api/user/change-password/" + changeID,
		body: `{"password":"a brand new passphrase","trustToken":"` + tt + `","trustChallenge":"from-the-reset-page"}`})
	if res.status != 200 || s.loginWith("a brand new passphrase").status != 242 {
		t.Fatalf("reset with the trustToken: %d %s", res.status, res.body)
	}
}

package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// verifying turns on email verification with unverified users gated.
func verifying(strategy string) func(map[string]*storage.Application, *storage.Tenant) {
	return func(_ map[string]*storage.Application, tn *storage.Tenant) {
		e := &tn.EmailConfiguration
		e.VerifyEmail, e.VerifyEmailWhenChanged, e.Unverified.Behavior, e.VerificationStrategy = true, true, "Gated", strategy
	}
}

// createBob creates bob through the user API (a verification mail is due).
func (s *mailStack) createBob() string {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/user", hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"bob's long passphrase","firstName":"Bob"}}`})
	if res.status != 200 {
		s.t.Fatalf("create bob: %d %s", res.status, res.body)
	}
	u := res.json(s.t)["user"].(map[string]any)
	if u["verified"] != false {
		s.t.Fatalf("bob created verified while the tenant verifies addresses: %v", u["verified"])
	}
	must(s.t, s.Store.CreateRegistration(context.Background(), storage.Registration{ID: "0f1a2b3c-0000-4000-8000-0000000000c9",
		ApplicationID: storeApp, UserID: u["id"].(string), Roles: []string{"user"}}))
	return u["id"].(string)
}

func (s *mailStack) loginBob() result {
	return s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"bob@example.test","password":"bob's long passphrase","applicationId":"` + storeApp + `"}`})
}

// TestEmailVerificationLink walks verification with the link strategy: a
// new user is unverified and mailed a link; while gated, login answers 212
// without tokens; the link's id verifies once (the second use is 404), and
// login then answers 200 with email_verified true; an API key generates
// an id without a mail and resends with one, each voiding the earlier id.
func TestEmailVerificationLink(t *testing.T) {
	s := newMailStack(t, verifying("ClickableLink"))
	bob := s.createBob()
	first := linkID(t, s.mailTo("bob@example.test", 1)[0], "/email/verify/")
	if res := s.loginBob(); res.status != 212 || cookieValue(res, "refresh_token") != "" || s.liveSessions(bob) != 0 {
		t.Fatalf("gated login: %d %s", res.status, res.body)
	}

	gen := s.do(call{method: "PUT", path: "/api/user/verify-email?email=bob@example.test&sendVerifyEmail=false", hdr: admin})
	if gen.status != 200 {
		t.Fatalf("generate: %d %s", gen.status, gen.body)
	}
	managementGolden(t, "verify-email-generate", gen.status, gen.body)
	generated := gen.json(t)["verificationId"].(string)
	s.drained()
	if n := len(s.mailTo("bob@example.test", 1)); n != 1 {
		t.Fatalf("sendVerifyEmail=false sent a mail (%d)", n)
	}
	verify := func(id string) int {
		return s.do(call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + id + `"}`}).status
	}
	if verify(first) != 404 {
		t.Fatal("the first id still verifies after a new one was generated")
	}
	if res := s.do(call{method: "GET", path: "/api/user?verificationId=" + generated, hdr: admin}); res.status != 200 {
		t.Fatalf("user by verificationId: %d", res.status)
	}
	if got := verify(generated); got != 200 {
		t.Fatalf("verify: %d", got)
	}
	if verify(generated) != 404 {
		t.Fatal("a verificationId verified twice")
	}
	login := s.loginBob()
	if login.status != 200 {
		t.Fatalf("login after verification: %d %s", login.status, login.body)
	}
	if c := jwtClaims(t, login.json(t)["token"].(string)); c["email_verified"] != true {
		t.Fatalf("email_verified = %v", c["email_verified"])
	}
	if res := s.do(call{method: "PUT", path: "/api/user/verify-email?email=bob@example.test", hdr: admin}); res.status != 404 {
		t.Fatalf("generate for a verified address: %d", res.status)
	}
}

// TestEmailVerificationRefusals (adversarial): unknown, malformed and
// expired ids are an empty 404; the legacy path form and TypeScript's
// body-less text/plain call work; keyless resend answers 200 whatever the
// address names, mails only the account, and reveals nothing else.
func TestEmailVerificationRefusals(t *testing.T) {
	s := newMailStack(t, verifying("ClickableLink"))
	s.createBob()
	id := linkID(t, s.mailTo("bob@example.test", 1)[0], "/email/verify/")
	for _, bad := range []string{"bm9wZQ", strings.Repeat("x", 400)} {
		if res := s.do(call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + bad + `"}`}); res.status != 404 || len(res.body) != 0 {
			t.Fatalf("id %.10q: %d %q", bad, res.status, res.body)
		}
	}
	res := s.do(call{method: "POST", path: "/api/user/verify-email", body: `{}`})
	managementGolden(t, "verify-email-blank", res.status, res.body)

	for _, email := range []string{"bob@example.test", "nobody@example.test"} {
		res := s.do(call{method: "PUT", path: "/api/user/verify-email?email=" + email + "&applicationId=" + storeApp})
		if res.status != 200 || len(res.body) != 0 {
			t.Fatalf("keyless resend for %s: %d %q", email, res.status, res.body)
		}
	}
	resent := s.mailTo("bob@example.test", 2)[1]
	if !strings.HasPrefix(resent.Links[0], storeSite+"/email/verify/") {
		t.Fatalf("the resend names the application: link %v, want the Store's origin", resent.Links)
	}
	s.noMailTo("nobody@example.test")
	if s.do(call{method: "POST", path: "/api/user/verify-email/" + id, hdr: map[string]string{"Content-Type": "text/plain"}}).status != 404 {
		t.Fatal("the id voided by the resend still verifies")
	}
	fresh := linkID(t, resent, "/email/verify/")
	s.Clock.Advance(86401 * time.Second) // emailVerificationIdTimeToLiveInSeconds: 86400
	if s.do(call{method: "POST", path: "/api/user/verify-email/" + fresh, hdr: map[string]string{"Content-Type": "text/plain"}}).status != 404 {
		t.Fatal("an expired id verified")
	}
}

// TestEmailVerificationFormField: with the FormField strategy the mail
// carries a code, the API key's answer carries it too, and the id alone,
// or with a wrong code, verifies nothing.
func TestEmailVerificationFormField(t *testing.T) {
	s := newMailStack(t, verifying("FormField"))
	s.createBob()
	s.mailTo("bob@example.test", 1) // the first code, voided by the next
	gen := s.do(call{method: "PUT", path: "/api/user/verify-email?email=bob@example.test", hdr: admin}).json(t)
	id, code := gen["verificationId"].(string), gen["oneTimeCode"].(string)
	m := s.mailTo("bob@example.test", 2)[1]
	if len(code) != 6 || !strings.Contains(m.Text, code) {
		t.Fatalf("code %q, mail %q", code, m.Text)
	}
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"verificationId":"` + id + `"}`, 400},
		{`{"verificationId":"` + id + `","oneTimeCode":"ZZZZZZ"}`, 400},
		{`{"verificationId":"` + id + `","oneTimeCode":"` + strings.ToLower(code) + `"}`, 200},
	} {
		body, want := c.body, c.want
		if res := s.do(call{method: "POST", path: "/api/user/verify-email", body: body}); res.status != want {
			t.Fatalf("%s: %d %s", body, res.status, res.body)
		}
	}
}

// TestEmailChangeReverifies: changing the address while
// verifyEmailWhenChanged is on unverifies the user and mails the new
// address, in the same write as the change.
func TestEmailChangeReverifies(t *testing.T) {
	s := newMailStack(t, verifying("ClickableLink"))
	bob := s.createBob()
	s.mailTo("bob@example.test", 1)
	res := s.do(call{method: "PATCH", path: "/api/user/" + bob, hdr: admin, body: `{"user":{"email":"robert@example.test"}}`})
	if res.status != 200 || res.json(t)["user"].(map[string]any)["verified"] != false {
		t.Fatalf("patch email: %d %s", res.status, res.body)
	}
	id := linkID(t, s.mailTo("robert@example.test", 1)[0], "/email/verify/")
	if s.do(call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + id + `"}`}).status != 200 {
		t.Fatal("the new address's id does not verify")
	}
}

// TestLoginUnverifiedFormField: with the FormField strategy a gated login
// answers 212 with an emailVerificationId (golden) whose code it mails,
// and the pair verifies the address.
func TestLoginUnverifiedFormField(t *testing.T) {
	s := newMailStack(t, verifying("FormField"))
	s.createBob()
	s.mailTo("bob@example.test", 1)
	res := s.loginBob()
	if res.status != 212 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	tokenGolden(t, "login_212_form_field", res.body)
	id := res.json(t)["emailVerificationId"].(string)
	m := s.mailTo("bob@example.test", 2)[1]
	code := strings.TrimSpace(strings.SplitN(strings.SplitN(m.Text, "yours:", 2)[1], "If you", 2)[0])
	if res := s.do(call{method: "POST", path: "/api/user/verify-email", body: `{"verificationId":"` + id + `","oneTimeCode":"` + code + `"}`}); res.status != 200 {
		t.Fatalf("verify with the 212's id and the mailed code %q: %d %s", code, res.status, res.body)
	}
	if res := s.loginBob(); res.status != 200 {
		t.Fatalf("login after verifying: %d", res.status)
	}
}

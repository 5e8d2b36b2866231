package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// verifyingRegistrations makes the Store verify its registrations with
// strategy, and turns every event on in the tenant.
func verifyingRegistrations(strategy string) func(map[string]*storage.Application, *storage.Tenant) {
	return func(apps map[string]*storage.Application, tn *storage.Tenant) {
		apps[storeApp].VerifyRegistration, apps[storeApp].VerificationStrategy = true, strategy
		allEvents(apps, tn)
	}
}

const bobPass = "bob's long passphrase"

// registerBob creates bob registered for the Store through the
// registration API with the super key and returns the answer.
func (s *mailStack) registerBob(extra string) map[string]any {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/user/registration", hdr: admin,
		body: `{"user":{"email":"bob@example.test","password":"` + bobPass + `","firstName":"Bob"},"registration":{"applicationId":"` +
			storeApp + `"}` + extra + `}`})
	if res.status != 200 {
		s.t.Fatalf("register bob: %d %s", res.status, res.body)
	}
	return res.json(s.t)
}

// bobRegistration is bob's Store registration as the API answers it.
func (s *mailStack) bobRegistration(bob string) map[string]any {
	s.t.Helper()
	return s.stack.apiOK("GET", "/api/user/registration/"+bob+"/"+storeApp, nil)["registration"].(map[string]any)
}

func (s *mailStack) verifyRegistration(body string, hdr ...string) result {
	s.t.Helper()
	c := call{method: "POST", path: "/api/user/verify-registration", body: body, hdr: map[string]string{}}
	for i := 0; i+1 < len(hdr); i += 2 {
		c.hdr[hdr[i]] = hdr[i+1]
	}
	return s.do(c)
}

// TestRegistrationVerificationLink walks the whole flow with the link
// strategy through a real SMTP server: the registration starts unverified
// and the API key's answer carries its id; the mail links to the same id;
// the login answers 213 without tokens; the id verifies once (keyless),
// the registration is verified at that instant, user.registration.verified
// reaches a webhook, and the login then answers 200.
func TestRegistrationVerificationLink(t *testing.T) {
	s := buildMailStack(t, stackOpts{webhooks: webhookTuning}, verifyingRegistrations("ClickableLink"))
	rec := newReceiver(t)
	res := s.do(call{method: "POST", path: "/api/webhook", hdr: admin, body: webhookBody(rec.srv.URL, []string{events.UserRegistrationVerified}, "")})
	wantStatus(t, res, 200)

	created := s.registerBob("")
	bob := created["user"].(map[string]any)["id"].(string)
	reg := created["registration"].(map[string]any)
	if reg["verified"] != false || reg["verifiedInstant"] != nil {
		t.Fatalf("registration created verified: %v", reg)
	}
	id, _ := created["registrationVerificationId"].(string)
	m := s.mailTo("bob@example.test", 1)[0]
	if link := linkID(t, m, "/registration/verify/"); id == "" || link != id || !strings.Contains(m.Text, "Store") {
		t.Fatalf("answer's id %q, mailed link %q (%q)", id, link, m.Text)
	}

	sessions := s.liveSessions(bob) // the registration API's own tokens (FusionAuth's answer)
	login := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"bob@example.test","password":"` + bobPass + `","applicationId":"` + storeApp + `"}`})
	body := login.json(t)
	if login.status != 213 || body["token"] != nil || body["refreshToken"] != nil || cookieValue(login, "refresh_token") != "" || s.liveSessions(bob) != sessions {
		t.Fatalf("login of an unverified registration: %d %s", login.status, login.body)
	}
	if body["user"].(map[string]any)["id"] != bob {
		t.Fatalf("213 without its user: %s", login.body)
	}

	s.Clock.Advance(time.Minute)
	verifiedAt := float64(s.Clock.Now().UnixMilli())
	if res := s.verifyRegistration(`{"verificationId":"` + id + `"}`); res.status != 200 || len(res.body) != 0 {
		t.Fatalf("verify: %d %s", res.status, res.body)
	}
	if res := s.verifyRegistration(`{"verificationId":"` + id + `"}`); res.status != 404 {
		t.Fatalf("the id verified twice: %d", res.status)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != true || reg["verifiedInstant"] != verifiedAt {
		t.Fatalf("registration after verification: %v (want verifiedInstant %v)", reg, verifiedAt)
	}
	d := rec.waitFor(events.UserRegistrationVerified, 1)[0]
	eventGolden(t, "user-registration-verified", d)
	ev := d.event
	if r := ev["registration"].(map[string]any); ev["applicationId"] != storeApp || r["verified"] != true || ev["user"].(map[string]any)["id"] != bob {
		t.Fatalf("user.registration.verified: %v", ev)
	}
	if login := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"bob@example.test","password":"` + bobPass + `","applicationId":"` + storeApp + `"}`}); login.status != 200 || login.json(t)["token"] == nil {
		t.Fatalf("login after verification: %d %s", login.status, login.body)
	}
	if res := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp, hdr: admin}); res.status != 404 {
		t.Fatalf("resend for a verified registration: %d %s", res.status, res.body)
	}
}

// TestRegistrationVerificationRefusals (adversarial): unknown, malformed,
// voided and expired ids are an empty 404 and leave the registration
// unverified; a resend voids the earlier id; the resend's parameters are
// checked; an application that does not verify is 403; skipRegistrationVerification
// with a key creates a verified registration and mails nothing.
func TestRegistrationVerificationRefusals(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, verifyingRegistrations("ClickableLink"))
	created := s.registerBob("")
	bob := created["user"].(map[string]any)["id"].(string)
	first := created["registrationVerificationId"].(string)
	s.mailTo("bob@example.test", 1)
	for _, bad := range []string{"bm9wZQ", strings.Repeat("x", 400), first + "x"} {
		if res := s.verifyRegistration(`{"verificationId":"` + bad + `"}`); res.status != 404 || len(res.body) != 0 {
			t.Fatalf("id %.10q: %d %q", bad, res.status, res.body)
		}
	}
	if res := s.verifyRegistration(`{}`); res.status != 400 || !strings.Contains(string(res.body), "[blank]verificationId") {
		t.Fatalf("no id: %d %s", res.status, res.body)
	}
	for _, c := range []struct {
		query string
		code  string
	}{
		{"applicationId=" + storeApp, "[blank]email"},
		{"email=bob@example.test", "[blank]applicationId"},
		{"email=bob@example.test&applicationId=" + uuid.NewString(), "[invalid]applicationId"},
	} {
		if res := s.do(call{method: "PUT", path: "/api/user/verify-registration?" + c.query, hdr: admin}); res.status != 400 || !strings.Contains(string(res.body), c.code) {
			t.Errorf("resend %s: %d %s, want %s", c.query, res.status, res.body, c.code)
		}
	}
	if res := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=nobody@example.test&applicationId=" + storeApp, hdr: admin}); res.status != 404 {
		t.Errorf("resend for an unknown address: %d", res.status)
	}
	if res := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=" + aliceEmail + "&applicationId=" + forumsApp, hdr: admin}); res.status != 403 {
		t.Errorf("resend for an application that does not verify: %d %s", res.status, res.body)
	}
	gen := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp + "&sendVerifyPasswordEmail=false", hdr: admin})
	if gen.status != 200 {
		t.Fatalf("generate: %d %s", gen.status, gen.body)
	}
	managementGolden(t, "verify-registration-generate", gen.status, gen.body)
	generated := gen.json(t)["verificationId"].(string)
	s.drained()
	if n := len(s.mailTo("bob@example.test", 1)); n != 1 {
		t.Fatalf("sendVerifyPasswordEmail=false sent a mail (%d)", n)
	}
	if res := s.verifyRegistration(`{"verificationId":"` + first + `"}`); res.status != 404 {
		t.Fatalf("the first id verifies after a new one was generated: %d", res.status)
	}
	s.Clock.Advance(86401 * time.Second) // registrationVerificationIdTimeToLiveInSeconds: 86400
	if res := s.do(call{method: "POST", path: "/api/user/verify-registration/" + generated, hdr: map[string]string{"Content-Type": "text/plain"}}); res.status != 404 {
		t.Fatalf("an expired id verified: %d", res.status)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != false {
		t.Fatalf("refused ids changed the registration: %v", reg)
	}
	// The legacy path form verifies with a live id.
	fresh := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp, hdr: admin}).json(t)["verificationId"].(string)
	if res := s.do(call{method: "POST", path: "/api/user/verify-registration/" + fresh, hdr: map[string]string{"Content-Type": "text/plain"}}); res.status != 200 {
		t.Fatalf("legacy path form: %d %s", res.status, res.body)
	}

	// An id of a registration deleted and made again verifies nothing.
	again := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp, hdr: admin})
	if again.status != 404 {
		t.Fatalf("resend for a verified registration: %d", again.status)
	}
	wantStatus(t, s.do(call{method: "DELETE", path: "/api/user/registration/" + bob + "/" + storeApp, hdr: admin}), 200)
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/registration/" + bob, hdr: admin, body: `{"registration":{"applicationId":"` + storeApp + `"}}`}), 200)
	stale := s.do(call{method: "PUT", path: "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp + "&sendVerifyPasswordEmail=false", hdr: admin}).json(t)["verificationId"].(string)
	wantStatus(t, s.do(call{method: "DELETE", path: "/api/user/registration/" + bob + "/" + storeApp, hdr: admin}), 200)
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/registration/" + bob, hdr: admin, body: `{"registration":{"applicationId":"` + storeApp + `"}}`}), 200)
	if res := s.verifyRegistration(`{"verificationId":"` + stale + `"}`); res.status != 404 {
		t.Fatalf("the id of a deleted registration verified its successor: %d", res.status)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != false {
		t.Fatalf("the successor registration after a stale id: %v", reg)
	}

	res := s.do(call{method: "POST", path: "/api/user/registration", hdr: admin, body: `{"user":{"email":"carol@example.test","password":"carol's long passphrase"},` +
		`"registration":{"applicationId":"` + storeApp + `"},"skipRegistrationVerification":true}`})
	if m := res.json(t); res.status != 200 || m["registration"].(map[string]any)["verified"] != true || m["registrationVerificationId"] != nil {
		t.Fatalf("skipRegistrationVerification: %d %s", res.status, res.body)
	}
	s.noMailTo("carol@example.test")
}

// TestRegistrationVerificationFormField: with the FormField strategy the
// mail and the key's answer carry a code; the id alone or with a wrong code
// verifies nothing; a 213 carries a fresh registrationVerificationId whose
// code is mailed, and that pair verifies.
func TestRegistrationVerificationFormField(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, verifyingRegistrations("FormField"))
	created := s.registerBob("")
	bob := created["user"].(map[string]any)["id"].(string)
	id, code := created["registrationVerificationId"].(string), created["registrationVerificationOneTimeCode"].(string)
	if m := s.mailTo("bob@example.test", 1)[0]; len(code) != 6 || !strings.Contains(m.Text, code) || strings.Contains(m.Text, id) {
		t.Fatalf("code %q, mail %q", code, m.Text)
	}
	for _, c := range []struct{ body, code string }{
		{`{"verificationId":"` + id + `"}`, "[blank]oneTimeCode"},
		{`{"verificationId":"` + id + `","oneTimeCode":"ZZZZZZ"}`, "[invalid]oneTimeCode"},
	} {
		if res := s.verifyRegistration(c.body); res.status != 400 || !strings.Contains(string(res.body), c.code) {
			t.Fatalf("%s: %d %s", c.body, res.status, res.body)
		}
	}
	if reg := s.bobRegistration(bob); reg["verified"] != false {
		t.Fatalf("a wrong code verified: %v", reg)
	}
	login := s.do(call{method: "POST", path: "/api/login", body: `{"loginId":"bob@example.test","password":"` + bobPass + `","applicationId":"` + storeApp + `"}`})
	if login.status != 213 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	loginID, _ := login.json(t)["registrationVerificationId"].(string)
	m := s.mailTo("bob@example.test", 2)[1]
	mailed := strings.TrimSpace(strings.SplitN(strings.SplitN(m.Text, "Store:", 2)[1], "If you", 2)[0])
	if loginID == "" || len(mailed) != 6 {
		t.Fatalf("213's id %q, mailed code %q", loginID, mailed)
	}
	if res := s.verifyRegistration(`{"verificationId":"` + loginID + `","oneTimeCode":"` + strings.ToLower(mailed) + `"}`); res.status != 200 {
		t.Fatalf("verify with the 213's id and the mailed code: %d %s", res.status, res.body)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != true {
		t.Fatalf("registration after verification: %v", reg)
	}
}

// TestRegistrationVerificationNeedsItsPermission: a key without
// /api/user/verify-registration (or without its PUT) is 401 for the resend
// and for a verification, and neither voids nor uses the id.
func TestRegistrationVerificationNeedsItsPermission(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, verifyingRegistrations("ClickableLink"))
	created := s.registerBob("")
	bob := created["user"].(map[string]any)["id"].(string)
	id := created["registrationVerificationId"].(string)
	ctx := context.Background()
	keys := map[string]map[string][]string{
		"user-only-key-0123456789abcdef0123456789abcdef": {"/api/user/registration": {"GET", "POST", "PUT", "PATCH", "DELETE"}},
		"post-only-key-0123456789abcdef0123456789abcdef": {"/api/user/verify-registration": {"POST"}},
	}
	for key, endpoints := range keys {
		must(t, s.Store.CreateAPIKey(ctx, storage.APIKey{ID: uuid.NewString(), TenantID: tenantID,
			KeyHash: manage.HashAPIKey(key), Endpoints: endpoints, InsertInstant: s.Clock.Now().UnixMilli()}))
	}
	resend := "/api/user/verify-registration?email=bob@example.test&applicationId=" + storeApp
	for _, c := range []struct{ key, method, path, body string }{
		{"", "PUT", resend, ""},
		{"user-only-key-0123456789abcdef0123456789abcdef", "PUT", resend, ""},
		{"post-only-key-0123456789abcdef0123456789abcdef", "PUT", resend, ""},
		{"user-only-key-0123456789abcdef0123456789abcdef", "POST", "/api/user/verify-registration", `{"verificationId":"` + id + `"}`},
	} {
		res := s.do(call{method: c.method, path: c.path, body: c.body, hdr: map[string]string{"Authorization": c.key}})
		if res.status != 401 {
			t.Errorf("%s %s with key %q: %d %s, want 401", c.method, c.path, c.key, res.status, res.body)
		}
	}
	s.drained()
	if n := len(s.mailTo("bob@example.test", 1)); n != 1 {
		t.Fatalf("a refused resend mailed (%d messages)", n)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != false {
		t.Fatalf("a refused key verified: %v", reg)
	}
	if res := s.verifyRegistration(`{"verificationId":"`+id+`"}`, "Authorization", "post-only-key-0123456789abcdef0123456789abcdef"); res.status != 200 {
		t.Fatalf("the key holding POST /api/user/verify-registration, with the untouched id: %d %s", res.status, res.body)
	}
}

// TestRegistrationVerificationTenantScope: a key scoped to a tenant can
// neither resend nor use the verification of another tenant's
// registration; the id stays good for its owner.
func TestRegistrationVerificationTenantScope(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, verifyingRegistrations("ClickableLink"))
	s.withOtherTenant()
	otherApp := "0f1a2b3c-0000-4000-8000-0000000000f4"
	must(t, s.Store.CreateApplication(context.Background(), storage.Application{ID: otherApp, TenantID: otherTenant, Name: "Other",
		Active: true, State: "Active", VerifyRegistration: true}))
	created := s.stack.apiOK("POST", "/api/user/registration/"+otherUserID, map[string]any{"registration": map[string]any{"applicationId": otherApp}})
	id := created["registrationVerificationId"].(string)
	if res := s.stack.api("PUT", "/api/user/verify-registration?email=other@example.test&applicationId="+otherApp, nil, "Authorization", scopedKey); res.status != 404 {
		t.Errorf("scoped resend for another tenant's user: %d %s", res.status, res.body)
	}
	if res := s.verifyRegistration(`{"verificationId":"`+id+`"}`, "Authorization", scopedKey); res.status != 404 {
		t.Errorf("scoped verification of another tenant's registration: %d %s", res.status, res.body)
	}
	reg := s.stack.apiOK("GET", "/api/user/registration/"+otherUserID+"/"+otherApp, nil)["registration"].(map[string]any)
	if reg["verified"] != false {
		t.Fatalf("the scoped key verified: %v", reg)
	}
	if res := s.verifyRegistration(`{"verificationId":"` + id + `"}`); res.status != 200 {
		t.Fatalf("the id after the scoped key's attempts: %d %s", res.status, res.body)
	}
}

// TestSignUpVerifiesTheRegistration: a keyless sign-up for an application
// that verifies registrations creates the registration unverified, answers
// no verificationId (only the mailbox gets it), and
// mails the registration link beside the email verification.
func TestSignUpVerifiesTheRegistration(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, signUpOpen, verifyingRegistrations("ClickableLink"))
	res := s.do(call{method: "POST", path: "/api/user/registration", body: signUpBody(""), hdr: map[string]string{"Origin": storeSite}})
	m := res.json(t)
	if res.status != 200 || m["registrationVerificationId"] != nil || m["registration"].(map[string]any)["verified"] != false {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	var link string
	for _, msg := range s.mailTo("dora@example.test", 2) {
		for _, l := range msg.Links {
			if strings.Contains(l, "/registration/verify/") {
				link = linkID(t, msg, "/registration/verify/")
			}
		}
	}
	if link == "" {
		t.Fatal("no registration verification link mailed")
	}
	if res := s.verifyRegistration(`{"verificationId":"` + link + `"}`); res.status != 200 {
		t.Fatalf("verify the mailed link: %d %s", res.status, res.body)
	}
}

package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// wrongCode is the i-th six-character code that is not code.
func wrongCode(i int, code string) string {
	if w := fmt.Sprintf("Z%05d", i); !strings.EqualFold(w, code) {
		return w
	}
	return "Y00000"
}

// formFieldVerification logs bob in (212) and returns the answer's
// emailVerificationId with the code mailed for it.
func (s *mailStack) formFieldVerification(mails int) (id, code string) {
	s.t.Helper()
	res := s.loginBob()
	if res.status != 212 {
		s.t.Fatalf("login: %d %s", res.status, res.body)
	}
	id = res.json(s.t)["emailVerificationId"].(string)
	m := s.mailTo("bob@example.test", mails)[mails-1]
	return id, strings.TrimSpace(strings.SplitN(strings.SplitN(m.Text, "yours:", 2)[1], "If you", 2)[0])
}

func (s *mailStack) verifyEmail(id, code string, hdr map[string]string) result {
	return s.do(call{method: "POST", path: "/api/user/verify-email", hdr: hdr,
		body: `{"verificationId":"` + id + `","oneTimeCode":"` + code + `"}`})
}

// TestEmailVerificationCodeEndsAfterFiveWrongCodes: a FormField
// verificationId takes five answers: five wrong codes (keyless or with an
// API key) are 400 [invalid]oneTimeCode, then the id is an unknown one
// (404), for a wrong code and for the right one, and the address stays
// unverified. A new id (a new 212) verifies with its own code.
func TestEmailVerificationCodeEndsAfterFiveWrongCodes(t *testing.T) {
	s := newMailStack(t, verifying("FormField"))
	bob := s.createBob()
	s.mailTo("bob@example.test", 1)
	id, code := s.formFieldVerification(2)
	for i := range 5 {
		hdr := map[string]string(nil)
		if i%2 == 1 {
			hdr = admin
		}
		if r := s.verifyEmail(id, wrongCode(i, code), hdr); r.status != 400 || !strings.Contains(string(r.body), "[invalid]oneTimeCode") {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
		}
	}
	if r := s.verifyEmail(id, wrongCode(5, code), admin); r.status != 404 {
		t.Errorf("a sixth wrong code: %d %s, want 404", r.status, r.body)
	}
	for _, hdr := range []map[string]string{nil, admin} {
		if r := s.verifyEmail(id, code, hdr); r.status != 404 {
			t.Errorf("the right code after five wrong ones: %d %s, want 404", r.status, r.body)
		}
	}
	if u, err := s.Store.GetUser(t.Context(), bob); err != nil || u.Verified {
		t.Fatalf("bob after the refused codes: verified=%v, %v", u.Verified, err)
	}
	id, code = s.formFieldVerification(3)
	if r := s.verifyEmail(id, code, nil); r.status != 200 {
		t.Errorf("a new id with its code: %d %s", r.status, r.body)
	}
}

// TestEmailVerificationConcurrentWrongCodesCompareAtMostFive: 30 wrong
// codes sent at once for one verificationId (with an API key, so no rate
// limit applies) get at most five compares (400); the others, and the right
// code after them, are 404, and nothing is verified.
func TestEmailVerificationConcurrentWrongCodesCompareAtMostFive(t *testing.T) {
	s := newMailStack(t, verifying("FormField"))
	bob := s.createBob()
	s.mailTo("bob@example.test", 1)
	id, code := s.formFieldVerification(2)
	statuses := make([]int, 30)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = s.verifyEmail(id, wrongCode(i, code), admin).status
		}()
	}
	close(start)
	wg.Wait()
	compared := 0
	for _, st := range statuses {
		switch st {
		case 400:
			compared++
		case 404:
		default:
			t.Fatalf("answers %v", statuses)
		}
	}
	if compared != 5 {
		t.Errorf("%d of 30 concurrent wrong codes compared, want 5 (answers %v)", compared, statuses)
	}
	if r := s.verifyEmail(id, code, admin); r.status != 404 {
		t.Errorf("the right code after them: %d %s, want 404", r.status, r.body)
	}
	if u, err := s.Store.GetUser(t.Context(), bob); err != nil || u.Verified {
		t.Fatalf("bob: verified=%v, %v", u.Verified, err)
	}
}

// TestRegistrationVerificationCodeEndsAfterFiveWrongCodes: a FormField
// registration verificationId takes five answers as an email one does:
// then the right code is 404 and the registration stays unverified.
func TestRegistrationVerificationCodeEndsAfterFiveWrongCodes(t *testing.T) {
	s := buildMailStack(t, stackOpts{}, verifyingRegistrations("FormField"))
	created := s.registerBob("")
	bob := created["user"].(map[string]any)["id"].(string)
	id, code := created["registrationVerificationId"].(string), created["registrationVerificationOneTimeCode"].(string)
	for i := range 5 {
		if r := s.verifyRegistration(`{"verificationId":"` + id + `","oneTimeCode":"` + wrongCode(i, code) + `"}`); r.status != 400 {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
		}
	}
	if r := s.verifyRegistration(`{"verificationId":"`+id+`","oneTimeCode":"`+code+`"}`, "Authorization", apiKey); r.status != 404 {
		t.Errorf("the right code after five wrong ones: %d %s, want 404", r.status, r.body)
	}
	if reg := s.bobRegistration(bob); reg["verified"] != false {
		t.Errorf("registration after the refused codes: %v", reg)
	}
}

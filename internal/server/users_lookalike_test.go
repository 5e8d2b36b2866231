package server_test

import (
	"strings"
	"testing"
)

// TestLookAlikeLoginIDs: login ids are normalized (NFKC, case folding)
// before they are stored and looked up. A full-width copy of alice's
// address is her address: creating it is a duplicate, and logging in with
// it is logging in as alice. A dotless-i or Cyrillic look-alike, or an
// address mixing scripts, is refused with a field error; a username may not
// be another user's email, nor an email another user's username. Every
// refusal creates nothing.
func TestLookAlikeLoginIDs(t *testing.T) {
	s := newStack(t)
	create := func(user string) result {
		t.Helper()
		return s.do(call{method: "POST", path: "/api/user", hdr: admin,
			body: `{"user":{` + user + `,"password":"a long enough password"}}`})
	}
	refused := func(user, code string) {
		t.Helper()
		r := create(user)
		wantStatus(t, r, 400)
		if !strings.Contains(string(r.body), `"code":"`+code+`"`) {
			t.Fatalf("create %s: %s, want %s", user, r.body, code)
		}
	}
	refused(`"email":"ａｌｉｃｅ@example.test"`, "[duplicate]user.email")
	refused(`"email":"ALICE@EXAMPLE.TEST"`, "[duplicate]user.email")
	refused(`"email":"alıce@example.test"`, "[invalid]user.email")
	refused(`"email":"аlice@example.test"`, "[invalid]user.email")
	refused(`"email":"mallory@еxample.test"`, "[invalid]user.email")
	refused(`"username":"alice@example.test"`, "[duplicate]user.username")
	refused(`"email":"carol@example.test","username":"аlice"`, "[invalid]user.username")
	wantStatus(t, create(`"username":"dave@example.test"`), 200)
	refused(`"email":"dave@example.test"`, "[duplicate]user.email")
	for _, id := range []string{"alıce@example.test", "аlice@example.test", "carol@example.test"} {
		if r := s.do(call{method: "GET", path: "/api/user?email=" + id, hdr: admin}); r.status != 404 {
			t.Fatalf("a refused create left user %s: %d %s", id, r.status, r.body)
		}
	}
	// The full-width address logs in as alice.
	r := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｔｅｓｔ","password":"` + alicePass + `","applicationId":"` + storeApp + `"}`})
	wantStatus(t, r, 200)
	if got := r.json(t)["user"].(map[string]any)["id"]; got != aliceID {
		t.Fatalf("full-width login id logged in as %v, want alice", got)
	}
	// A non-Latin address of one script is an ordinary address.
	wantStatus(t, create(`"email":"иван@example.test"`), 200)
}

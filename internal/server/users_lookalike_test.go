package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
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

// TestInvisibleAndMixedScriptLoginIDsAreRefused (adversarial): a copy of a
// login id with an invisible character in it (zero-width space or joiner,
// soft hyphen, word joiner, a bidi mark or override, a Hangul filler), or
// one that mixes Latin with a script other than Cyrillic and Greek
// (Armenian օ in "bob"), is refused with [invalid] on the field by every
// way an account is created or changed (POST /api/user, sign-up, PATCH),
// creates and changes nothing, and as a login id or lookup finds nobody.
func TestInvisibleAndMixedScriptLoginIDsAreRefused(t *testing.T) {
	s := newStack(t, signUpOpen)
	ctx := context.Background()
	_, before, err := s.Store.SearchUsers(ctx, storage.UserSearch{Limit: 1})
	must(t, err)
	alice, err := s.Store.GetUser(ctx, aliceID)
	must(t, err)
	emails := []string{"alice\u200b@example.test", "ali\u00adce@example.test", "alice\u2060@example.test",
		"alice@example.test\u200e", "\u202ealice@example.test", "alice\ufeff@example.test", "b\u0585b@example.test",
		"alice@ex\u0561mple.test"}
	usernames := []string{"alice\u200d", "alice\u3164", "ali\u034fce", "b\u0585b", "bob "}
	refused := func(what string, r result, field string) {
		t.Helper()
		wantStatus(t, r, 400)
		if !strings.Contains(string(r.body), `"code":"[invalid]`+field+`"`) {
			t.Fatalf("%s: %s, want [invalid]%s", what, r.body, field)
		}
	}
	body := func(field, id string) string {
		b, err := json.Marshal(map[string]any{"user": map[string]any{field: id, "password": "a long enough password", "firstName": "Eve"},
			"registration": map[string]any{"applicationId": storeApp}})
		must(t, err)
		return string(b)
	}
	for _, id := range emails {
		refused("create "+id, s.do(call{method: "POST", path: "/api/user", hdr: admin, body: body("email", id)}), "user.email")
		refused("sign up "+id, s.do(call{method: "POST", path: "/api/user/registration", hdr: map[string]string{"Origin": storeSite},
			body: body("email", id)}), "user.email")
		refused("patch alice to "+id, s.do(call{method: "PATCH", path: "/api/user/" + aliceID, hdr: admin,
			body: `{"user":{"email":"` + id + `"}}`}), "user.email")
		if r := s.do(call{method: "GET", path: "/api/user?email=" + url.QueryEscape(id), hdr: admin}); r.status != 404 {
			t.Fatalf("lookup of %q: %d %s", id, r.status, r.body)
		}
		login, err := json.Marshal(map[string]string{"loginId": id, "password": alicePass, "applicationId": storeApp})
		must(t, err)
		if r := s.do(call{method: "POST", path: "/api/login", body: string(login)}); r.status != 404 {
			t.Fatalf("login as %q: %d %s", id, r.status, r.body)
		}
	}
	for _, id := range usernames {
		refused("create "+id, s.do(call{method: "POST", path: "/api/user", hdr: admin, body: body("username", id)}), "user.username")
		refused("patch alice's username to "+id, s.do(call{method: "PATCH", path: "/api/user/" + aliceID, hdr: admin,
			body: `{"user":{"username":"` + id + `"}}`}), "user.username")
	}
	_, after, err := s.Store.SearchUsers(ctx, storage.UserSearch{Limit: 1})
	must(t, err)
	if after != before {
		t.Fatalf("%d users after the refusals, %d before", after, before)
	}
	now, err := s.Store.GetUser(ctx, aliceID)
	must(t, err)
	if now.Email != alice.Email || now.Username != alice.Username || now.LastUpdateInstant != alice.LastUpdateInstant {
		t.Fatalf("a refused PATCH changed alice: %q %q, was %q %q", now.Email, now.Username, alice.Email, alice.Username)
	}
	// Scripts TR39 lets share a label, and one script alone, still work.
	for _, u := range []string{`"username":"山田taro"`, `"username":"\u0531\u0580\u0561\u0574"`, `"email":"用户@例子.广告"`} {
		wantStatus(t, s.do(call{method: "POST", path: "/api/user", hdr: admin,
			body: `{"user":{` + u + `,"password":"a long enough password"}}`}), 200)
	}
}

package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// allFieldsOpen is registerOpen with every optional profile field on the
// registration page.
func allFieldsOpen(apps map[string]*storage.Application, tn *storage.Tenant) {
	registerOpen(apps, tn)
	c := &apps[storeApp].RegistrationConfiguration
	on := storage.Requirable{Enabled: true}
	c.BirthDate, c.FullName, c.MiddleName, c.MobilePhone, c.PreferredLanguages = on, on, on, on, on
}

// TestNULInUserFieldsIsRefused (adversarial; run with
// LATCHKEY_TEST_POSTGRES_DSN too): a NUL character (U+0000) in any stored
// string of a user or a registration, through the hosted registration
// form, keyless sign-up, user create, PATCH, registration and import, is
// 400 [invalid]<field> with nothing created or changed. PostgreSQL's jsonb
// cannot hold one, so such a user used to be created and then every login
// of it was a 500. A record no use case checks by field (a group's data)
// is a 400 too, never a 500. A literal backslash-u0000 text is not a NUL:
// it is stored and its user logs in.
func TestNULInUserFieldsIsRefused(t *testing.T) {
	s := buildOAuthStack(t, stackOpts{cfg: noRateLimit}, allFieldsOpen)
	b := newBrowser(s)
	_, challenge := pkce("nul")
	page := b.openRegister(authzQuery(storeApp, storeCallback, challenge))
	for _, f := range []string{"user.firstName", "user.lastName", "user.fullName", "user.middleName", "user.mobilePhone", "user.preferredLanguages"} {
		if res := b.submitRegister(page, dora(f, "a\x00b")); res.status != http.StatusBadRequest {
			t.Fatalf("form %s with a NUL: %d %.300s", f, res.status, res.body)
		}
	}
	s.noUser("dora@example.test")

	reg := `"registration":{"applicationId":"` + storeApp + `"}`
	cases := []struct{ name, body, field string }{
		{"firstName", `{"user":{"email":"n1@example.test","password":"dora's own passphrase","firstName":"a\u0000b"},` + reg + `}`, "user.firstName"},
		{"mobilePhone", `{"user":{"email":"n1@example.test","password":"dora's own passphrase","mobilePhone":"\u0000"},` + reg + `}`, "user.mobilePhone"},
		{"preferredLanguages", `{"user":{"email":"n1@example.test","password":"dora's own passphrase","preferredLanguages":["en","d\u0000e"]},` + reg + `}`, "user.preferredLanguages"},
		{"data value", `{"user":{"email":"n1@example.test","password":"dora's own passphrase","data":{"a":{"b":["x","\u0000"]}}},` + reg + `}`, "user.data.a.b"},
		{"registration data", `{"user":{"email":"n1@example.test","password":"dora's own passphrase"},"registration":{"applicationId":"` + storeApp + `","data":{"n":"\u0000"}}}`, "registration.data.n"},
	}
	for _, c := range cases {
		for _, hdr := range []map[string]string{nil, admin} { // keyless sign-up, then with a key
			res := s.do(call{method: "POST", path: "/api/user/registration", hdr: hdr, body: c.body})
			if codes := fieldCodes(t, res, c.field); !slices.Contains(codes, "[invalid]"+c.field) {
				t.Fatalf("%s (key %v): %v %s", c.name, hdr != nil, codes, res.body)
			}
		}
	}
	res := s.do(call{method: "POST", path: "/api/user", hdr: admin,
		body: `{"user":{"email":"n1@example.test","password":"dora's own passphrase","data":{"k\u0000":1}}}`})
	if codes := fieldCodes(t, res, `user.data.k\u0000`); len(codes) != 1 {
		t.Fatalf("create with a NUL in a data key: %v %s", codes, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/user/import", hdr: admin,
		body: `{"users":[{"email":"n1@example.test","password":"plain text password","fullName":"\u0000"}]}`})
	if codes := fieldCodes(t, res, "users[0].fullName"); len(codes) != 1 {
		t.Fatalf("import with a NUL: %v %s", codes, res.body)
	}
	s.noUser("n1@example.test")

	// A literal backslash-u0000 is six ordinary characters.
	res = s.do(call{method: "POST", path: "/api/user/registration",
		body: `{"user":{"email":"lit@example.test","password":"dora's own passphrase","firstName":"a\\u0000b"},` + reg + `}`})
	if res.status != http.StatusOK {
		t.Fatalf("sign-up with a literal \\u0000: %d %s", res.status, res.body)
	}
	id := res.json(t)["user"].(map[string]any)["id"].(string)
	login := call{method: "POST", path: "/api/login", hdr: admin,
		body: `{"loginId":"lit@example.test","password":"dora's own passphrase","applicationId":"` + storeApp + `"}`}
	if res := s.do(login); res.status != http.StatusOK && res.status != http.StatusAccepted {
		t.Fatalf("login of the literal's user: %d %s", res.status, res.body)
	}
	for _, body := range []string{`{"user":{"lastName":"x\u0000"}}`, `{"user":{"data":{"n":"\u0000"}}}`} {
		res := s.do(call{method: "PATCH", path: "/api/user/" + id, hdr: admin, body: body})
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "[invalid]user.") {
			t.Fatalf("PATCH %s: %d %s", body, res.status, res.body)
		}
	}
	u := s.do(call{method: "GET", path: "/api/user/" + id, hdr: admin}).json(t)["user"].(map[string]any)
	if u["firstName"] != `a\u0000b` || u["lastName"] != nil || u["data"] != nil {
		t.Fatalf("a refused PATCH changed the user: %v", u)
	}
	if res := s.do(login); res.status != http.StatusOK && res.status != http.StatusAccepted {
		t.Fatalf("login after the refused PATCHes: %d %s", res.status, res.body)
	}
	res = s.do(call{method: "POST", path: "/api/group", hdr: admin, body: `{"group":{"name":"nul","data":{"x":"\u0000"}}}`})
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "[invalid]") {
		t.Fatalf("group with a NUL in its data: %d %s", res.status, res.body)
	}
}

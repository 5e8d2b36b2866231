package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestUserImportLookAlikeLoginIDs: POST /api/user/import normalizes login
// ids as a user create does (TestLookAlikeLoginIDs): a full-width copy of
// another record's address, or of a stored user's, is a duplicate named by
// the record's index and field; a dotless-i, Cyrillic or mixed-script
// look-alike, or an id with an invisible character, is refused as
// invalid; a username may not be another record's or a stored user's
// email. Each refused batch writes nothing, not even its good records.
func TestUserImportLookAlikeLoginIDs(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	const good = `{"email":"nora@example.test","password":"a long enough password"}`
	cases := []struct {
		name      string
		validate  bool
		user      string // users[1], after the good users[0]
		wantField map[string]string
	}{
		{"full-width copy of users[0]'s email", false,
			`{"email":"ｎｏｒａ@ｅｘａｍｐｌｅ.ｔｅｓｔ","password":"x"}`,
			map[string]string{"users[1].email": "[duplicate]users[1].email"}},
		{"full-width copy of a stored user's email", true,
			`{"email":"ａｌｉｃｅ@example.test","password":"x"}`,
			map[string]string{"users[1].email": "[duplicate]users[1].email"}},
		{"upper-case full-width copy of a stored user's username", true,
			`{"username":"ＡＬＩＣＥ","password":"x"}`,
			map[string]string{"users[1].username": "[duplicate]users[1].username"}},
		{"dotless-i look-alike of a stored email", true,
			`{"email":"alıce@example.test","password":"x"}`,
			map[string]string{"users[1].email": "[invalid]users[1].email"}},
		{"Cyrillic look-alike", false,
			`{"email":"nоra@example.test","username":"аlice","password":"x"}`,
			map[string]string{"users[1].email": "[invalid]users[1].email", "users[1].username": "[invalid]users[1].username"}},
		{"mixed scripts in the domain", false,
			`{"email":"mallory@еxample.test","password":"x"}`,
			map[string]string{"users[1].email": "[invalid]users[1].email"}},
		{"invisible characters", false,
			`{"email":"nora\u200b@example.test","username":"ali\u00adce","password":"x"}`,
			map[string]string{"users[1].email": "[invalid]users[1].email", "users[1].username": "[invalid]users[1].username"}},
		{"Armenian mixed with Latin", false,
			`{"email":"n\u0585ra@example.test","password":"x"}`,
			map[string]string{"users[1].email": "[invalid]users[1].email"}},
		{"username that is users[0]'s email, full-width", false,
			`{"username":"ＮＯＲＡ@example.test","password":"x"}`,
			map[string]string{"users[1].username": "[duplicate]users[1].username"}},
		{"username that is a stored user's email", true,
			`{"username":"alice@example.test","password":"x"}`,
			map[string]string{"users[1].username": "[duplicate]users[1].username"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"validateDbConstraints":` + map[bool]string{true: "true", false: "false"}[tc.validate] +
				`,"users":[` + good + `,` + tc.user + `]}`
			r := s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: body})
			wantStatus(t, r, 400)
			var got struct {
				FieldErrors map[string][]struct{ Code string } `json:"fieldErrors"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("%s: %v", r.body, err)
			}
			codes := map[string]string{}
			for f, es := range got.FieldErrors {
				for _, e := range es {
					codes[f] = e.Code
				}
			}
			if !maps.Equal(codes, tc.wantField) {
				t.Fatalf("field errors %v, want %v (%s)", slices.Sorted(maps.Keys(codes)), tc.wantField, r.body)
			}
			if _, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "nora@example.test"}); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("the refused batch's good record was stored (%v)", err)
			}
		})
	}

	// Without validateDbConstraints a clash with a stored user is found by
	// the database's unique index on the normalized form: the whole batch
	// is refused, nothing written.
	r := s.do(call{method: "POST", path: "/api/user/import", hdr: admin,
		body: `{"users":[` + good + `,{"email":"ａｌｉｃｅ@example.test","password":"x"}]}`})
	wantStatus(t, r, 400)
	if !strings.Contains(string(r.body), "[ImportRequestFailed]") {
		t.Fatalf("full-width copy of a stored email without validateDbConstraints: %s", r.body)
	}
	if _, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "nora@example.test"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the refused batch's good record was stored (%v)", err)
	}
	// Alice is still the only holder of her address, and a clean batch
	// still imports.
	if u, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: aliceEmail}); err != nil || u.ID != aliceID {
		t.Fatalf("alice after the refusals: %+v %v", u, err)
	}
	wantStatus(t, s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: `{"users":[` + good + `]}`}), 200)
}

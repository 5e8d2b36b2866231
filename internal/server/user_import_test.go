package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const (
	importedCarolID = "0f1a2b3c-0000-4000-8000-0000000000c7"
	importedDaveID  = "0f1a2b3c-0000-4000-8000-0000000000c8"
)

// TestUserImport pins POST /api/user/import (apis/users/import) with golden
// files: a good request answers 200 with no body and stores the users with
// their registrations and hashes; a request with bad records names each by
// index and field with FusionAuth's codes and stores nothing, not even its
// good records; validateDbConstraints reports clashes with stored users by
// record; without it a clash refuses the whole request with
// [ImportRequestFailed] (400: bad input is never a 500 here).
func TestUserImport(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	bcryptHash := "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	good := `{"users":[` +
		`{"id":"` + importedCarolID + `","email":"Carol@Example.test","username":"carol","password":"` + bcryptHash[29:] + `","encryptionScheme":"bcrypt",` +
		`"factor":10,"salt":"` + bcryptHash[7:29] + `","active":true,"verified":true,"firstName":"Carol","data":{"crm":42},"insertInstant":1600000000000,` +
		`"registrations":[{"applicationId":"` + storeApp + `","roles":["user"],"verified":true,"data":{"tier":"gold"}}]},` +
		`{"id":"` + importedDaveID + `","username":"dave","password":"plain text password","active":true}]}`
	res := s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: good})
	managementGolden(t, "user-import", res.status, res.body)
	carol, err := s.Store.GetUser(ctx, importedCarolID)
	must(t, err)
	if carol.Email != "carol@example.test" || carol.Password.Scheme != "bcrypt" || carol.Password.Salt != bcryptHash[7:29] || carol.InsertInstant != 1600000000000 {
		t.Fatalf("imported carol: %+v", carol)
	}
	regs, err := s.Store.ListRegistrations(ctx, importedCarolID)
	must(t, err)
	if len(regs) != 1 || regs[0].ApplicationID != storeApp || !regs[0].Verified {
		t.Fatalf("carol's registrations: %+v", regs)
	}
	dave, err := s.Store.GetUser(ctx, importedDaveID)
	must(t, err)
	if ok, _ := password.Verify(context.Background(), "plain text password", dave.Password); !ok || dave.Password.Scheme != password.PBKDF2SHA256 {
		t.Fatalf("a plain-text import is hashed with the tenant's scheme: %+v", dave.Password)
	}

	bad := `{"users":[` +
		`{"email":"erin@example.test","password":"x","encryptionScheme":"bcrypt","salt":"short","active":true},` +
		`{"password":"x"},` +
		`{"email":"not an address","username":"frank","password":"x","encryptionScheme":"rot13"},` +
		`{"email":"grace@example.test","password":"x","registrations":[{"applicationId":"0f1a2b3c-0000-4000-8000-0000000000ff"},{"roles":["user"]},` +
		`{"applicationId":"` + storeApp + `","roles":["emperor"]}]},` +
		`{"email":"GRACE@example.test","password":"x","twoFactor":{"methods":[{"method":"authenticator","secret":"abc"}]}},` +
		`{"id":"not-a-uuid","email":"heidi@example.test","password":"x","birthDate":"1990-13-45"},` +
		`{"email":"ivan@example.test","password":"` + strings.Repeat("x", 2000) + `"},` +
		`{"email":"judy@example.test","password":"aGFzaA==","encryptionScheme":"salted-pbkdf2-hmac-sha256","factor":999999999,"salt":"c2FsdA=="}]}`
	res = s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: bad})
	managementGolden(t, "user-import-invalid", res.status, res.body)
	for _, email := range []string{"erin@example.test", "grace@example.test", "heidi@example.test"} {
		if _, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: email}); err == nil {
			t.Fatalf("%s was stored from a refused request", email)
		}
	}

	clash := `{"validateDbConstraints":true,"users":[{"email":"kim@example.test","password":"x"},` +
		`{"id":"` + importedCarolID + `","email":"ALICE@example.test","username":"Carol","password":"x"}]}`
	res = s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: clash})
	managementGolden(t, "user-import-duplicate-validated", res.status, res.body)
	res = s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: strings.Replace(clash, `"validateDbConstraints":true`, `"validateDbConstraints":false`, 1)})
	managementGolden(t, "user-import-duplicate", res.status, res.body)
	if _, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "kim@example.test"}); err == nil {
		t.Fatal("kim was stored from a refused request")
	}
	res = s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: `{"users":[]}`})
	managementGolden(t, "user-import-empty", res.status, res.body)
}

// importForm is a hash in FusionAuth's import form: bcrypt split into
// factor, the 22 salt characters and the 31 hash characters; the other
// schemes as latchkey stores them (base64 salt and hash, or the scheme's
// own string).
func importForm(h storage.PasswordHash) (pw, salt string, factor int) {
	if h.Scheme == password.Bcrypt {
		var cost int
		fmt.Sscanf(h.Hash[4:6], "%d", &cost)
		return h.Hash[29:], h.Hash[7:29], cost
	}
	return h.Hash, h.Salt, h.Factor
}

// TestImportedUsersLogInAndAreRehashed: a user imported with a hash of each
// scheme latchkey verifies logs in with the old password; the first
// successful login replaces the hash with the tenant's scheme and factor,
// after which the password still works; a wrong password is refused and
// leaves the imported hash as it was.
func TestImportedUsersLogInAndAreRehashed(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	for i, c := range []struct {
		scheme string
		factor int
	}{
		{password.PBKDF2SHA256, 1000}, {password.PBKDF2SHA256512, 1000}, {password.PBKDF2SHA512512, 1000},
		{password.Bcrypt, 4}, {password.Argon2id, 1}, {password.SaltedMD5, 50}, {password.SaltedSHA256, 50},
		{password.SaltedHMACSHA256, 1}, {password.PHPassMD5, 256}, {password.PHPassSHA512, 256},
	} {
		t.Run(c.scheme, func(t *testing.T) {
			plain := "old password of scheme " + c.scheme
			h, err := password.HashLegacy(context.Background(), plain, c.scheme, c.factor)
			must(t, err)
			pw, salt, factor := importForm(h)
			id := fmt.Sprintf("0f1a2b3c-0000-4000-8000-%012d", 900+i)
			email := fmt.Sprintf("moved%d@example.test", i)
			u := map[string]any{"id": id, "email": email, "password": pw, "encryptionScheme": c.scheme, "factor": factor, "salt": salt,
				"active": true, "registrations": []any{map[string]any{"applicationId": storeApp, "roles": []string{"user"}}}}
			body, _ := json.Marshal(map[string]any{"users": []any{u}})
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: string(body)}), 200)
			login := func(p string) result {
				return s.do(call{method: "POST", path: "/api/login", hdr: admin,
					body: `{"loginId":"` + email + `","password":"` + p + `","applicationId":"` + storeApp + `"}`})
			}
			wantStatus(t, login("not the password"), 404)
			if got, _ := s.Store.GetUser(ctx, id); got.Password.Scheme != c.scheme {
				t.Fatalf("a refused login changed the hash to %q", got.Password.Scheme)
			}
			wantStatus(t, login(plain), 200)
			got, err := s.Store.GetUser(ctx, id)
			must(t, err)
			if got.Password.Scheme != password.PBKDF2SHA256 || got.Password.Factor != testFactor {
				t.Fatalf("after the first login the hash is %s/%d, want the tenant's %s/%d",
					got.Password.Scheme, got.Password.Factor, password.PBKDF2SHA256, testFactor)
			}
			wantStatus(t, login(plain), 200)
		})
	}
}

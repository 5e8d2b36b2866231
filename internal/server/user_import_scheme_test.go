package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestImportedHashWithoutSchemeIsRefused: a user import record carrying a
// hash (a salt or a factor with it, or a whole bcrypt, argon2id or phpass
// string) but no encryptionScheme is refused with
// [blank]users[i].encryptionScheme, and nothing of its request is stored,
// not even the good record beside it. Imported as plain text, the hash
// string would have become the password: whoever holds the old hash could
// log in with it, and the user could not with the real password. The same
// record with its scheme imports, and then only the real password logs in.
func TestImportedHashWithoutSchemeIsRefused(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	for i, c := range []struct {
		name, scheme string
		factor       int
		whole        bool // the hash alone, no salt and no factor
	}{
		{"pbkdf2 with salt and factor", password.PBKDF2SHA256, 1000, false},
		{"salted-md5 with salt and factor", password.SaltedMD5, 50, false},
		{"bcrypt split into salt and factor", password.Bcrypt, 4, false},
		{"whole bcrypt string", password.Bcrypt, 4, true},
		{"whole argon2id string", password.Argon2id, 1, true},
		{"whole phpass string", password.PHPassMD5, 256, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			plain := "real password " + c.name
			h, err := password.HashLegacy(ctx, plain, c.scheme, c.factor)
			must(t, err)
			pw, salt, factor := importForm(h)
			if c.whole {
				pw, salt, factor = h.Hash, "", 0
				if c.scheme == password.PHPassMD5 { // "$P$", the count 2^8, salt and hash
					pw = "$P$6" + h.Salt + h.Hash
				}
			}
			email := fmt.Sprintf("noscheme%d@example.test", i)
			bystander := fmt.Sprintf("bystander%d@example.test", i)
			rec := map[string]any{"email": email, "password": pw, "active": true,
				"registrations": []any{map[string]any{"applicationId": storeApp}}}
			if salt != "" {
				rec["salt"] = salt
			}
			if factor != 0 {
				rec["factor"] = factor
			}
			body, _ := json.Marshal(map[string]any{"users": []any{
				map[string]any{"email": bystander, "password": "a good plain password", "active": true},
				rec,
			}})
			res := s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: string(body)})
			login := func(p string) result {
				b, _ := json.Marshal(map[string]string{"loginId": email, "password": p, "applicationId": storeApp})
				return s.do(call{method: "POST", path: "/api/login", hdr: admin, body: string(b)})
			}
			if got := login(pw); got.status != 404 {
				t.Errorf("login with the hash string as the password: status %d, want 404", got.status)
			}
			if codes := fieldCodes(t, res, "users[1].encryptionScheme"); !slices.Equal(codes, []string{"[blank]users[1].encryptionScheme"}) {
				t.Fatalf("codes = %v; body %s", codes, res.body)
			}
			for _, e := range []string{email, bystander} {
				if _, err := s.Store.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: e}); err == nil {
					t.Fatalf("%s was stored from a refused request", e)
				}
			}

			// With its scheme the same record is a hash: the real password
			// logs in, the hash string does not.
			rec["encryptionScheme"] = c.scheme
			body, _ = json.Marshal(map[string]any{"users": []any{rec}})
			wantStatus(t, s.do(call{method: "POST", path: "/api/user/import", hdr: admin, body: string(body)}), 200)
			wantStatus(t, login(pw), 404)
			wantStatus(t, login(plain), 200)
		})
	}
}

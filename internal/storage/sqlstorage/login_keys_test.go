package sqlstorage

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginKeysNormalizedWithLegacyFallback: a user's email and username
// are indexed in normal form (a full-width copy finds the user), and a row
// written before keys were normalized, whose key is the plain lower case of
// an identifier not in normal form, is still found by that identifier.
func TestLoginKeysNormalizedWithLegacyFallback(t *testing.T) {
	onEachBackend(t, testLoginKeysNormalizedWithLegacyFallback)
}

func testLoginKeysNormalizedWithLegacyFallback(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.CreateTenant(ctx, storage.Tenant{ID: "t1", Name: "t"}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateUser(ctx, storage.User{ID: "11111111-0000-4000-8000-000000000001", TenantID: "t1", Active: true,
		Email: "max@example.com", Username: "Jürgen"}))
	for _, f := range []storage.UserFilter{{Email: "ＭＡＸ@example.com"}, {Email: "Max@Example.com"}, {Username: "JÜRGEN"}, {Username: "ju\u0308rgen"}} {
		f.TenantID = "t1"
		if u, err := s.FindUser(ctx, f); err != nil || u.Email != "max@example.com" {
			t.Fatalf("FindUser(%+v) = %v, %v; want the user", f, u.Email, err)
		}
	}
	// A legacy row: full-width email stored under its plain lower case.
	legacy := "ｏｌｄ@example.com"
	must(s.CreateUser(ctx, storage.User{ID: "11111111-0000-4000-8000-000000000002", TenantID: "t1", Active: true, Email: legacy}))
	_, err := s.w.ExecContext(ctx, `UPDATE users SET email_lower = $1 WHERE id = $2`, legacy, "11111111-0000-4000-8000-000000000002")
	must(err)
	u, err := s.FindUser(ctx, storage.UserFilter{TenantID: "t1", Email: legacy})
	if err != nil || u.ID != "11111111-0000-4000-8000-000000000002" {
		t.Fatalf("legacy row by its stored identifier: %+v, %v", u, err)
	}
}

package storagetest

import (
	"context"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testTenants(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	_, err := s.GetTenant(ctx, tenantID)
	wantErr(t, err, storage.ErrNotFound)
	want := newTenant(tenantID)
	must(t, s.CreateTenant(ctx, want))
	wantErr(t, s.CreateTenant(ctx, newTenant(tenantID)), storage.ErrConflict)
	got, err := s.GetTenant(ctx, tenantID)
	must(t, err)
	want.Revision = 1 // a new row's
	wantEqual(t, "tenant", got, want)

	want.Name, want.LastUpdateInstant = "Renamed", base.UnixMilli()+1
	must(t, s.UpdateTenant(ctx, want))
	must(t, s.CreateTenant(ctx, newTenant("22222222-2222-2222-2222-222222222222")))
	list, err := s.ListTenants(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "Renamed" {
		t.Fatalf("ListTenants = %+v, want 2 tenants with the update applied", list)
	}
	wantErr(t, s.UpdateTenant(ctx, newTenant("missing")), storage.ErrNotFound)
}

func testApplications(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	a, b := newApp("a", true), newApp("b", false)
	must(t, s.CreateApplication(ctx, a))
	must(t, s.CreateApplication(ctx, b))
	wantErr(t, s.CreateApplication(ctx, newApp("a", true)), storage.ErrConflict)
	got, err := s.GetApplication(ctx, "a")
	must(t, err)
	a.Revision = 1 // a new row's
	wantEqual(t, "application", got, a)
	_, err = s.GetApplication(ctx, "nope")
	wantErr(t, err, storage.ErrNotFound)

	tests := []struct {
		name     string
		inactive bool
		want     string
	}{{"active only", false, "a"}, {"inactive only", true, "b"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := s.ListApplications(ctx, tc.inactive)
			must(t, err)
			if len(list) != 1 || list[0].ID != tc.want {
				t.Fatalf("ListApplications(%v) = %+v, want only %q", tc.inactive, list, tc.want)
			}
		})
	}
	// Deactivating moves the application between the two lists.
	a.Active, a.State = false, "Inactive"
	must(t, s.UpdateApplication(ctx, a))
	list, err := s.ListApplications(ctx, true)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("after deactivation, inactive list = %+v, want 2", list)
	}
	wantErr(t, s.UpdateApplication(ctx, newApp("missing", true)), storage.ErrNotFound)
	wantErr(t, s.DeleteApplication(ctx, "missing"), storage.ErrNotFound)
}

func testUsers(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	u := newUser("u1", "ada@example.com", "Ada")
	must(t, s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, "u1")
	must(t, err)
	wantEqual(t, "user (incl. password hash)", unrevised(got), u)
	wantErr(t, s.CreateUser(ctx, newUser("u1", "other@example.com", "")), storage.ErrConflict)

	// Several users without a username (or email) must coexist.
	must(t, s.CreateUser(ctx, newUser("u2", "b@example.com", "")))
	must(t, s.CreateUser(ctx, newUser("u3", "c@example.com", "")))
	must(t, s.CreateUser(ctx, newUser("u4", "", "dora")))

	find := []struct {
		name   string
		filter storage.UserFilter
		want   string // "" = ErrNotFound
	}{
		{"email", storage.UserFilter{TenantID: tenantID, Email: "ada@example.com"}, "u1"},
		{"email other case", storage.UserFilter{TenantID: tenantID, Email: "ADA@Example.COM"}, "u1"},
		{"username other case", storage.UserFilter{TenantID: tenantID, Username: "aDa"}, "u1"},
		{"username only user", storage.UserFilter{TenantID: tenantID, Username: "DORA"}, "u4"},
		{"other tenant", storage.UserFilter{TenantID: "other", Email: "ada@example.com"}, ""},
		{"unknown email", storage.UserFilter{TenantID: tenantID, Email: "nobody@example.com"}, ""},
		{"empty filter", storage.UserFilter{TenantID: tenantID}, ""},
		{"email with SQL wildcard", storage.UserFilter{TenantID: tenantID, Email: "%@example.com"}, ""},
		// A login id with a control character is found nowhere, on every
		// backend (PostgreSQL's text cannot hold a NUL): not an error.
		{"email with NUL", storage.UserFilter{TenantID: tenantID, Email: "ada@example.com\x00"}, ""},
		{"username with NUL", storage.UserFilter{TenantID: tenantID, Username: "a\x00da"}, ""},
		{"username with a control character", storage.UserFilter{TenantID: tenantID, Username: "ada\n"}, ""},
	}
	for _, tc := range find {
		t.Run("FindUser "+tc.name, func(t *testing.T) {
			got, err := s.FindUser(ctx, tc.filter)
			if tc.want == "" {
				wantErr(t, err, storage.ErrNotFound)
				return
			}
			must(t, err)
			if got.ID != tc.want {
				t.Fatalf("FindUser = %s, want %s", got.ID, tc.want)
			}
		})
	}

	u.Email, u.Password.Hash, u.LastUpdateInstant = "ada.lovelace@example.com", "bmV3", base.UnixMilli()+5
	must(t, s.UpdateUser(ctx, u))
	got, err = s.GetUser(ctx, "u1")
	must(t, err)
	wantEqual(t, "updated user", unrevised(got), u)
	_, err = s.FindUser(ctx, storage.UserFilter{TenantID: tenantID, Email: "ada@example.com"})
	wantErr(t, err, storage.ErrNotFound) // the old email no longer finds anyone
	wantErr(t, s.UpdateUser(ctx, newUser("missing", "m@example.com", "")), storage.ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, "missing"), storage.ErrNotFound)
}

func testUserCaseInsensitive(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	must(t, s.CreateUser(ctx, newUser("u1", "ada@example.com", "ada")))
	tests := []struct {
		name string
		user storage.User
		want error
	}{
		{"email other case", newUser("u2", "ADA@EXAMPLE.COM", ""), storage.ErrConflict},
		{"username other case", newUser("u3", "x@example.com", "ADA"), storage.ErrConflict},
		{"same email other tenant", func() storage.User {
			u := newUser("u4", "Ada@Example.com", "ada")
			u.TenantID = "other-tenant"
			return u
		}(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CreateUser(ctx, tc.user)
			if tc.want == nil {
				must(t, err)
				return
			}
			wantErr(t, err, tc.want)
			_, err = s.GetUser(ctx, tc.user.ID)
			wantErr(t, err, storage.ErrNotFound) // nothing was written
		})
	}
}

func testUpdateUserConflict(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, newTenant(tenantID)))
	must(t, s.CreateUser(ctx, newUser("u1", "ada@example.com", "")))
	b := newUser("u2", "bob@example.com", "")
	must(t, s.CreateUser(ctx, b))
	stolen := b
	stolen.Email = "Ada@Example.com"
	wantErr(t, s.UpdateUser(ctx, stolen), storage.ErrConflict)
	got, err := s.GetUser(ctx, "u2")
	must(t, err)
	wantEqual(t, "revision after refused update", got.Revision, int64(1))
	wantEqual(t, "user after refused update", unrevised(got), b)
}

package storagetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testIdentityProviderConnectionTests: a test round-trips with no steps
// until completed; completion records steps and the resolved account once,
// only for its own provider and before it expires (anything else is
// ErrNotFound with nothing changed); an expired test is invisible; a test
// of an unknown provider or tenant is ErrNotFound, a duplicate id
// ErrConflict; only unexpired tests are counted, per provider; deleting the provider deletes its tests.
func testIdentityProviderConnectionTests(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	seed(t, s)
	for _, id := range []string{"idp1", "idp2"} {
		must(t, s.CreateIdentityProvider(ctx, storage.IdentityProvider{ID: id, Type: "OpenIDConnect", Name: "Upstream " + id}))
	}
	at := base.UnixMilli()
	getErr := func(id string, now int64) error {
		_, err := s.GetIdentityProviderConnectionTest(ctx, id, now)
		return err
	}
	ct := storage.IdentityProviderConnectionTest{ID: "t1", TenantID: tenantID, IdentityProviderID: "idp1", InsertInstant: at, ExpiresInstant: at + 1000}
	must(t, s.CreateIdentityProviderConnectionTest(ctx, ct))
	wantErr(t, s.CreateIdentityProviderConnectionTest(ctx, ct), storage.ErrConflict)
	for _, bad := range []storage.IdentityProviderConnectionTest{
		{ID: "t2", TenantID: tenantID, IdentityProviderID: "nope", InsertInstant: at, ExpiresInstant: at + 1000},
		{ID: "t3", TenantID: "22222222-2222-2222-2222-222222222222", IdentityProviderID: "idp1", InsertInstant: at, ExpiresInstant: at + 1000},
	} {
		wantErr(t, s.CreateIdentityProviderConnectionTest(ctx, bad), storage.ErrNotFound)
		wantErr(t, getErr(bad.ID, at), storage.ErrNotFound)
	}
	got, err := s.GetIdentityProviderConnectionTest(ctx, "t1", at)
	must(t, err)
	ct.Steps = []storage.IdentityProviderTestStep{}
	if !reflect.DeepEqual(got, ct) {
		t.Fatalf("read %+v, want %+v", got, ct)
	}
	wantErr(t, getErr("t1", at+1000), storage.ErrNotFound) // expired
	count := func(provider string, now int64) int {
		t.Helper()
		n, err := s.CountIdentityProviderConnectionTests(ctx, provider, now)
		must(t, err)
		return n
	}
	if a, b, c := count("idp1", at), count("idp1", at+1000), count("idp2", at); a != 1 || b != 0 || c != 0 {
		t.Fatalf("counts %d %d %d, want 1 0 0", a, b, c)
	}
	done := storage.IdentityProviderConnectionTest{CompleteInstant: at + 10, IdentityProviderUserID: "sub-1", Email: "a@example.com", Username: "a",
		Steps: []storage.IdentityProviderTestStep{{Title: "one", Success: true, Detail: "ok"}, {Title: "two", Detail: "<no>"}}}
	wantErr(t, s.CompleteIdentityProviderConnectionTest(ctx, "t1", "idp2", done), storage.ErrNotFound) // another provider
	late := done
	late.CompleteInstant = at + 1000
	wantErr(t, s.CompleteIdentityProviderConnectionTest(ctx, "t1", "idp1", late), storage.ErrNotFound) // expired
	wantErr(t, s.CompleteIdentityProviderConnectionTest(ctx, "missing", "idp1", done), storage.ErrNotFound)
	if got, _ := s.GetIdentityProviderConnectionTest(ctx, "t1", at); got.CompleteInstant != 0 || len(got.Steps) != 0 || got.Email != "" {
		t.Fatalf("refused completions changed the test: %+v", got)
	}
	must(t, s.CompleteIdentityProviderConnectionTest(ctx, "t1", "idp1", done))
	again := done
	again.Email, again.CompleteInstant = "b@example.com", at+20
	wantErr(t, s.CompleteIdentityProviderConnectionTest(ctx, "t1", "idp1", again), storage.ErrNotFound) // once
	got, err = s.GetIdentityProviderConnectionTest(ctx, "t1", at+20)
	must(t, err)
	want := ct
	want.CompleteInstant, want.Steps, want.IdentityProviderUserID, want.Email, want.Username = done.CompleteInstant, done.Steps, "sub-1", "a@example.com", "a"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("completed %+v, want %+v", got, want)
	}
	must(t, s.CreateIdentityProviderConnectionTest(ctx, storage.IdentityProviderConnectionTest{ID: "t4", TenantID: tenantID, IdentityProviderID: "idp2", InsertInstant: at, ExpiresInstant: at + 1000}))
	must(t, s.DeleteIdentityProvider(ctx, "idp1"))
	wantErr(t, getErr("t1", at), storage.ErrNotFound)
	if _, err := s.GetIdentityProviderConnectionTest(ctx, "t4", at); err != nil {
		t.Fatalf("another provider's test after the deletion: %v", err)
	}
	// The janitor's purge deletes expired tests only, in batches.
	must(t, s.CreateIdentityProviderConnectionTest(ctx, storage.IdentityProviderConnectionTest{ID: "t5", TenantID: tenantID, IdentityProviderID: "idp2", InsertInstant: at, ExpiresInstant: at + 2000}))
	if n, err := s.PurgeIdentityProviderConnectionTests(ctx, at+999, 10); err != nil || n != 0 {
		t.Fatalf("purge before any expired: %d %v", n, err)
	}
	if n, err := s.PurgeIdentityProviderConnectionTests(ctx, at+1000, 10); err != nil || n != 1 {
		t.Fatalf("purge of the expired test: %d %v", n, err)
	}
	if _, err := s.GetIdentityProviderConnectionTest(ctx, "t5", at); err != nil {
		t.Fatalf("the unexpired test after the purge: %v", err)
	}
	if n := count("idp2", 0); n != 1 {
		t.Fatalf("tests left after the purge: %d, want 1", n)
	}
}

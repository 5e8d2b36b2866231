package manage_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestAPIKeyListFollowsRetrieveRule: List shows a caller exactly the keys
// Get gives it (a key manager holding permissions equal to or greater than
// the key's, in its tenant scope), for a super, a restricted and a
// tenant-scoped manager alike: every listed key is retrieved, every other
// stored key is refused.
func TestAPIKeyListFollowsRetrieveRule(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	ks := &manage.APIKeys{Store: st, Now: clock}
	root := storage.APIKey{KeyManager: true}
	create := func(in manage.NewAPIKey) storage.APIKey {
		t.Helper()
		c, err := ks.Create(ctx, root, in)
		if err != nil {
			t.Fatal(err)
		}
		return c.Record
	}
	users := map[string][]string{"/api/user": {"GET"}}
	restricted := create(manage.NewAPIKey{KeyManager: true, Endpoints: map[string][]string{"/api/api-key": {"GET"}, "/api/user": {"GET", "POST"}}})
	scoped := create(manage.NewAPIKey{KeyManager: true, TenantID: manage.DefaultTenantID})
	create(manage.NewAPIKey{})
	create(manage.NewAPIKey{Endpoints: users})
	create(manage.NewAPIKey{Endpoints: users, TenantID: manage.DefaultTenantID})
	create(manage.NewAPIKey{Endpoints: map[string][]string{"/api/user": {"GET", "DELETE"}}})
	create(manage.NewAPIKey{Endpoints: users, KeyManager: true})
	stored, err := st.ListAPIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		caller storage.APIKey
		want   int
	}{
		{"super", root, len(stored)},
		{"restricted", restricted, 2},
		{"tenant-scoped", scoped, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			list, err := ks.List(ctx, c.caller)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != c.want {
				t.Fatalf("listed %d keys, want %d: %+v", len(list), c.want, list)
			}
			for _, k := range stored {
				listed := slices.ContainsFunc(list, func(v manage.APIKeyView) bool { return v.ID == k.ID })
				_, err := ks.Get(ctx, c.caller, k.ID)
				if listed != (err == nil) {
					t.Errorf("key %+v: listed %v, Get %v", k, listed, err)
				}
				if err != nil && !errors.Is(err, manage.ErrForbidden) && !errors.Is(err, manage.ErrNotFound) {
					t.Errorf("Get %s: %v", k.ID, err)
				}
			}
		})
	}
}

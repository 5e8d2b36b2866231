package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testAPIKeys(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	n, err := s.CountAPIKeys(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("CountAPIKeys on empty store = %d", n)
	}
	k := storage.APIKey{ID: "k1", KeyHash: hash("raw-key"), Description: "bootstrap", Attributes: map[string]string{"owner": "bob", "ticket": "OPS-1"},
		Endpoints: map[string][]string{"/api/user": {"GET", "POST"}}, KeyManager: true,
		ExpirationInstant: base.Add(time.Hour).UnixMilli(), InsertInstant: base.UnixMilli()}
	must(t, s.CreateAPIKey(ctx, k))
	got, err := s.GetAPIKeyByHash(ctx, hash("raw-key"))
	must(t, err)
	wantEqual(t, "api key", got, k)
	wantErr(t, s.CreateAPIKey(ctx, storage.APIKey{ID: "k2", KeyHash: hash("raw-key")}), storage.ErrConflict)
	wantErr(t, s.CreateAPIKey(ctx, storage.APIKey{ID: "k1", KeyHash: hash("other")}), storage.ErrConflict)
	_, err = s.GetAPIKeyByHash(ctx, hash("wrong-key"))
	wantErr(t, err, storage.ErrNotFound)
	n, err = s.CountAPIKeys(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("CountAPIKeys = %d, want 1 (refused inserts must not count)", n)
	}
}

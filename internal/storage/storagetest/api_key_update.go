package storagetest

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testAPIKeyUpdate: an update replaces every field but the insert instant
// (the attributes as a whole), the old hash stops finding the key at once,
// another key's hash is a conflict that changes nothing, an unknown id is
// ErrNotFound, and the audit entry commits with the change only.
func testAPIKeyUpdate(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	must(t, s.CreateAPIKey(ctx, storage.APIKey{ID: "k1", KeyHash: hash("one"), Description: "first",
		Attributes: map[string]string{"owner": "bob"}, InsertInstant: 1}))
	must(t, s.CreateAPIKey(ctx, storage.APIKey{ID: "k2", KeyHash: hash("two"), InsertInstant: 2}))
	want := storage.APIKey{ID: "k1", TenantID: tenantID, KeyHash: hash("three"), Description: "second", Attributes: map[string]string{"team": "ops"},
		Endpoints: map[string][]string{"/api/user": {"GET"}}, KeyManager: true, ExpirationInstant: 99, InsertInstant: 1, LastUpdateInstant: 7}
	must(t, s.UpdateAPIKey(ctx, want, newEntry("Updated the API key with Id [k1]", "admin@example.com", 7)))
	got, err := s.GetAPIKey(ctx, "k1")
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after update:\n got %+v\nwant %+v", got, want)
	}
	_, err = s.GetAPIKeyByHash(ctx, hash("one"))
	wantErr(t, err, storage.ErrNotFound)

	clash := want
	clash.KeyHash, clash.Description = hash("two"), "clash"
	wantErr(t, s.UpdateAPIKey(ctx, clash, newEntry("Updated the API key with Id [k1]", "admin@example.com", 8)), storage.ErrConflict)
	if got, err := s.GetAPIKey(ctx, "k1"); err != nil || got.Description != "second" || !bytes.Equal(got.KeyHash, hash("three")) {
		t.Fatalf("a refused update changed the key: %+v %v", got, err)
	}
	missing := want
	missing.ID, missing.KeyHash = "k9", hash("nine")
	wantErr(t, s.UpdateAPIKey(ctx, missing, newEntry("Updated the API key with Id [k9]", "admin@example.com", 9)), storage.ErrNotFound)
	entries, total, err := s.SearchAuditEntries(ctx, storage.AuditSearch{Message: "Updated the API key", Limit: 10})
	must(t, err)
	if total != 1 || len(entries) != 1 || entries[0].InsertInstant != 7 {
		t.Fatalf("audit entries of the updates: %d %+v, want the committed one only", total, entries)
	}
}

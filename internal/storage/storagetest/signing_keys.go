package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func signingKey(id, alg string, created time.Time) storage.SigningKey {
	return storage.SigningKey{ID: id, Algorithm: alg, PrivateKeyPEM: "PRIV " + id, PublicKeyPEM: "PUB " + id,
		State: "active", CreatedAt: created}
}

func testSigningKeys(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	k1 := signingKey("k1", "ES256", base)
	must(t, s.InsertSigningKey(ctx, k1))
	wantErr(t, s.InsertSigningKey(ctx, signingKey("k1b", "ES256", base)), storage.ErrConflict)
	must(t, s.InsertSigningKey(ctx, signingKey("r1", "RS256", base.Add(time.Second))))
	keys, err := s.ListSigningKeys(ctx, base)
	must(t, err)
	wantEqual(t, "keys", keys, []storage.SigningKey{k1, signingKey("r1", "RS256", base.Add(time.Second))})

	retire := base.Add(24 * time.Hour)
	k2 := signingKey("k2", "ES256", base.Add(time.Hour))
	k2.ActivateAt = base.Add(time.Hour + 10*time.Minute)
	must(t, s.RotateSigningKey(ctx, k2, retire))
	oldK1 := k1
	oldK1.State, oldK1.RetireAt = "retiring", retire
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"during overlap", base.Add(2 * time.Hour), []string{"k1", "r1", "k2"}},
		{"after retirement", retire.Add(time.Millisecond), []string{"r1", "k2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := s.ListSigningKeys(ctx, tc.now)
			must(t, err)
			var got []string
			for _, k := range keys {
				got = append(got, k.ID)
				if k.ID == "k1" {
					wantEqual(t, "retiring key", k, oldK1)
				}
				if k.ID == "k2" {
					wantEqual(t, "new key", k, k2)
				}
			}
			wantEqual(t, "published keys", got, tc.want)
		})
	}
	// Still one active ES256 key: another insert is refused.
	wantErr(t, s.InsertSigningKey(ctx, signingKey("k3", "ES256", base)), storage.ErrConflict)
}

// testConcurrentSigningKeyInsert: N nodes start at once on an empty database;
// exactly one creates the key.
func testConcurrentSigningKeyInsert(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	errs := parallel(10, func(i int) error {
		return s.InsertSigningKey(ctx, signingKey(fmt.Sprintf("k%d", i), "ES256", base))
	})
	ok, others := countNil(errs)
	if ok != 1 {
		t.Fatalf("%d inserts succeeded, want 1 (%v)", ok, others)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("loser error %v, want ErrConflict", err)
		}
	}
	keys, err := s.ListSigningKeys(ctx, base)
	must(t, err)
	if len(keys) != 1 {
		t.Fatalf("%d keys stored, want 1", len(keys))
	}
}

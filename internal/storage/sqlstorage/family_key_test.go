package sqlstorage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestLoginFamiliesKeepSecretHashesOutOfTheHashIndex: a family created
// ReadByID (every login's since this change) stores no hash of a secret
// in the column the UNIQUE index on refresh_tokens.hash holds, so a login
// adds no entry at a random place of that index (issue 13: at 10,000,000
// tokens that entry went to a cold leaf on every login). Families with
// time-ordered (version 7) ids, created one after another, sort in the
// order they were created and after every secret's hash: their entries go
// to the index's right-hand end, one after another. A family created
// without ReadByID (the earlier format, looked up by hash) still stores its
// hash there. Both backends.
func TestLoginFamiliesKeepSecretHashesOutOfTheHashIndex(t *testing.T) {
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, now := context.Background(), time.Now()
			tokenOwner(t, s)
			create := func(id string, readByID bool, hash []byte) []byte {
				if hash == nil {
					secret := make([]byte, 32)
					_, _ = rand.Read(secret)
					sum := sha256.Sum256(secret)
					hash = sum[:]
				}
				must(t, s.CreateRefreshToken(ctx, storage.RefreshToken{ID: id, TenantID: "t", UserID: "u", ApplicationID: "a",
					Hash: hash, StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now,
					ReadByID: readByID}))
				return hash
			}
			indexed := func(h []byte) int {
				var n int
				must(t, s.r.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens WHERE hash = $1`, h).Scan(&n))
				return n
			}
			// Families of the earlier format first: their hashes are at
			// random places of the index, and one is as high as a hash not
			// beginning with four 0xff bytes can be.
			const earlier = 33
			highest := bytes.Repeat([]byte{0xff}, 32)
			highest[3] = 0xfe
			for i := range earlier {
				var h []byte
				if i == 0 {
					h = highest
				}
				if h := create(fmt.Sprint("earlier-", i), false, h); indexed(h) != 1 {
					t.Fatal("a family created without ReadByID: its hash is not in the hash column")
				}
			}
			var ids []string
			var firsts [][]byte
			for range 64 {
				id := uuid.Must(uuid.NewV7()).String()
				ids = append(ids, id)
				h := create(id, true, nil)
				firsts = append(firsts, h)
				if indexed(h) != 0 {
					t.Fatalf("family %s created ReadByID: its secret's hash is in the hash column", id)
				}
			}
			rows, err := s.r.QueryContext(ctx, `SELECT id FROM refresh_tokens ORDER BY hash`)
			must(t, err)
			var sorted []string
			for rows.Next() {
				var id string
				must(t, rows.Scan(&id))
				sorted = append(sorted, id)
			}
			must(t, rows.Err())
			if len(sorted) != earlier+len(ids) || !slices.Equal(sorted[earlier:], ids) {
				t.Fatalf("by the hash column the families sort as\n%v\nnot after the %d earlier ones in the order they were created\n%v", sorted, earlier, ids)
			}
			// The column holds four 0xff bytes and the id's; reads see the
			// secret's hash.
			for i, id := range ids {
				got, err := s.GetRefreshToken(ctx, id)
				must(t, err)
				var stored []byte
				must(t, s.r.QueryRowContext(ctx, `SELECT hash FROM refresh_tokens WHERE id = $1`, id).Scan(&stored))
				u := uuid.MustParse(id)
				if !bytes.Equal(stored, append([]byte{0xff, 0xff, 0xff, 0xff}, u[:]...)) || !bytes.Equal(got.Hash, firsts[i]) {
					t.Fatalf("family %s: the hash column holds %x, read back %x, created with %x", id, stored, got.Hash, firsts[i])
				}
			}
		})
	}
}

// TestRollbackBelow0090RestoresTheHashColumn: the statement docs/deploy.md
// gives before an earlier binary (one that reads hash as the current hash)
// starts again leaves every family's current hash in hash: families created
// ReadByID, rotated or not, with a UUID id or another, and families of the
// earlier format. Each is then found by its current hash as that code looks
// it up (WHERE hash = $1), and the 0090 trigger lets the statement through.
// Both backends.
func TestRollbackBelow0090RestoresTheHashColumn(t *testing.T) {
	const rollback = `UPDATE refresh_tokens SET hash = cur_hash, cur_hash = NULL WHERE cur_hash IS NOT NULL` // docs/deploy.md
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, now := context.Background(), time.Now()
			tokenOwner(t, s)
			h := func(v string) []byte { x := sha256.Sum256([]byte(v)); return x[:] }
			current := map[string][]byte{}
			for _, f := range []struct {
				id       string
				readByID bool
				rotate   bool
			}{
				{uuid.Must(uuid.NewV7()).String(), true, false},
				{uuid.Must(uuid.NewV7()).String(), true, true},
				{"not-a-uuid", true, true},
				{"earlier-format", false, true},
			} {
				must(t, s.CreateRefreshToken(ctx, storage.RefreshToken{ID: f.id, TenantID: "t", UserID: "u", ApplicationID: "a",
					Hash: h(f.id + "/0"), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now,
					ReadByID: f.readByID}))
				current[f.id] = h(f.id + "/0")
				if f.rotate {
					_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: f.id, OldHash: h(f.id + "/0"), NewHash: h(f.id + "/1"),
						At: now, ExpiresAt: now.Add(time.Hour), NoHistory: f.readByID})
					must(t, err)
					current[f.id] = h(f.id + "/1")
				}
			}
			_, err := s.w.ExecContext(ctx, rollback)
			must(t, err)
			for id, want := range current {
				var found string
				var cur []byte
				must(t, s.r.QueryRowContext(ctx, `SELECT id, cur_hash FROM refresh_tokens WHERE hash = $1`, want).Scan(&found, &cur))
				if found != id || cur != nil {
					t.Fatalf("by %s's current hash the earlier code finds %q (cur_hash %x)", id, found, cur)
				}
			}
		})
	}
}

// tokenOwner creates tenant "t", application "a" and user "u", for refresh
// tokens to belong to.
func tokenOwner(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must(t, s.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	must(t, s.CreateApplication(ctx, storage.Application{ID: "a", TenantID: "t", Active: true}))
	must(t, s.CreateUser(ctx, storage.User{ID: "u", TenantID: "t", Email: "u@example.com"}))
}

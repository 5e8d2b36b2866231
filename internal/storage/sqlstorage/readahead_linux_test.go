package sqlstorage

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestReadAheadWhenTheFileComesFromTheDisk: with the database file dropped
// from the page cache, concurrent refresh reads of sessions spread over it
// count block reads (getrusage), and the batches after such a batch read
// their later members ahead, finding their rows; every read is answered
// with its own family. A kernel without I/O accounting counts nothing:
// the test is skipped there, and fails under LATCHKEY_REQUIRE_ALL=1.
func TestReadAheadWhenTheFileComesFromTheDisk(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(diskTempDir(t), "cold.db")
	// latchkey seed's rows at a small scale: about 8 MB, families
	// spread over it, each of its own user.
	const users, tokens, reads = 1000, 10000, 800
	now := time.Now()
	seed, err := Open(ctx, path, Options{Throwaway: true})
	if err != nil {
		t.Fatal(err)
	}
	must := mustNil(t)
	must(seed.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	must(seed.CreateApplication(ctx, storage.Application{ID: "a", TenantID: "t", Active: true}))
	must(seed.SeedScale(ctx, Seed{ApplicationID: "a", Users: users, Tokens: tokens, Now: now}))
	must(seed.Close())
	dropFromCache(t, path)
	sample, err := SeedSample(reads, 1, users, tokens, time.Hour)
	must(err)

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ids := make([]string, len(sample))
	for k, i := range sample {
		ids[k] = SeedTokenID(i)
	}
	userOf := map[string]string{}
	for _, i := range sample {
		userOf[SeedTokenID(i)] = SeedUserID(SeedTokenUser(i, users))
	}
	before, _ := blockReads()
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var wg sync.WaitGroup
	const readers = 32
	for r := range readers {
		wg.Go(func() {
			for i := r; i < len(ids); i += readers {
				got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: ids[i], At: now.UnixMilli()})
				if err != nil || got.Token.ID != ids[i] || got.User.ID != userOf[ids[i]] {
					t.Errorf("read of %s answered %s of %s, %v", ids[i], got.Token.ID, got.User.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if after, _ := blockReads(); after == before {
		// The kernel keeps no I/O accounting (CONFIG_TASK_IO_ACCOUNTING):
		// nothing is read ahead there, by design.
		msg := "this kernel counted no block reads for reads of a file dropped from the page cache"
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatalf("%s (LATCHKEY_REQUIRE_ALL=1)", msg)
		}
		t.Skip(msg)
	}
	if q, r := s.reads.ahead.queued.Load(), s.reads.ahead.read.Load(); q == 0 || r == 0 {
		t.Fatalf("%d reads of a file dropped from the page cache in %d batches: %d reads ahead handed, %d read their family; want some", len(ids), s.reads.started.Load(), q, r)
	}
	t.Logf("%d batches, %d reads ahead handed, %d run", s.reads.started.Load(), s.reads.ahead.queued.Load(), s.reads.ahead.read.Load())
}

package sqlstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// openRotationsTest opens a PostgreSQL test store (SQLite groups rotations
// in its committer; without a DSN it skips, or fails under
// LATCHKEY_REQUIRE_ALL=1) seeded by benchSeed with n tokens, and holds a
// row lock on tok-0 in a transaction of its own: a rotation of tok-0 then
// waits in the batcher, and the rotations sent meanwhile queue behind it.
// release ends the lock.
func openRotationsTest(t *testing.T, n int) (s *Store, rotate func(id string, old, next []byte) <-chan rotRes, release func()) {
	t.Helper()
	s = openTestOn(t, DialectPostgres)
	if s.rotations == nil {
		t.Fatal("a PostgreSQL store has no rotation batcher")
	}
	benchSeed(t, s, n)
	ctx := context.Background()
	lock, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, `SELECT 1 FROM refresh_tokens WHERE id = 'tok-0' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = lock.Rollback() }) }
	t.Cleanup(release)
	rotate = func(id string, old, next []byte) <-chan rotRes {
		out := make(chan rotRes, 1)
		go func() {
			tok, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: old, NewHash: next,
				At: time.Now(), ExpiresAt: time.Now().Add(time.Hour), NoHistory: true})
			out <- rotRes{t: tok, err: err}
		}()
		return out
	}
	return s, rotate, release
}

// waitFor polls cond (the batcher's state moves on its own goroutine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func currentHash(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	tok, err := s.GetRefreshToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Hash
}

// TestRotationsBatchOnPostgres: rotations that queue while one is being
// committed go to PostgreSQL as one statement, and each keeps the outcome
// its own compare-and-swap would have had: the right hash wins, a stale
// hash, a revoked family and an unknown id are refused and change nothing,
// two rotations of one token never share a batch (exactly one wins), and a
// caller's answer comes after the commit (a new read sees it).
func TestRotationsBatchOnPostgres(t *testing.T) {
	s, rotate, release := openRotationsTest(t, 8)
	ctx := context.Background()
	if _, err := s.RevokeRefreshTokens(ctx, storage.RefreshTokenFilter{ID: "tok-7"}, time.Now(), "test"); err != nil {
		t.Fatal(err)
	}
	first := rotate("tok-0", benchHash("sec-0"), benchHash("new-0"))
	waitFor(t, "the lone rotation of tok-0 to start", func() bool { return s.rotations.started.Load() == 1 })

	valid := map[string]<-chan rotRes{}
	for i := 1; i <= 5; i++ {
		id := fmt.Sprintf("tok-%d", i)
		valid[id] = rotate(id, benchHash(fmt.Sprintf("sec-%d", i)), benchHash("new-"+id))
	}
	twin := rotate("tok-1", benchHash("sec-1"), benchHash("twin-tok-1")) // the same value presented twice
	stale := rotate("tok-6", benchHash("not-the-current-secret"), benchHash("new-tok-6"))
	revoked := rotate("tok-7", benchHash("sec-7"), benchHash("new-tok-7"))
	unknown := rotate("tok-none", benchHash("sec-none"), benchHash("new-tok-none"))
	waitFor(t, "nine rotations to queue", func() bool { return len(s.rotations.in) == 9 })
	release()

	if r := <-first; r.err != nil || string(r.t.Hash) != string(benchHash("new-0")) {
		t.Fatalf("tok-0: %v, hash %x", r.err, r.t.Hash)
	}
	for id, ch := range valid {
		r := <-ch
		if id == "tok-1" && errors.Is(r.err, storage.ErrConflict) {
			continue // the twin won; checked below
		}
		if r.err != nil {
			t.Fatalf("%s: %v", id, r.err)
		}
		if string(r.t.Hash) != string(benchHash("new-"+id)) || r.t.Generation != 1 || string(r.t.PrevHash) != string(benchHash("sec-"+id[4:])) {
			t.Errorf("%s: answered hash %x generation %d prev %x", id, r.t.Hash, r.t.Generation, r.t.PrevHash)
		}
		// Answered after the commit: a new read on another connection sees it.
		if got := currentHash(t, s, id); string(got) != string(benchHash("new-"+id)) && id != "tok-1" {
			t.Errorf("%s: stored hash %x after the answer, want the new one", id, got)
		}
	}
	tw := <-twin
	stored1 := currentHash(t, s, "tok-1")
	switch {
	case tw.err == nil && string(stored1) == string(benchHash("twin-tok-1")):
	case errors.Is(tw.err, storage.ErrConflict) && string(stored1) == string(benchHash("new-tok-1")):
	default:
		t.Errorf("tok-1 presented twice: twin %v, stored %x; want exactly one winner, stored", tw.err, stored1)
	}
	for name, c := range map[string]struct {
		ch   <-chan rotRes
		want error
		id   string
		hash string
	}{
		"stale hash":    {stale, storage.ErrConflict, "tok-6", "sec-6"},
		"revoked":       {revoked, storage.ErrConflict, "tok-7", "sec-7"},
		"unknown token": {unknown, storage.ErrNotFound, "", ""},
	} {
		if r := <-c.ch; !errors.Is(r.err, c.want) {
			t.Errorf("%s: %v, want %v", name, r.err, c.want)
		}
		if c.id != "" {
			if got := currentHash(t, s, c.id); string(got) != string(benchHash(c.hash)) {
				t.Errorf("%s: stored hash changed to %x", name, got)
			}
		}
	}
	// tok-0 alone, the eight distinct tokens in one statement, the twin
	// alone after them.
	if n, g := s.rotations.started.Load(), s.rotations.grouped.Load(); n != 3 || g != 1 {
		t.Errorf("%d batches, %d of them grouped; want 3 and 1 (the queued rotations in one statement)", n, g)
	}
}

// TestRotationsBatchRefusedRunsAlone: when PostgreSQL refuses a batch's
// statement (here one member's new hash is another token's current hash, a
// unique violation of an index the test adds: the schema no longer makes
// current hashes unique since migration 0090), nothing of it is applied,
// and each rotation runs again alone: only the faulty one is refused.
func TestRotationsBatchRefusedRunsAlone(t *testing.T) {
	s, rotate, release := openRotationsTest(t, 6)
	if _, err := s.w.ExecContext(context.Background(),
		`CREATE UNIQUE INDEX test_current_hash ON refresh_tokens ((COALESCE(cur_hash, hash)))`); err != nil {
		t.Fatal(err)
	}
	first := rotate("tok-0", benchHash("sec-0"), benchHash("new-0"))
	waitFor(t, "the lone rotation of tok-0 to start", func() bool { return s.rotations.started.Load() == 1 })
	chs := map[string]<-chan rotRes{}
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("tok-%d", i)
		chs[id] = rotate(id, benchHash(fmt.Sprintf("sec-%d", i)), benchHash("new-"+id))
	}
	clash := rotate("tok-4", benchHash("sec-4"), benchHash("sec-5")) // tok-5's current hash
	waitFor(t, "four rotations to queue", func() bool { return len(s.rotations.in) == 4 })
	release()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	for id, ch := range chs {
		if r := <-ch; r.err != nil || string(currentHash(t, s, id)) != string(benchHash("new-"+id)) {
			t.Errorf("%s: %v; want it rotated despite another member's fault", id, r.err)
		}
	}
	if r := <-clash; !errors.Is(r.err, storage.ErrConflict) {
		t.Errorf("the clashing rotation: %v, want a conflict", r.err)
	}
	if got := currentHash(t, s, "tok-4"); string(got) != string(benchHash("sec-4")) {
		t.Errorf("tok-4's hash changed to %x", got)
	}
	if g := s.rotations.grouped.Load(); g != 1 {
		t.Errorf("%d grouped statements, want 1 (refused, then each alone)", g)
	}
}

// TestRotationsBatchComparesTheCurrentHash: in a PostgreSQL batch, each
// member's compare-and-swap is against the family's current hash
// (COALESCE(cur_hash, hash)), not the indexed first one: a replay of the
// first value of a family rotated since (the login value a thief kept) is
// refused and changes nothing, while the holder's current value rotates,
// and the previous hash it records is that current value, not the first.
func TestRotationsBatchComparesTheCurrentHash(t *testing.T) {
	s, rotate, release := openRotationsTest(t, 4)
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"tok-1", "tok-2"} {
		if _, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: benchHash("sec-" + id[4:]),
			NewHash: benchHash("a1-" + id), At: now, ExpiresAt: now.Add(time.Hour), NoHistory: true}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.rotations.started.Load()
	first := rotate("tok-0", benchHash("sec-0"), benchHash("new-0"))
	waitFor(t, "the lone rotation", func() bool { return s.rotations.started.Load() == before+1 })
	replay := rotate("tok-1", benchHash("sec-1"), benchHash("stolen"))
	legit := rotate("tok-2", benchHash("a1-tok-2"), benchHash("a2-tok-2"))
	other := rotate("tok-3", benchHash("sec-3"), benchHash("new-3"))
	waitFor(t, "three rotations to queue", func() bool { return len(s.rotations.in) == 3 })
	release()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	if r := <-replay; !errors.Is(r.err, storage.ErrConflict) {
		t.Errorf("a batched replay of a rotated family's first value: %v, hash %x; want ErrConflict", r.err, r.t.Hash)
	}
	if got := currentHash(t, s, "tok-1"); !bytes.Equal(got, benchHash("a1-tok-1")) {
		t.Errorf("tok-1's current hash changed to %x", got)
	}
	if r := <-legit; r.err != nil || !bytes.Equal(r.t.Hash, benchHash("a2-tok-2")) || !bytes.Equal(r.t.PrevHash, benchHash("a1-tok-2")) {
		t.Errorf("a batched second rotation: %v, hash %x prev %x; want a2 with previous a1", r.err, r.t.Hash, r.t.PrevHash)
	}
	if r := <-other; r.err != nil {
		t.Fatal(r.err)
	}
	if g := s.rotations.grouped.Load(); g != 1 {
		t.Errorf("%d grouped batches; the test needs the three in one statement", g)
	}
}

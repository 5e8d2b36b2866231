package sqlstorage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestRotationWritesNoPageOfTheHashIndex: on SQLite, rotations of values
// that name their family (NoHistory) leave every page of the UNIQUE index on
// refresh_tokens.hash byte for byte as it was (migration 0090: at
// 10,000,000 tokens each rotation used to move its family's entry to a
// random, cold leaf of that index). The pages are read raw (sqlite_dbpage)
// through the writer, WAL included.
func TestRotationWritesNoPageOfTheHashIndex(t *testing.T) {
	ctx := context.Background()
	const n = 400 // an index of several pages
	s := openSeeded(t, n)
	var index string
	if err := s.w.QueryRowContext(ctx, `SELECT il.name FROM pragma_index_list('refresh_tokens') il
		JOIN pragma_index_info(il.name) ii WHERE il."unique" = 1 AND ii.name = 'hash'`).Scan(&index); err != nil {
		t.Fatalf("the UNIQUE index on hash: %v", err)
	}
	pages := func() map[int64][]byte { return indexPages(t, s, index) }
	before := pages()
	if len(before) < 3 {
		t.Fatalf("the index has %d pages; the test needs several", len(before))
	}
	now := time.Now()
	for g := 1; g <= 3; g++ {
		for i := range n {
			old := benchHash(fmt.Sprintf("sec-%d", i))
			if g > 1 {
				old = benchHash(fmt.Sprintf("sec-%d-%d", i, g-1))
			}
			if _, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: fmt.Sprintf("tok-%d", i), OldHash: old,
				NewHash: benchHash(fmt.Sprintf("sec-%d-%d", i, g)), At: now, ExpiresAt: now.Add(time.Hour), NoHistory: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := pages()
	if len(after) != len(before) {
		t.Fatalf("the index had %d pages, has %d after %d rotations", len(before), len(after), 3*n)
	}
	for pgno, data := range before {
		if !bytes.Equal(after[pgno], data) {
			t.Fatalf("page %d of the index on hash changed under rotations", pgno)
		}
	}
}

// TestFamiliesFromBeforeCurHashRotate: a database whose rows were written
// before migration 0090 (rotations then replaced hash; no cur_hash column)
// is upgraded on open, and its families go on: read by id with their
// current and previous hash, the current one refreshes, the previous one
// and an earlier-format value rotated away are refused and found only
// through the history, a never-rotated family is found by hash.
func TestFamiliesFromBeforeCurHashRotate(t *testing.T) {
	forEachBackend(t, testFamiliesFromBeforeCurHashRotate)
}

func testFamiliesFromBeforeCurHashRotate(t *testing.T, dialect string) {
	ctx := context.Background()
	open, done := reopenableTestStore(t, dialect)
	s := open()
	benchSeed(t, s, 3) // tok-0, tok-1, tok-2 with secrets sec-0..2
	// Back to the schema of 0080, then rows as its code wrote them.
	downgrade := []string{`DROP TRIGGER refresh_tokens_hash_kept`}
	if s.dialect == DialectPostgres {
		downgrade = []string{`DROP TRIGGER refresh_tokens_hash_kept ON refresh_tokens`, `DROP FUNCTION refresh_tokens_hash_kept()`}
	}
	for _, q := range append(downgrade, `ALTER TABLE refresh_tokens DROP COLUMN cur_hash`, `DELETE FROM schema_migrations WHERE version = 90`) {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	h := benchHash
	oldRotate := func(id, old, next string, history bool) {
		t.Helper()
		if err := rotateAsBefore0090(s, id, old, next, history); err != nil {
			t.Fatalf("rotation of %s: %v", id, err)
		}
	}
	oldRotate("tok-0", "sec-0", "a1", false)
	oldRotate("tok-0", "a1", "a2", false)
	oldRotate("tok-1", "sec-1", "b1", true) // an earlier-format value, rotated once
	done(s)

	s = open() // migrates to 0090
	defer done(s)
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil || v < 90 {
		t.Fatalf("schema version %d after the upgrade: %v", v, err)
	}
	at := time.Now()
	swap := func(id, old, next string) (storage.RefreshToken, error) {
		return s.RotateRefreshToken(ctx, storage.Rotation{ID: id, OldHash: h(old), NewHash: h(next), At: at,
			ExpiresAt: at.Add(time.Hour), NoHistory: true})
	}
	want := func(what string, got storage.RefreshToken, err error, cur, prev string, gen int) {
		t.Helper()
		wantPrev := h(prev)
		if prev == "" {
			wantPrev = nil
		}
		if err != nil || !bytes.Equal(got.Hash, h(cur)) || !bytes.Equal(got.PrevHash, wantPrev) || got.Generation != gen {
			t.Fatalf("%s: %v, hash %x prev %x generation %d; want the hashes of %s and %s, %d",
				what, err, got.Hash, got.PrevHash, got.Generation, cur, prev, gen)
		}
	}
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("%s: %v, want ErrConflict", what, err)
		}
	}

	got, err := s.GetRefreshToken(ctx, "tok-0")
	want("rotated before the upgrade, by id", got, err, "a2", "a1", 2)
	_, err = swap("tok-0", "a1", "x")
	refused("its previous value", err)
	got, err = swap("tok-0", "a2", "a3")
	want("its refresh", got, err, "a3", "a2", 3)
	_, err = swap("tok-0", "a2", "x")
	refused("the value it replaced", err)
	sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-0"})
	want("a refresh's read", sess.Token, err, "a3", "a2", 3)

	got, current, err := s.FindRefreshTokenByHash(ctx, h("b1"))
	if !current {
		t.Fatal("the value an earlier-format rotation handed out before the upgrade is not current by hash")
	}
	want("by hash", got, err, "b1", "sec-1", 1)
	got, err = swap("tok-1", "b1", "b2")
	want("its refresh", got, err, "b2", "b1", 2)
	got, current, err = s.FindRefreshTokenByHash(ctx, h("sec-1"))
	if current {
		t.Fatal("an earlier-format value rotated away is current")
	}
	want("the earlier-format value, through the history", got, err, "b2", "b1", 2)
	for _, stale := range []string{"b1", "a2"} {
		if _, _, err := s.FindRefreshTokenByHash(ctx, h(stale)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s found by hash after its rotation: %v", stale, err)
		}
	}
	_, err = swap("tok-1", "sec-1", "x")
	refused("the earlier-format value", err)

	got, current, err = s.FindRefreshTokenByHash(ctx, h("sec-2"))
	if !current {
		t.Fatal("a family never rotated is not current by hash")
	}
	want("never rotated", got, err, "sec-2", "", 0)
}

// rotateAsBefore0090 is the rotation of the code before migration 0090
// (ed488bf), as a node still running it during a rolling upgrade sends it:
// the one-row compare-and-swap on hash, then the history row.
func rotateAsBefore0090(s *Store, id, old, next string, history bool) error {
	ctx := context.Background()
	at := ms(time.Now())
	res, err := s.w.ExecContext(ctx, `UPDATE refresh_tokens
		SET prev_hash = hash, hash = $3, rotated_at = $4, last_used_at = $4, expires_at = $5, generation = generation + 1
		WHERE id = $1 AND hash = $2 AND revoked_at IS NULL`, id, benchHash(old), benchHash(next), at, at+3_600_000)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%d rows rotated", n)
	}
	if history {
		_, err = s.w.ExecContext(ctx, `INSERT INTO refresh_token_history (hash, token_id, superseded_at) VALUES ($1, $2, $3)`,
			benchHash(old), id, at)
	}
	return err
}

// TestEarlierCodeCannotReviveAFirstValue: during a rolling upgrade a node
// on the code before migration 0090 takes hash for the current hash. For a
// family a new node rotated, hash is the family's first value, rotated
// away: that node's rotation of a replay of it is refused by the schema
// (the replay gets an error, not a token) and the family is unchanged,
// while families the new code never rotated still rotate there.
func TestEarlierCodeCannotReviveAFirstValue(t *testing.T) {
	onEachBackend(t, testEarlierCodeCannotReviveAFirstValue)
}

func testEarlierCodeCannotReviveAFirstValue(t *testing.T, s *Store) {
	ctx := context.Background()
	benchSeed(t, s, 2)
	at := time.Now()
	if _, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "tok-0", OldHash: benchHash("sec-0"), NewHash: benchHash("a1"),
		At: at, ExpiresAt: at.Add(time.Hour), NoHistory: true}); err != nil {
		t.Fatal(err)
	}
	want, err := s.GetRefreshToken(ctx, "tok-0")
	if err != nil {
		t.Fatal(err)
	}
	if err := rotateAsBefore0090(s, "tok-0", "sec-0", "stolen", false); err == nil ||
		!strings.Contains(err.Error(), "cur_hash is set (migration 0090)") {
		t.Fatalf("the earlier code's rotation of a replay of the family's first value: %v; want the trigger's refusal", err)
	}
	got, err := s.GetRefreshToken(ctx, "tok-0")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Hash, want.Hash) || !bytes.Equal(got.PrevHash, want.PrevHash) || got.Generation != want.Generation {
		t.Fatalf("the family changed: %+v, was %+v", got, want)
	}
	if err := rotateAsBefore0090(s, "tok-1", "sec-1", "b1", false); err != nil {
		t.Fatalf("the earlier code's rotation of a family never rotated since: %v", err)
	}
}

// reopenableTestStore opens the same test database of dialect more than
// once (SQLite file or PostgreSQL schema); done closes one store, the
// database is removed at the test's end.
func reopenableTestStore(t *testing.T, dialect string) (open func() *Store, done func(*Store)) {
	t.Helper()
	ctx := context.Background()
	url := filepath.Join(t.TempDir(), "latchkey.db")
	opts := Options{}
	if dialect == DialectPostgres {
		schemaURL, drop, err := NewTestSchema(ctx, postgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := drop(); err != nil {
				t.Error(err)
			}
		})
		url, opts = schemaURL, Options{MaxOpenConns: 8}
	}
	open = func() *Store {
		t.Helper()
		s, err := Open(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	done = func(s *Store) {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	return open, done
}

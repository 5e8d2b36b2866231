package sqlstorage

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestSessionReadsBatch: refresh reads that queue while one batch runs are
// read together (on PostgreSQL as one statement, on SQLite in one read
// transaction), and each member gets its own family, user, registrations
// (in application id order) and prevention flag as at its own instant,
// exactly what the one-family read returns; an unknown family is
// ErrNotFound without disturbing the others.
func TestSessionReadsBatch(t *testing.T) { onEachBackend(t, testSessionReadsBatch) }

func testSessionReadsBatch(t *testing.T, s *Store) {
	if s.reads == nil {
		t.Fatalf("a %s store has no read batcher", s.dialect)
	}
	ctx := context.Background()
	now := time.Now()
	at := now.UnixMilli()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	for _, app := range []string{"b", "a"} {
		must(s.CreateApplication(ctx, storage.Application{ID: app, TenantID: "t", Active: true}))
	}
	for _, u := range []string{"two-regs", "no-regs", "locked"} {
		must(s.CreateUser(ctx, storage.User{ID: u, TenantID: "t", Email: u + "@example.com", Active: true}))
		must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-" + u, TenantID: "t", UserID: u, ApplicationID: "a",
			Hash: benchHash("sec-" + u), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	}
	for _, app := range []string{"b", "a"} {
		must(s.CreateRegistration(ctx, storage.Registration{ID: "reg-" + app, UserID: "two-regs", ApplicationID: app, Roles: []string{"r-" + app}}))
	}
	must(s.CreateRegistration(ctx, storage.Registration{ID: "reg-locked", UserID: "locked", ApplicationID: "a"}))
	_, err := s.TakeUserAction(ctx, storage.UserActionLog{ID: "lock", TenantID: "t", ActioneeUserID: "locked", UserActionID: "x",
		Name: "Lock", ApplicationIDs: []string{}, Expiry: at + 3_600_000, InsertInstant: at, PreventLogin: true, Temporal: true}, nil)
	must(err)

	// Hold the first read: the batcher waits on it while the others queue.
	release := holdReads(t, s)
	base := s.reads.started.Load()
	type res struct {
		sess storage.RefreshSession
		err  error
	}
	read := func(id string, at int64) <-chan res {
		out := make(chan res, 1)
		go func() {
			sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: id, At: at})
			out <- res{sess, err}
		}()
		return out
	}
	first := read("tok-no-regs", at)
	waitFor(t, "the first read to start", func() bool { return s.reads.started.Load() == base+1 })
	keys := []storage.SessionKey{
		{ID: "tok-two-regs", At: at}, {ID: "tok-locked", At: at}, {ID: "tok-none", At: at},
		{ID: "tok-locked", At: at + 7_200_000}, {ID: "tok-two-regs", At: at},
	}
	queued := make([]<-chan res, len(keys))
	for i, k := range keys {
		queued[i] = read(k.ID, k.At)
	}
	waitFor(t, "five reads to queue", func() bool { return len(s.reads.in) == len(keys) })
	release()

	got := []res{<-first}
	for _, ch := range queued {
		got = append(got, <-ch)
	}
	if n, g := s.reads.started.Load()-base, s.reads.grouped.Load(); n != 2 || g != 1 {
		t.Fatalf("%d batches, %d of them grouped; want 2 and 1 (the queued reads in one)", n, g)
	}
	// Each answer is what the read of that family alone returns.
	for i, k := range append([]storage.SessionKey{{ID: "tok-no-regs", At: at}}, keys...) {
		want, wantErr := s.FindRefreshSession(ctx, k)
		if !errors.Is(got[i].err, wantErr) || !reflect.DeepEqual(got[i].sess, want) {
			t.Errorf("%s at %d: batched %+v, %v; alone %+v, %v", k.ID, k.At, got[i].sess, got[i].err, want, wantErr)
		}
	}
	// And those are right: spot-check what a refresh relies on.
	if r := got[1].sess.User.Registrations; len(r) != 2 || r[0].ApplicationID != "a" || r[1].ApplicationID != "b" || r[0].UserID != "two-regs" {
		t.Errorf("two-regs: registrations %+v, want a then b", r)
	}
	if got[0].sess.User.ID != "no-regs" || len(got[0].sess.User.Registrations) != 0 {
		t.Errorf("no-regs: %+v", got[0].sess.User)
	}
	if !got[2].sess.MaybePrevented || got[4].sess.MaybePrevented || got[2].sess.Token.ID != "tok-locked" {
		t.Errorf("locked: prevented %v in force, %v after expiry; want true, false", got[2].sess.MaybePrevented, got[4].sess.MaybePrevented)
	}
	if !errors.Is(got[3].err, storage.ErrNotFound) {
		t.Errorf("unknown family: %v, want ErrNotFound", got[3].err)
	}
}

// TestSessionReadsInOneConnectionPool: with a pool of one connection
// (--database-max-conns 1) the read batcher keeps none for itself, so a
// refresh read does not leave every other query waiting for ever.
func TestSessionReadsInOneConnectionPool(t *testing.T) {
	ctx := context.Background()
	schemaDSN := postgresSchema(t)
	s, err := Open(ctx, schemaDSN, Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	benchSeed(t, s, 1)
	if _, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-0", At: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.GetRefreshToken(wait, "tok-0"); err != nil {
		t.Fatalf("a query after a refresh read, in a one-connection pool: %v", err)
	}
}

// TestSessionReadsAfterTheirConnectionDied: when the server ends the read
// batcher's own connection (a restart, an administrator), the next refresh
// read still succeeds: the batcher drops that connection and reads on the
// pool.
func TestSessionReadsAfterTheirConnectionDied(t *testing.T) {
	s := openTestOn(t, DialectPostgres)
	benchSeed(t, s, 1)
	ctx := context.Background()
	k := storage.SessionKey{ID: "tok-0", At: time.Now().UnixMilli()}
	if _, err := s.FindRefreshSession(ctx, k); err != nil {
		t.Fatal(err)
	}
	var ended int
	if err := s.w.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE '%WITH ORDINALITY%'`).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	if ended < 1 { // other packages' tests may share the database
		t.Fatalf("ended %d connections, want the batcher's one", ended)
	}
	for i := range 3 {
		if got, err := s.FindRefreshSession(ctx, k); err != nil || got.Token.ID != "tok-0" {
			t.Fatalf("read %d after the batcher's connection died: %+v, %v", i, got.Token, err)
		}
	}
}

// TestSessionReadsGiveUpWithTheirCallers: a batch stuck at the server (here
// on a lock) is ended once every member's caller has given up, so later
// reads are not held behind it, and Close returns while the lock is still
// held. Without it the statement waited on the lock with no deadline and
// Close waited for it.
func TestSessionReadsGiveUpWithTheirCallers(t *testing.T) {
	s := openTestOn(t, DialectPostgres)
	ctx := context.Background()
	now := time.Now()
	must := mustNil(t)
	sessionsOf(t, s, now, "u")

	lock, err := s.w.BeginTx(ctx, nil)
	must(err)
	_, err = lock.ExecContext(ctx, `LOCK TABLE registrations IN ACCESS EXCLUSIVE MODE`)
	must(err)
	defer func() { _ = lock.Rollback() }()

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := s.FindRefreshSession(short, storage.SessionKey{ID: "tok-u", At: now.UnixMilli()}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read behind the lock: %v, want its deadline", err)
	}
	// The abandoned statement is cancelled at the server: nothing of the
	// batcher's still waits on the lock.
	waitFor(t, "the abandoned statement to end", func() bool {
		var n int
		err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND query LIKE '%WITH ORDINALITY%' AND pid <> pg_backend_pid()`).Scan(&n)
		return err == nil && n == 0
	})
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return while a lock held the batcher's last statement")
	}
}

// TestSessionReadsABadDocumentFailsOnlyItsRead: a stored user document that
// does not decode fails the read of that family only; the other reads of
// the same batch get their sessions, as their own reads would have.
func TestSessionReadsABadDocumentFailsOnlyItsRead(t *testing.T) {
	onEachBackend(t, testSessionReadsABadDocumentFailsOnlyItsRead)
}

func testSessionReadsABadDocumentFailsOnlyItsRead(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Now()
	at := now.UnixMilli()
	sessionsOf(t, s, now, "first", "bad", "good")
	if _, err := s.w.ExecContext(ctx, `UPDATE users SET doc = '{"id": 7' WHERE id = 'bad'`); err != nil {
		t.Fatalf("storing a malformed user document: %v", err)
	}
	release := holdReads(t, s)
	base, grouped := s.reads.started.Load(), s.reads.grouped.Load()
	type res struct {
		sess storage.RefreshSession
		err  error
	}
	read := func(id string) <-chan res {
		out := make(chan res, 1)
		go func() {
			sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: id, At: at})
			out <- res{sess, err}
		}()
		return out
	}
	first := read("tok-first")
	waitFor(t, "the first read to start", func() bool { return s.reads.started.Load() == base+1 })
	// In this order: the bad document first, so that the good one is read
	// after the failure.
	bad := read("tok-bad")
	waitFor(t, "the bad read to queue", func() bool { return len(s.reads.in) == 1 })
	good := read("tok-good")
	waitFor(t, "two reads to queue", func() bool { return len(s.reads.in) == 2 })
	release()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	rb, rg := <-bad, <-good
	if g := s.reads.grouped.Load() - grouped; g != 1 {
		t.Fatalf("%d grouped batches, want the two queued reads in one", g)
	}
	if rb.err == nil {
		t.Errorf("the malformed user's read succeeded: %+v", rb.sess.User)
	}
	if rg.err != nil || rg.sess.User.ID != "good" {
		t.Errorf("the other read of the batch: %+v, %v; want its session", rg.sess.User, rg.err)
	}
}

// holdReads makes the read batcher's next batch wait until release is
// called (or the test ends): on PostgreSQL behind a lock on registrations,
// on SQLite by holding the batcher's own connection (a read is run on it
// first, so that it has one), at which its BEGIN waits.
func holdReads(t *testing.T, s *Store) (release func()) {
	t.Helper()
	ctx, must := context.Background(), mustNil(t)
	if s.dialect == DialectPostgres {
		lock, err := s.w.BeginTx(ctx, nil)
		must(err)
		_, err = lock.ExecContext(ctx, `LOCK TABLE registrations IN ACCESS EXCLUSIVE MODE`)
		must(err)
		release = sync.OnceFunc(func() { must(lock.Rollback()) })
		t.Cleanup(release)
		return release
	}
	if _, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "no such family"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a read to give the batcher its connection: %v", err)
	}
	// A member is answered before its batch's COMMIT: wait for the batch
	// to end, after which the loop is idle and its connection free.
	waitFor(t, "the read's batch to end", func() bool { return s.reads.ended.Load() == s.reads.started.Load() })
	held, free := make(chan struct{}), make(chan struct{})
	conn := s.reads.conn
	go func() { _ = conn.Raw(func(any) error { close(held); <-free; return nil }) }()
	<-held
	release = sync.OnceFunc(func() { close(free) })
	t.Cleanup(release)
	return release
}

// TestSessionReadsEndedByClose: a read whose batch is running when the
// store closes is answered errStoreClosed (storage.ErrUnavailable), not
// the bare "context canceled" of the batch's context, although its own
// caller's context is fine.
func TestSessionReadsEndedByClose(t *testing.T) { onEachBackend(t, testSessionReadsEndedByClose) }

func testSessionReadsEndedByClose(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Now()
	sessionsOf(t, s, now, "u")
	release := holdReads(t, s)
	base := s.reads.started.Load()
	out := make(chan error, 1)
	go func() {
		_, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-u", At: now.UnixMilli()})
		out <- err
	}()
	waitFor(t, "the read's batch to start", func() bool { return s.reads.started.Load() == base+1 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	waitFor(t, "the store to start closing", func() bool { return s.reads.closing.Err() != nil })
	if s.dialect == DialectSQLite {
		release() // the held connection does not follow contexts: let the batch see its own
	}
	select {
	case err := <-out:
		if !errors.Is(err, errStoreClosed) || !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("read ended by Close: %v, want errStoreClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read ended by Close was not answered")
	}
	release()
	<-closed
}

// mustNil fails the test on a non-nil error.
func mustNil(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sessionsOf stores tenant t, application a, and for each user u a refresh
// token family tok-u issued at now.
func sessionsOf(t *testing.T, s *Store, now time.Time, users ...string) {
	t.Helper()
	ctx, must := context.Background(), mustNil(t)
	must(s.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	must(s.CreateApplication(ctx, storage.Application{ID: "a", TenantID: "t", Active: true}))
	for _, u := range users {
		must(s.CreateUser(ctx, storage.User{ID: u, TenantID: "t", Email: u + "@example.com", Active: true}))
		must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-" + u, TenantID: "t", UserID: u, ApplicationID: "a",
			Hash: benchHash("sec-" + u), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	}
}

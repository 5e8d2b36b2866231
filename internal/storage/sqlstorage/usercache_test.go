package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// openCachedSQLite opens a SQLite store whose refresh reads are batched,
// and so go through the user cache, with user u registered to application
// a (roles r0) and holding family tok-u.
func openCachedSQLite(t *testing.T, now time.Time) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.reads == nil || s.reads.users == nil {
		t.Fatal("the default SQLite store does not batch its refresh reads through the user cache")
	}
	sessionsOf(t, s, now, "u")
	mustNil(t)(s.CreateRegistration(context.Background(), storage.Registration{ID: "reg-u-a", ApplicationID: "a", UserID: "u", Roles: []string{"r0"}}))
	return s
}

// anotherConnection opens the SQLite file at path as another process
// would: its own connection, SQLite's defaults (foreign keys off), the
// store's triggers; closed when the test ends.
func anotherConnection(t *testing.T, path string) *sql.DB {
	t.Helper()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	other.SetMaxOpenConns(1)
	if _, err := other.Exec(`PRAGMA busy_timeout = 10000`); err != nil {
		t.Fatal(err)
	}
	return other
}

// readSession reads family tok-u and reports whether the cache answered
// the user and registrations (a hit) or the tables did.
func readSession(t *testing.T, s *Store, now time.Time) (storage.RefreshSession, bool, error) {
	t.Helper()
	hits := s.reads.users.hits.Load()
	sess, err := s.FindRefreshSession(context.Background(), storage.SessionKey{ID: "tok-u", At: now.UnixMilli()})
	return sess, s.reads.users.hits.Load() > hits, err
}

func regSummary(u storage.User) string {
	var out []string
	for _, r := range u.Registrations {
		out = append(out, r.ApplicationID+":"+strings.Join(r.Roles, "+"))
	}
	return strings.Join(out, ",")
}

// TestRefreshReadsSeeEveryUserChangeAtOnce: the refresh read keeps users
// and registrations between batches (usercache.go), and every kind of
// change to them is seen by the next read: the user's document, a
// registration's roles, a registration added and deleted, an
// application's delete cascading to its registrations, a lock, and a
// change written by another connection to the file (another process: it
// goes through the same triggers). After each change the read is a miss
// and the one after it a hit, so the cache was in use throughout.
func TestRefreshReadsSeeEveryUserChangeAtOnce(t *testing.T) {
	ctx, must := context.Background(), mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	must(s.CreateApplication(ctx, storage.Application{ID: "b", TenantID: "t", Active: true}))

	other := anotherConnection(t, s.path)
	var err error

	check := func(step, wantFirst, wantRegs string, wantActive, wantPrevented bool) {
		t.Helper()
		for i, wantHit := range []bool{false, true} {
			sess, hit, err := readSession(t, s, now)
			if err != nil {
				t.Fatalf("%s: read %d: %v", step, i+1, err)
			}
			if hit != wantHit {
				t.Errorf("%s: read %d: cache hit %v, want %v", step, i+1, hit, wantHit)
			}
			if sess.User.FirstName != wantFirst || regSummary(sess.User) != wantRegs || sess.User.Active != wantActive || sess.MaybePrevented != wantPrevented {
				t.Fatalf("%s: read %d: firstName %q, registrations %q, active %v, prevented %v; want %q, %q, %v, %v",
					step, i+1, sess.User.FirstName, regSummary(sess.User), sess.User.Active, sess.MaybePrevented,
					wantFirst, wantRegs, wantActive, wantPrevented)
			}
			if sess.Token.ID != "tok-u" {
				t.Fatalf("%s: read %d: token %q", step, i+1, sess.Token.ID)
			}
		}
	}
	check("first reads", "", "a:r0", true, false)

	u, err := s.GetUser(ctx, "u")
	must(err)
	u.FirstName = "Ada"
	must(s.UpdateUser(ctx, u))
	check("user updated", "Ada", "a:r0", true, false)

	r, err := s.GetRegistration(ctx, "u", "a")
	must(err)
	r.Roles = []string{"r1", "r2"}
	must(s.UpdateRegistration(ctx, r))
	check("registration's roles updated", "Ada", "a:r1+r2", true, false)

	must(s.CreateRegistration(ctx, storage.Registration{ID: "reg-u-b", ApplicationID: "b", UserID: "u", Roles: []string{"x"}}))
	check("registration added", "Ada", "a:r1+r2,b:x", true, false)

	must(s.DeleteRegistration(ctx, "u", "a"))
	check("registration deleted", "Ada", "b:x", true, false)

	must(s.DeleteApplication(ctx, "b"))
	check("application deleted (its registrations cascade)", "Ada", "", true, false)

	u, err = s.GetUser(ctx, "u")
	must(err)
	u.Active = false
	must(s.UpdateUser(ctx, u))
	check("user deactivated", "Ada", "", false, false)

	_, err = other.Exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Grace', '$.active', json('true')) WHERE id = 'u'`)
	must(err)
	check("user changed by another connection", "Grace", "", true, false)

	_, err = other.Exec(`INSERT INTO registrations (id, user_id, application_id, doc) VALUES ('reg-u-a2', 'u', 'a', '{"id":"reg-u-a2","applicationId":"a","roles":["y"],"verified":false,"insertInstant":0,"lastUpdateInstant":0}')`)
	must(err)
	check("registration added by another connection", "Grace", "a:y", true, false)

	// A lock is not a change of the user's row: the read still takes the
	// user from the cache, and reads the lock from its table.
	_, err = other.Exec(`INSERT INTO user_action_logs (id, user_id, tenant_id, prevent_login, canceled, expiry, insert_instant, doc)
		VALUES ('lock-u', 'u', 't', 1, 0, $1, $2, '{}')`, now.Add(time.Hour).UnixMilli(), now.UnixMilli())
	must(err)
	if sess, hit, err := readSession(t, s, now); err != nil || !hit || !sess.MaybePrevented || sess.User.FirstName != "Grace" {
		t.Fatalf("user locked: prevented %v, hit %v, firstName %q, %v; want a hit that reads the lock", sess.MaybePrevented, hit, sess.User.FirstName, err)
	}

	// REPLACE deletes the row it replaces without its delete trigger
	// (recursive_triggers is off): by id, and a registration's id taken
	// from another user. The BEFORE INSERT triggers log both.
	_, err = other.Exec(`REPLACE INTO users (id, tenant_id, doc) VALUES ('u', 't', '{"id":"u","tenantId":"t","active":true,"firstName":"Replaced"}')`)
	must(err)
	check("user replaced by another connection", "Replaced", "a:y", true, true)
	must(s.CreateUser(ctx, storage.User{ID: "w", TenantID: "t", Active: true}))
	_, err = other.Exec(`REPLACE INTO registrations (id, user_id, application_id, doc) VALUES ('reg-u-a2', 'w', 'a', '{"id":"reg-u-a2","applicationId":"a","roles":["w"]}')`)
	must(err)
	check("u's registration replaced by w's", "Replaced", "", true, true)
	// A registration's id changed to one of u's (UPDATE OR REPLACE deletes
	// u's, registrations_key_changed logs it).
	_, err = other.Exec(`INSERT INTO registrations (id, user_id, application_id, doc) VALUES ('reg-u-a3', 'u', 'a', '{"id":"reg-u-a3","applicationId":"a","roles":["z"]}')`)
	must(err)
	check("registration added again", "Replaced", "a:z", true, true)
	must(s.CreateApplication(ctx, storage.Application{ID: "c", TenantID: "t", Active: true}))
	_, err = other.Exec(`INSERT INTO registrations (id, user_id, application_id, doc) VALUES ('reg-w-c', 'w', 'c', '{"id":"reg-w-c","applicationId":"c","roles":[]}')`)
	must(err)
	_, err = other.Exec(`UPDATE OR REPLACE registrations SET id = 'reg-u-a3' WHERE id = 'reg-w-c'`)
	must(err)
	check("u's registration replaced by another's changed id", "Replaced", "", true, true)
	_, err = other.Exec(`DELETE FROM user_action_logs`)
	must(err)

	// Another user's row REPLACEd onto u's email or username deletes u's
	// row (users_changed_insert logs it), as does another user's key
	// changed onto u's (users_key_changed).
	_, err = other.Exec(`UPDATE users SET email_lower = 'u@example.com', username_lower = 'uname' WHERE id = 'u'`)
	must(err)
	check("u's email and username set", "Replaced", "", true, false)
	_, err = other.Exec(`REPLACE INTO users (id, tenant_id, email_lower, doc) VALUES ('x', 't', 'u@example.com', '{"id":"x","tenantId":"t","active":true}')`)
	must(err)
	if _, _, err := readSession(t, s, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("u's row replaced by x's, by email: %v, want ErrNotFound (the user is gone)", err)
	}
	_, err = other.Exec(`INSERT INTO users (id, tenant_id, username_lower, doc) VALUES ('u', 't', 'uname', '{"id":"u","tenantId":"t","active":true,"firstName":"Back"}')`)
	must(err)
	check("u back", "Back", "", true, false)
	_, err = other.Exec(`UPDATE OR REPLACE users SET username_lower = 'uname' WHERE id = 'x'`)
	must(err)
	if _, _, err := readSession(t, s, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("u's row replaced by x's username change: %v, want ErrNotFound (the user is gone)", err)
	}
	_, err = other.Exec(`DELETE FROM users WHERE id = 'x'`)
	must(err)
	_, err = other.Exec(`INSERT INTO users (id, tenant_id, doc) VALUES ('u', 't', '{"id":"u","tenantId":"t","active":true}')`)
	must(err)

	// A user deleted and created again with its id (and a new session) is
	// read from the tables.
	must(s.DeleteUser(ctx, "u"))
	if _, _, err := readSession(t, s, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after the user's delete: %v, want ErrNotFound", err)
	}
	must(s.CreateUser(ctx, storage.User{ID: "u", TenantID: "t", FirstName: "Again", Active: true}))
	must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-u", TenantID: "t", UserID: "u", ApplicationID: "a",
		Hash: benchHash("sec-u2"), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	check("user created again", "Again", "", true, false)
}

// TestUserCacheForgetsEverythingWhenItFellBehindTheLog: a batch that finds
// a gap in the log after the entry it applied last (entries trimmed away,
// one deleted by hand, the log emptied), or more entries than it applies
// one by one, forgets every user, so a change it can no longer read from
// the log is seen. The log trims itself (a trigger) and never hands a
// number out twice.
func TestUserCacheForgetsEverythingWhenItFellBehindTheLog(t *testing.T) {
	ctx, must := context.Background(), mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	must(s.CreateUser(ctx, storage.User{ID: "v", TenantID: "t", Active: true}))
	other := anotherConnection(t, s.path)
	exec := func(q string) {
		t.Helper()
		if _, err := other.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	fill := func(step string) {
		t.Helper()
		for range 2 {
			if _, _, err := readSession(t, s, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, hit, err := readSession(t, s, now); err != nil || !hit {
			t.Fatalf("%s: the cache does not hold u: hit %v, %v", step, hit, err)
		}
	}
	expect := func(step, first string) {
		t.Helper()
		resets := s.reads.users.resets.Load()
		sess, hit, err := readSession(t, s, now)
		if err != nil || hit || sess.User.FirstName != first {
			t.Fatalf("%s: firstName %q, hit %v, %v; want %q from the tables", step, sess.User.FirstName, hit, err, first)
		}
		if s.reads.users.resets.Load() != resets+1 {
			t.Fatalf("%s: the cache was not reset", step)
		}
	}

	fill("trimmed")
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'One') WHERE id = 'u'`)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'V') WHERE id = 'v'`)
	exec(`DELETE FROM user_changes WHERE seq < (SELECT max(seq) FROM user_changes)`) // u's entry and the last one read
	expect("the entries since the last batch trimmed away", "One")

	fill("emptied")
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Two') WHERE id = 'u'`)
	exec(`DELETE FROM user_changes`)
	expect("the log emptied", "Two")

	fill("far behind")
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Three') WHERE id = 'u'`)
	var before int64
	must(other.QueryRow(`SELECT max(seq) FROM user_changes`).Scan(&before))
	const n = 70000
	exec(fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
		INSERT INTO user_changes (user_id) SELECT 'nobody' FROM c`, n))
	expect("70,000 entries behind (the entry applied last trimmed away)", "Three")
	var last, kept int64
	must(other.QueryRow(`SELECT max(seq), count(*) FROM user_changes`).Scan(&last, &kept))
	if last != before+n {
		t.Errorf("the log's last number is %d, want %d: a number was handed out twice or skipped", last, before+n)
	}
	if kept < 65536 || kept > 65536+4096 {
		t.Errorf("the log keeps %d entries, want 65,536 to 69,632: it does not trim itself", kept)
	}

	fill("more than a batch applies")
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Five') WHERE id = 'u'`)
	exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4096)
		INSERT INTO user_changes (user_id) SELECT 'nobody' FROM c`)
	expect("4,097 entries behind, the entry applied last kept", "Five")

	fill("an unread entry deleted")
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Six') WHERE id = 'u'`)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'V2') WHERE id = 'v'`)
	exec(`DELETE FROM user_changes WHERE seq = (SELECT max(seq) FROM user_changes WHERE user_id = 'u')`)
	expect("u's unread entry deleted by hand, v's after it kept", "Six")

	// As many entries as a batch applies one by one: no reset.
	fill("a batch's worth behind")
	resets := s.reads.users.resets.Load()
	exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4095)
		INSERT INTO user_changes (user_id) SELECT 'nobody' FROM c`)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Four') WHERE id = 'u'`)
	sess, hit, err := readSession(t, s, now)
	if err != nil || hit || sess.User.FirstName != "Four" || s.reads.users.resets.Load() != resets {
		t.Fatalf("4,096 entries behind: firstName %q, hit %v, resets %d→%d, %v", sess.User.FirstName, hit, resets, s.reads.users.resets.Load(), err)
	}
}

// TestUserCacheIsBounded: the cache keeps at most its bound of users, and
// reads of more users than that are still right.
func TestUserCacheIsBounded(t *testing.T) {
	ctx, must := context.Background(), mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	s.reads.users.max = 3 // before the loop reads it: set before the next read queues
	big := strings.Repeat("b", userCacheMaxUser)
	must(s.CreateUser(ctx, storage.User{ID: "big", TenantID: "t", FirstName: big, Active: true}))
	must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-big", TenantID: "t", UserID: "big", ApplicationID: "a",
		Hash: benchHash("sec-big"), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	for range 2 {
		hits := s.reads.users.hits.Load()
		sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-big", At: now.UnixMilli()})
		if err != nil || sess.User.FirstName != big || s.reads.users.hits.Load() != hits {
			t.Fatalf("a user over %d bytes: %d bytes read, %v, hit %v; want it read from the tables, never kept",
				userCacheMaxUser, len(sess.User.FirstName), err, s.reads.users.hits.Load() != hits)
		}
	}
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("w%d", i)
		ids = append(ids, id)
		must(s.CreateUser(ctx, storage.User{ID: id, TenantID: "t", FirstName: id, Active: true}))
		must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-" + id, TenantID: "t", UserID: id, ApplicationID: "a",
			Hash: benchHash("sec-" + id), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	}
	for range 3 {
		for _, id := range ids {
			sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-" + id, At: now.UnixMilli()})
			if err != nil || sess.User.FirstName != id {
				t.Fatalf("%s: firstName %q, %v", id, sess.User.FirstName, err)
			}
		}
	}
	// The loop is idle after the last answer; its map is read after the
	// store closed, when nothing else touches it.
	s.Close()
	if n := len(s.reads.users.entries); n > 3 || n == 0 {
		t.Fatalf("the cache holds %d users, want 1 to 3", n)
	}
	var sum int64
	for _, u := range s.reads.users.entries {
		sum += u.size()
	}
	if c := s.reads.users; sum != c.bytes.Load() || int64(len(c.entries)) != c.users.Load() {
		t.Fatalf("the cache counts %d users and %d bytes, holds %d and %d", c.users.Load(), c.bytes.Load(), len(c.entries), sum)
	}
}

// TestUserCacheKeepsWithinItsBytes: past its byte bound the cache drops
// users for new ones.
func TestUserCacheKeepsWithinItsBytes(t *testing.T) {
	ctx, must := context.Background(), mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	s.reads.users.maxBytes = 2500 // each user below is about 1,100 bytes
	for i := range 6 {
		id := fmt.Sprintf("m%d", i)
		must(s.CreateUser(ctx, storage.User{ID: id, TenantID: "t", FirstName: strings.Repeat("m", 1000), Active: true}))
		must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "tok-" + id, TenantID: "t", UserID: id, ApplicationID: "a",
			Hash: benchHash("sec-" + id), StartInstant: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
		if _, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-" + id, At: now.UnixMilli()}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if c := s.reads.users; c.bytes.Load() > 2500 || len(c.entries) != 2 {
		t.Fatalf("the cache holds %d users, %d bytes; want 2 within 2,500 bytes", len(c.entries), c.bytes.Load())
	}
}

// TestUserCacheIsOffWithoutItsTriggers: a database whose log triggers are
// missing (a later migration rebuilding users drops them, or a hand) is
// read without the cache, so a change no trigger logs is still seen; so is
// one without the log's table at all.
func TestUserCacheIsOffWithoutItsTriggers(t *testing.T) {
	ctx, must := context.Background(), mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	path := filepath.Join(t.TempDir(), "l.db")
	s, err := Open(ctx, path, Options{})
	must(err)
	var parts int
	must(s.w.QueryRowContext(ctx, userChangesSchemaSQL).Scan(&parts))
	if parts != userChangesSchemaParts {
		t.Fatalf("after the migrations the log has %d of its %d parts", parts, userChangesSchemaParts)
	}
	sessionsOf(t, s, now, "u")
	must(s.Close())

	other := anotherConnection(t, path)
	_, err = other.Exec(`DROP TRIGGER users_changed_update`)
	must(err)

	s, err = Open(ctx, path, Options{})
	must(err)
	if st, ok := s.UserCacheStats(); !ok || !st.Off {
		t.Fatalf("before any read, the metrics' view says the cache is on: %+v, %v", st, ok)
	}
	for i, name := range []string{"One", "Two", "Three"} {
		_, err = other.Exec(`UPDATE users SET doc = json_set(doc, '$.firstName', $1) WHERE id = 'u'`, name)
		must(err)
		sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-u", At: now.UnixMilli()})
		if err != nil || sess.User.FirstName != name {
			t.Fatalf("read %d: firstName %q, %v; want %q", i+1, sess.User.FirstName, err, name)
		}
	}
	if !s.reads.users.off.Load() || s.reads.users.hits.Load() != 0 || len(s.reads.users.entries) != 0 {
		t.Fatalf("the cache is on without its triggers: off %v, %d hits, %d kept", s.reads.users.off.Load(), s.reads.users.hits.Load(), len(s.reads.users.entries))
	}
	must(s.Close())

	// Without the log's table at all, a store opened on the file reads
	// sessions (the log read, which names the table, is never prepared).
	for _, q := range []string{`DROP TABLE user_changes`, `DROP TRIGGER users_changed_insert`, `DROP TRIGGER users_key_changed`,
		`DROP TRIGGER users_changed_delete`, `DROP TRIGGER registrations_changed_insert`, `DROP TRIGGER registrations_key_changed`,
		`DROP TRIGGER registrations_changed_update`, `DROP TRIGGER registrations_changed_delete`} {
		_, err = other.Exec(q)
		must(err)
	}
	s, err = Open(ctx, path, Options{})
	must(err)
	defer s.Close()
	for i, name := range []string{"Four", "Five"} {
		_, err = other.Exec(`UPDATE users SET doc = json_set(doc, '$.firstName', $1) WHERE id = 'u'`, name)
		must(err)
		sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-u", At: now.UnixMilli()})
		if err != nil || sess.User.FirstName != name {
			t.Fatalf("without the log's table, read %d: firstName %q, %v; want %q", i+1, sess.User.FirstName, err, name)
		}
	}
	if st, _ := s.UserCacheStats(); !st.Off || st.Users != 0 {
		t.Fatalf("without the log's table: %+v", st)
	}
}

// TestUserCacheFollowsItsTriggersWhileRunning: a trigger dropped while
// the server runs (by another process, as an operator or a careless
// migration would) turns the cache off at the next batch, before that
// batch reads: a change the missing trigger did not log is never served
// stale. Created again, the cache starts over and serves hits again. The
// metrics' view (UserCacheStats) follows.
func TestUserCacheFollowsItsTriggersWhileRunning(t *testing.T) {
	must := mustNil(t)
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	other := anotherConnection(t, s.path)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := other.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	read := func(step, want string, wantHit bool) {
		t.Helper()
		sess, hit, err := readSession(t, s, now)
		if err != nil || sess.User.FirstName != want || hit != wantHit {
			t.Fatalf("%s: firstName %q, hit %v, %v; want %q, hit %v", step, sess.User.FirstName, hit, err, want, wantHit)
		}
	}
	read("first read", "", false)
	read("second read", "", true)
	if st, ok := s.UserCacheStats(); !ok || st.Off || st.Users != 1 || st.Hits < 1 || st.Bytes <= 0 {
		t.Fatalf("stats with the user kept: %+v, %v", st, ok)
	}

	var trigger string
	must(other.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'users_changed_update'`).Scan(&trigger))
	exec(`DROP TRIGGER users_changed_update`)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Unlogged') WHERE id = 'u'`)
	read("a trigger dropped and the user changed", "Unlogged", false)
	read("while the trigger is missing", "Unlogged", false)
	if st, _ := s.UserCacheStats(); !st.Off || st.Users != 0 {
		t.Fatalf("stats without the trigger: %+v", st)
	}

	exec(trigger)
	read("the trigger created again", "Unlogged", false)
	read("and read again", "Unlogged", true)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Logged') WHERE id = 'u'`)
	read("a change logged again", "Logged", false)
	if st, _ := s.UserCacheStats(); st.Off || st.Users != 1 {
		t.Fatalf("stats with the trigger back: %+v", st)
	}

	// Dropped, a change it does not log, and created again, all between
	// two reads: the cache never saw it missing, but the schema moved.
	read("kept again", "Logged", true)
	exec(`DROP TRIGGER users_changed_update`)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Unlogged between reads') WHERE id = 'u'`)
	exec(trigger)
	read("a trigger dropped and created again between reads", "Unlogged between reads", false)
	read("kept after that", "Unlogged between reads", true)

	// The log's table and all its triggers dropped: refreshes go on, from
	// the tables; created again, the cache starts over.
	var parts []string
	rows, err := other.Query(`SELECT sql FROM sqlite_master WHERE name = 'user_changes' OR (type = 'trigger' AND sql LIKE '%user_changes%') ORDER BY type`) // the table first
	must(err)
	for rows.Next() {
		var q string
		must(rows.Scan(&q))
		parts = append(parts, q)
	}
	must(rows.Err())
	rows.Close()
	if len(parts) != userChangesSchemaParts+1 { // and user_changes_trim
		t.Fatalf("found %d parts of the log: %q", len(parts), parts)
	}
	exec(`DROP TABLE user_changes`) // its triggers and user_changes_trim go with it
	for _, q := range parts[1:] {
		if strings.Contains(q, "ON users") || strings.Contains(q, "ON registrations") {
			name := strings.Fields(q)[2]
			exec(`DROP TRIGGER IF EXISTS ` + name)
		}
	}
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'No log') WHERE id = 'u'`)
	read("the log's table dropped", "No log", false)
	read("still without it", "No log", false)
	if st, _ := s.UserCacheStats(); !st.Off || st.Users != 0 {
		t.Fatalf("stats without the log's table: %+v", st)
	}
	for _, q := range parts {
		exec(q)
	}
	read("the log created again", "No log", false)
	read("kept with the log back", "No log", true)
	exec(`UPDATE users SET doc = json_set(doc, '$.firstName', 'Logged again') WHERE id = 'u'`)
	read("a change in the new log", "Logged again", false)
}

// TestRefreshReadsSeeRoleChangesUnderLoad: while readers read a session
// in batches, a writer changes the user's roles again and again. Every
// read that began after a change was acknowledged sees that change or a
// later one, never an earlier one: the cache never serves what a commit
// acknowledged before the read replaced.
func TestRefreshReadsSeeRoleChangesUnderLoad(t *testing.T) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	s := openCachedSQLite(t, now)
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	end := func() { once.Do(func() { close(stop); wg.Wait() }) }
	defer end() // also when the test fails early: no reader outlives it
	var stale atomic.Int64
	var reads atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				want := acked.Load()
				sess, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: "tok-u", At: now.UnixMilli()})
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
				var got int64
				if regs := sess.User.Registrations; len(regs) == 1 && len(regs[0].Roles) == 1 {
					fmt.Sscanf(regs[0].Roles[0], "r%d", &got)
				}
				if got < want {
					stale.Add(1)
					t.Errorf("a read begun after change %d was acknowledged saw registrations %+v", want, sess.User.Registrations)
					return
				}
			}
		}()
	}
	r, err := s.GetRegistration(ctx, "u", "a")
	if err != nil {
		t.Fatal(err)
	}
	r.Revision = 0 // each write replaces the roles whatever the row's revision
	for v := int64(1); v <= 300 && stale.Load() == 0; v++ {
		r.Roles = []string{fmt.Sprintf("r%d", v)}
		if err := s.UpdateRegistration(ctx, r); err != nil {
			t.Fatal(err)
		}
		acked.Store(v)
		// Some reads between two changes, however the machine schedules
		// the readers.
		from := reads.Load()
		waitFor(t, "reads after a change", func() bool { return reads.Load() >= from+2 || stale.Load() > 0 })
	}
	end()
	if s.reads.users.hits.Load() == 0 || reads.Load() < 300 {
		t.Fatalf("%d reads, %d cache hits: the test did not exercise the cache", reads.Load(), s.reads.users.hits.Load())
	}
}

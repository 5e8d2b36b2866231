package sqlstorage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// feedWait bounds how long a test waits for a notification. It is not a
// latency claim: a passing run sees each one within milliseconds, and the
// bound only turns a lost notification into a failure instead of a hang.
const feedWait = 20 * time.Second

// subscribe collects s's changes on a channel.
func subscribe(t *testing.T, s *Store) <-chan storage.Change {
	t.Helper()
	ch := make(chan storage.Change, 100)
	unsubscribe := s.SubscribeChanges(func(c storage.Change) { ch <- c })
	t.Cleanup(unsubscribe)
	return ch
}

// next returns the next change, failing after feedWait.
func next(t *testing.T, ch <-chan storage.Change) storage.Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(feedWait):
		t.Fatalf("no change delivered within %s", feedWait)
		return storage.Change{}
	}
}

// expect takes the next changes, which must be exactly want in order.
func expect(t *testing.T, ch <-chan storage.Change, want ...storage.Change) {
	t.Helper()
	for _, w := range want {
		if got := next(t, ch); got != w {
			t.Fatalf("change = %+v, want %+v", got, w)
		}
	}
}

// twoNodes opens two stores on one fresh schema, as two nodes would, and
// subscribes to the second one's feed (after tune, when given, edited it)
// once it listens.
func twoNodes(t *testing.T, tune ...func(*changeFeed)) (a, b *Store, changes <-chan storage.Change) {
	t.Helper()
	ctx := context.Background()
	schemaDSN, drop, err := NewTestSchema(ctx, postgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	open := func() *Store {
		s, err := Open(ctx, schemaDSN, Options{MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b = open(), open()
	for _, f := range tune {
		f(b.feed)
	}
	changes = subscribe(t, b)
	expect(t, changes, storage.Change{Kind: storage.ChangeAll}) // listening from here on
	return a, b, changes
}

// TestChangeFeedDeliversCommittedChanges: each write to a cached record
// through one store reaches the other store's subscribers, named by kind and
// id; a rolled-back write and another schema's writes do not. PostgreSQL
// delivers notifications in commit order, so "not delivered" is checked by
// what arrives before the next expected change, not by waiting.
func TestChangeFeedDeliversCommittedChanges(t *testing.T) {
	a, _, changes := twoNodes(t)
	other := openPostgresTest(t, postgresDSN(t)) // another schema, same database
	ctx := context.Background()
	change := func(k storage.ChangeKind, id string) storage.Change { return storage.Change{Kind: k, ID: id} }

	must(t, other.CreateTenant(ctx, storage.Tenant{ID: "t-other"}))
	must(t, a.CreateTenant(ctx, storage.Tenant{ID: "t1", Name: "one"}))
	expect(t, changes, change(storage.ChangeTenant, "t1"))
	must(t, a.UpdateTenant(ctx, storage.Tenant{ID: "t1", Name: "renamed"}))
	expect(t, changes, change(storage.ChangeTenant, "t1"))

	must(t, a.CreateApplication(ctx, storage.Application{ID: "app1", TenantID: "t1", Active: true}))
	must(t, a.UpdateApplication(ctx, storage.Application{ID: "app1", TenantID: "t1", Active: false}))
	must(t, a.DeleteApplication(ctx, "app1"))
	expect(t, changes, change(storage.ChangeApplication, "app1"), change(storage.ChangeApplication, "app1"),
		change(storage.ChangeApplication, "app1"))

	k1 := storage.SigningKey{ID: "k1", Algorithm: "ES256", PublicKeyPEM: "p", CreatedAt: time.UnixMilli(1)}
	must(t, a.InsertSigningKey(ctx, k1))
	expect(t, changes, change(storage.ChangeSigningKey, "k1"))
	// A rotation that rolls back (the new key's id is taken) announces
	// nothing, although its first statement changed k1.
	if err := a.RotateSigningKey(ctx, k1, time.UnixMilli(2)); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("rotation onto a taken id: %v, want ErrConflict", err)
	}
	k2 := storage.SigningKey{ID: "k2", Algorithm: "ES256", PublicKeyPEM: "p", CreatedAt: time.UnixMilli(3)}
	must(t, a.RotateSigningKey(ctx, k2, time.UnixMilli(4)))
	expect(t, changes, change(storage.ChangeSigningKey, "k1"), change(storage.ChangeSigningKey, "k2"))

	must(t, a.CreateAPIKey(ctx, storage.APIKey{ID: "key1", KeyHash: []byte("h")}))
	expect(t, changes, change(storage.ChangeAPIKey, "key1"))
	must(t, a.PutSystemConfiguration(ctx, storage.SystemConfiguration{}))
	expect(t, changes, change(storage.ChangeSystemConfiguration, "1"))

	// Writes to records nobody caches announce nothing: the next change
	// delivered is the tenant after them.
	must(t, a.CreateUser(ctx, storage.User{ID: "u1", TenantID: "t1", Email: "u1@example.com"}))
	must(t, a.UpdateTenant(ctx, storage.Tenant{ID: "t1", Name: "again"}))
	expect(t, changes, change(storage.ChangeTenant, "t1"))
}

// TestChangeFeedReconnects: when the listening session is killed, the feed
// connects again by itself, says ChangeAll (changes may have been missed
// meanwhile) and goes on delivering.
func TestChangeFeedReconnects(t *testing.T) {
	a, b, changes := twoNodes(t)
	ctx := context.Background()
	pid := b.feed.pid.Load()
	var killed bool
	if err := a.w.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listening session %d: %v %v", pid, killed, err)
	}
	expect(t, changes, storage.Change{Kind: storage.ChangeAll})
	if b.feed.pid.Load() == pid {
		t.Fatal("ChangeAll without a new session")
	}
	must(t, a.CreateTenant(ctx, storage.Tenant{ID: "after"}))
	expect(t, changes, storage.Change{Kind: storage.ChangeTenant, ID: "after"})
}

// TestChangeFeedSurvivesSilence: the liveness ping after pingEvery of
// silence (here shortened so that a test sees many) keeps a healthy session:
// the same session still delivers afterwards, with no ChangeAll in between.
func TestChangeFeedSurvivesSilence(t *testing.T) {
	a, b, changes := twoNodes(t, func(f *changeFeed) { f.pingEvery = time.Millisecond })
	pid := b.feed.pid.Load()
	ctx := context.Background()
	for i := range 20 {
		// Each wait for a notification ends in a timeout and a ping first
		// (1 ms of silence), then the tenant arrives.
		id := fmt.Sprint("t", i)
		must(t, a.CreateTenant(ctx, storage.Tenant{ID: id}))
		expect(t, changes, storage.Change{Kind: storage.ChangeTenant, ID: id})
	}
	if got := b.feed.pid.Load(); got != pid {
		t.Fatalf("the session was replaced (%d -> %d): a ping after silence broke it", pid, got)
	}
}

// TestChangeFeedParsesPayloads: another schema's payload is ignored, and
// one that cannot be read makes the node forget everything.
func TestChangeFeedParsesPayloads(t *testing.T) {
	tests := []struct {
		payload string
		want    storage.Change
		ok      bool
	}{
		{`{"schema":"public","kind":"tenant","id":"t1"}`, storage.Change{Kind: storage.ChangeTenant, ID: "t1"}, true},
		{`{"schema":"other","kind":"tenant","id":"t1"}`, storage.Change{}, false},
		{`not json`, storage.Change{Kind: storage.ChangeAll}, true},
		{`{"schema":"public"}`, storage.Change{Kind: storage.ChangeAll}, true},
	}
	for _, tt := range tests {
		got, ok := parseChange(tt.payload, "public")
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseChange(%s) = %+v, %v; want %+v, %v", tt.payload, got, ok, tt.want, tt.ok)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

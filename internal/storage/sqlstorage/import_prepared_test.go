package sqlstorage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestImportLeavesTheStatementCacheAlone: batches of different sizes make
// different SQL texts (the last INSERT's rows, the IN lists of
// TakenUserKeys); none of them is prepared and kept, so importing millions
// of users cannot grow the cache prepared.go keeps for the process's life.
func TestImportLeavesTheStatementCacheAlone(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateTenant(ctx, storage.Tenant{ID: "t"}); err != nil {
		t.Fatal(err)
	}
	// Statements of Open's migrations and of CreateTenant are prepared
	// after their transactions, on goroutines: let them land first.
	settle(t, s.w)
	writer, reader := count(s.w), count(s.r)
	n := 0
	for _, size := range []int{1, 7, 501, 3} {
		var b storage.UserImport
		var k storage.UserKeys
		for range size {
			id := fmt.Sprint("u", n)
			b.Users = append(b.Users, storage.User{ID: id, TenantID: "t", Email: id + "@example.test"})
			k.IDs, k.Emails = append(k.IDs, id), append(k.Emails, id+"@example.test")
			n++
		}
		if err := s.ImportUsers(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakenUserKeys(ctx, "t", k); err != nil {
			t.Fatal(err)
		}
	}
	// A transaction asks for its statements to be prepared synchronously
	// (pending) and prepares them after it: both would show here.
	s.w.mu.Lock()
	pending := len(s.w.pending)
	s.w.mu.Unlock()
	if pending != 0 || count(s.w) != writer || count(s.r) != reader {
		t.Fatalf("the import grew the statement cache: writer %d -> %d, reader %d -> %d", writer, count(s.w), reader, count(s.r))
	}
}

// settle waits until p has no statement waiting to be prepared.
func settle(t *testing.T, p *pool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		n := len(p.pending)
		p.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements still waiting to be prepared", n)
		}
		time.Sleep(time.Millisecond)
	}
}

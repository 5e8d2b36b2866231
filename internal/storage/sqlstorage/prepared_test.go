package sqlstorage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestStatementsPreparedOnce: on SQLite every statement with arguments is
// prepared once and reused, whether it runs on its own or inside a
// transaction (where the first run asks for it to be prepared and later
// ones use it); the cache does not grow with use, and a transaction never
// waits for the writer connection it holds itself.
func TestStatementsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := func(v string) []byte { x := sha256.Sum256([]byte(v)); return x[:] }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	must(s.CreateUser(ctx, storage.User{ID: "u", TenantID: "t", Active: true, Email: "u@example.test"}))
	base := time.Now()
	must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: "rt", TenantID: "t", UserID: "u", Hash: h("v0"),
		StartInstant: base, LastUsedAt: base, ExpiresAt: base.Add(time.Hour), AuthTime: base, InsertedAt: base}))
	rotate := func(i int) {
		t.Helper()
		_, err := s.RotateRefreshToken(ctx, storage.Rotation{ID: "rt", OldHash: h(fmt.Sprint("v", i)), NewHash: h(fmt.Sprint("v", i+1)),
			At: base, ExpiresAt: base.Add(time.Hour)})
		must(err)
		_, _, err = s.FindRefreshTokenByHash(ctx, h(fmt.Sprint("v", i+1)))
		must(err)
	}
	rotate(0)
	deadline := time.Now().Add(30 * time.Second) // bound only: the preparation follows the commit at once
	for !prepared(s.w, "UPDATE refresh_tokens") || !prepared(s.w, "INSERT INTO refresh_token_history") {
		if time.Now().After(deadline) {
			t.Fatal("the rotation's statements were not prepared after its transaction")
		}
		time.Sleep(time.Millisecond)
	}
	if !prepared(s.r, "FROM refresh_tokens WHERE hash") {
		t.Fatal("the token lookup was not prepared")
	}
	writer, reader := count(s.w), count(s.r)
	for i := 1; i < 50; i++ {
		rotate(i)
	}
	if count(s.w) != writer || count(s.r) != reader {
		t.Fatalf("the statement cache grew with use: writer %d -> %d, reader %d -> %d", writer, count(s.w), reader, count(s.r))
	}
	if rt, err := s.GetRefreshToken(ctx, "rt"); err != nil || rt.Generation != 50 {
		t.Fatalf("after 50 rotations through prepared statements: generation %d, %v", rt.Generation, err)
	}
}

func prepared(p *pool, fragment string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q := range p.stmts {
		if strings.Contains(q, fragment) {
			return true
		}
	}
	return false
}

func count(p *pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.stmts)
}

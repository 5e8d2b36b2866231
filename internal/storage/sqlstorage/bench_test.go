package sqlstorage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// benchStores lists the configurations a benchmark runs on: SQLite with one
// writer connection plus a reader pool (what Open uses), SQLite with one pool
// whose transactions all BEGIN IMMEDIATE (the alternative we measured), and
// PostgreSQL when LATCHKEY_TEST_POSTGRES_DSN is set.
func benchStores(b *testing.B) map[string]func(b *testing.B) *Store {
	open := func(split bool) func(b *testing.B) *Store {
		return func(b *testing.B) *Store {
			s, err := openSQLite(context.Background(), filepath.Join(b.TempDir(), "b.db"), Options{}, split)
			if err == nil {
				err = s.migrate(context.Background())
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}
	}
	m := map[string]func(b *testing.B) *Store{
		"sqlite-writer+readers": open(true),
		"sqlite-pool-immediate": open(false),
	}
	if dsn := postgresDSNOptional(); dsn != "" {
		m["postgres"] = func(b *testing.B) *Store { return openPostgresTest(b, dsn) }
	}
	return m
}

func postgresDSNOptional() string {
	return os.Getenv(TestPostgresEnv)
}

func benchHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// benchSeed creates a tenant, app and user and n refresh tokens tok-0..n-1
// with secrets sec-0..n-1.
func benchSeed(b testing.TB, s *Store, n int) {
	ctx := context.Background()
	now := time.Now()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.CreateTenant(ctx, storage.Tenant{ID: "t"}))
	must(s.CreateApplication(ctx, storage.Application{ID: "a", TenantID: "t", Active: true}))
	must(s.CreateUser(ctx, storage.User{ID: "u", TenantID: "t", Email: "u@example.com"}))
	for i := range n {
		must(s.CreateRefreshToken(ctx, storage.RefreshToken{ID: fmt.Sprintf("tok-%d", i), TenantID: "t", UserID: "u",
			ApplicationID: "a", Hash: benchHash(fmt.Sprintf("sec-%d", i)), StartInstant: now, LastUsedAt: now,
			ExpiresAt: now.Add(time.Hour), InsertedAt: now}))
	}
}

// BenchmarkRotateRefreshToken: parallel rotations of distinct tokens (many
// users refreshing at once), i.e. writers contending for the database; with
// a history row per rotation (values of the earlier format) and without
// (Rotation.NoHistory: values that name their family, issue 13).
func BenchmarkRotateRefreshToken(b *testing.B) {
	for name, open := range benchStores(b) {
		for _, noHistory := range []bool{false, true} {
			b.Run(name+map[bool]string{false: "/history", true: "/no-history"}[noHistory], func(b *testing.B) {
				benchRotate(b, open, noHistory)
			})
		}
	}
}

func benchRotate(b *testing.B, open func(b *testing.B) *Store, noHistory bool) {
	s := open(b)
	const tokens = 64
	benchSeed(b, s, tokens)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1) - 1
		if id >= tokens {
			b.Error("more goroutines than tokens")
			return
		}
		cur := benchHash(fmt.Sprintf("sec-%d", id))
		for gen := 0; pb.Next(); gen++ {
			nh := benchHash(fmt.Sprintf("sec-%d-%d", id, gen))
			_, err := s.RotateRefreshToken(context.Background(), storage.Rotation{ID: fmt.Sprintf("tok-%d", id),
				OldHash: cur, NewHash: nh, At: time.Now(), ExpiresAt: time.Now().Add(time.Hour), NoHistory: noHistory})
			if err != nil {
				b.Error(err)
				return
			}
			cur = nh
		}
	})
}

// BenchmarkFindRefreshTokenByHash: lookups of current hashes among 1000
// tokens, in parallel (the read side of every refresh).
func BenchmarkFindRefreshTokenByHash(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			const tokens = 1000
			benchSeed(b, s, tokens)
			hashes := make([][]byte, tokens)
			for i := range hashes {
				hashes[i] = benchHash(fmt.Sprintf("sec-%d", i))
			}
			var n atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.FindRefreshTokenByHash(context.Background(), hashes[n.Add(1)%tokens]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkFindRefreshSession: a refresh's one read (token, user and its two
// registrations) by family id among 1000 tokens, in parallel; compare with
// BenchmarkFindRefreshTokenByHash, which reads the token alone.
func BenchmarkFindRefreshSession(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			const tokens = 1000
			benchSeed(b, s, tokens)
			ctx := context.Background()
			for _, app := range []string{"a", "b"} {
				if app != "a" {
					if err := s.CreateApplication(ctx, storage.Application{ID: app, TenantID: "t", Active: true}); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.CreateRegistration(ctx, storage.Registration{ID: "r" + app, UserID: "u", ApplicationID: app}); err != nil {
					b.Fatal(err)
				}
			}
			var n atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					got, err := s.FindRefreshSession(ctx, storage.SessionKey{ID: fmt.Sprintf("tok-%d", n.Add(1)%tokens)})
					if err != nil || len(got.User.Registrations) != 2 {
						b.Errorf("%v, %d registrations", err, len(got.User.Registrations))
						return
					}
				}
			})
		})
	}
}

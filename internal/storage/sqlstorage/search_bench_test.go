package sqlstorage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// benchUsersEnv sets how many users BenchmarkUserSearch stores. CI runs
// every benchmark once as a smoke run, so the default is small; the
// figure issue 12 asks about is LATCHKEY_BENCH_USERS=1000000
// (docs/performance.md says how to run it).
const benchUsersEnv = "LATCHKEY_BENCH_USERS"

// BenchmarkUserSearch measures user search (storage.UserSearch) on a
// directory of LATCHKEY_BENCH_USERS users, on SQLite and, when
// LATCHKEY_TEST_POSTGRES_DSN is set, PostgreSQL: the searches an operator
// makes (a partial email, a name, a pattern, everyone sorted), each a page
// of 25 with its total capped as the API caps it.
func BenchmarkUserSearch(b *testing.B) {
	n := 2000
	if v := os.Getenv(benchUsersEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			b.Fatalf("%s=%q: want a number of users, at least 100", benchUsersEnv, v)
		}
	}
	stores := map[string]func(b *testing.B) *Store{DialectSQLite: func(b *testing.B) *Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}}
	if os.Getenv(TestPostgresEnv) != "" {
		stores[DialectPostgres] = func(b *testing.B) *Store { return openPostgresTest(b, postgresDSN(b)) }
	}
	for _, dialect := range []string{DialectSQLite, DialectPostgres} {
		open, ok := stores[dialect]
		if !ok {
			continue
		}
		b.Run(dialect, func(b *testing.B) {
			s := open(b)
			seedDirectory(b, s, n)
			target := n / 2
			for _, q := range []storage.UserSearch{
				{QueryString: fmt.Sprintf("user%07d@", target)},     // one user by a partial email
				{QueryString: "grace hop"},                          // a full name, a hundredth of the users
				{QueryString: fmt.Sprintf("user%05d*", target/100)}, // a prefix pattern
				{QueryString: "*", Sort: []storage.SortField{{Name: "email"}}},
				{QueryString: "example", Sort: []storage.SortField{{Name: "insertInstant", Desc: true}}}, // everyone matches
			} {
				q.Limit, q.CountLimit = 25, 10000
				b.Run(strconv.Quote(q.QueryString), func(b *testing.B) {
					for b.Loop() {
						if _, _, err := s.SearchUsers(context.Background(), q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// seedDirectory stores n users through the same rows every user write
// makes (users and user_search), in batches of 10,000 per transaction so a
// million users take minutes rather than a million commits.
func seedDirectory(b testing.TB, s *Store, n int) {
	b.Helper()
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken"}
	last := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman", "Thompson"}
	ctx := context.Background()
	for start := 0; start < n; start += 10000 {
		err := s.tx(ctx, func(q querier) error {
			for i := start; i < min(start+10000, n); i++ {
				u := storage.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), TenantID: "bench", Active: true,
					Email: fmt.Sprintf("user%07d@mail%d.example.com", i, i%50), Username: fmt.Sprintf("u%07d", i),
					FirstName: first[i%10], LastName: last[(i/10)%10], InsertInstant: int64(i)}
				u.FullName = u.FirstName + " " + u.LastName
				doc, err := userDoc(u)
				if err != nil {
					return err
				}
				if _, err := q.ExecContext(ctx, `INSERT INTO users (id, tenant_id, email_lower, username_lower, doc) VALUES ($1, $2, $3, $4, $5)`,
					u.ID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc); err != nil {
					return err
				}
				if err := upsertUserSearch(ctx, q, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if s.dialect == DialectPostgres {
		if _, err := s.w.ExecContext(ctx, `ANALYZE users, user_search`); err != nil {
			b.Fatal(err)
		}
	}
}

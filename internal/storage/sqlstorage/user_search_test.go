package sqlstorage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testStores is a fresh store on SQLite and, when configured, on
// PostgreSQL.
func testStores(t *testing.T) map[string]*Store {
	lite, err := Open(context.Background(), filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	out := map[string]*Store{DialectSQLite: lite}
	if os.Getenv(TestPostgresEnv) != "" {
		out[DialectPostgres] = openPostgresTest(t, postgresDSN(t))
	}
	return out
}

// TestUserSearchUsesIndex: the search a term of three or more characters
// makes is served by the index made for it (SQLite: the FTS5 trigram table;
// PostgreSQL: the pg_trgm GIN index), not by reading every user. The plan
// is asked for, not timed; PostgreSQL's planner is told to avoid sequential
// scans because a test table is too small for it to choose the index.
func TestUserSearchUsesIndex(t *testing.T) {
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			for _, term := range []string{"piper", "rich*@pied*"} {
				w := s.userSearchWhere(storage.UserSearch{QueryString: term})
				plan := explain(t, s, `SELECT s.user_id FROM user_search s`+w.sql(), w.args...)
				want := "user_search_fts"
				if dialect == DialectPostgres {
					want = "user_search_trgm"
				}
				if !strings.Contains(plan, want) {
					t.Fatalf("plan for %q does not use %s:\n%s", term, want, plan)
				}
			}
		})
	}
}

func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect == DialectPostgres {
		prefix = "EXPLAIN "
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.QueryContext(ctx, prefix+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch x := v.(type) {
			case string:
				b.WriteString(x + " ")
			case []byte:
				b.Write(x)
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestBackfillUserSearch: users stored before migration 0040 get their
// search rows from its Go step, lower-cased like every later write.
func TestBackfillUserSearch(t *testing.T) {
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			for _, u := range []storage.User{{ID: "u1", TenantID: "t", Email: "ÉMILE@example.fr"}, {ID: "u2", TenantID: "t", Username: "bob"}} {
				if err := s.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.w.ExecContext(ctx, `DELETE FROM user_search`); err != nil {
				t.Fatal(err)
			}
			if err := s.tx(ctx, func(q querier) error { return backfillUserSearch(ctx, q) }); err != nil {
				t.Fatal(err)
			}
			users, total, err := s.SearchUsers(ctx, storage.UserSearch{QueryString: "émile", Limit: 10})
			if err != nil || total != 1 || users[0].ID != "u1" {
				t.Fatalf("after backfill: %+v (%d) %v", users, total, err)
			}
			if _, total, _ := s.SearchUsers(ctx, storage.UserSearch{Limit: 10}); total != 2 {
				t.Fatalf("%d users searchable, want 2", total)
			}
		})
	}
}

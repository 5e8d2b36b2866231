package sqlstorage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// testStores is a fresh store on SQLite and, when configured, on
// PostgreSQL; under LATCHKEY_REQUIRE_ALL=1 an unconfigured PostgreSQL fails
// the test (postgresDSN) instead of leaving it out.
func testStores(t *testing.T) map[string]*Store {
	lite, err := Open(context.Background(), filepath.Join(t.TempDir(), "latchkey.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	out := map[string]*Store{DialectSQLite: lite}
	if os.Getenv(TestPostgresEnv) != "" || os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
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
				w, _, err := s.userSearchWhere(context.Background(), storage.UserSearch{QueryString: term})
				if err != nil {
					t.Fatal(err)
				}
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

// TestUserSearchPlansAgree: every plan a SQLite search may take (the
// trigram index, reading in the page's order for a common term, reading
// the table once for a rare short term) answers what a plain filter over
// every user answers, page and total; PostgreSQL's plans are its planner's
// and are checked the same way.
func TestUserSearchPlansAgree(t *testing.T) {
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			seedDirectory(t, s, 3000)
			for i, name := range []string{"qx-one", "qx-two", "qx-three"} {
				if err := s.CreateUser(ctx, storage.User{ID: "qx" + strconv.Itoa(i), TenantID: "bench", Username: name, InsertInstant: 5000}); err != nil {
					t.Fatal(err)
				}
			}
			all, _, err := s.SearchUsers(ctx, storage.UserSearch{Limit: 5000})
			if err != nil || len(all) != 3003 {
				t.Fatalf("all users: %d, %v", len(all), err)
			}
			for _, tc := range []struct {
				term string
				plan func(searchPlan) bool // SQLite's plan
			}{
				{"example", func(p searchPlan) bool { return p.dense }},
				{"user0001500@", func(p searchPlan) bool { return !p.dense && p.match != "" }},
				{"grace hop", func(p searchPlan) bool { return !p.dense && p.match != "" }},
				{"user00015*", func(p searchPlan) bool { return !p.dense && p.match != "" }},
				{"qx", func(p searchPlan) bool { return p.sortMatches }},
				{"*three", func(p searchPlan) bool { return p.match != "" }},
			} {
				if dialect == DialectSQLite {
					p, err := s.planSearch(ctx, searchTerm(tc.term))
					if err != nil || !tc.plan(p) {
						t.Fatalf("%q: plan %+v (%v)", tc.term, p, err)
					}
				}
				var want []string
				for _, u := range all {
					if searchRowOf(u).matches(searchTerm(tc.term)) {
						want = append(want, u.ID)
					}
				}
				got, total, err := s.SearchUsers(ctx, storage.UserSearch{QueryString: tc.term, Limit: 5000,
					Sort: []storage.SortField{{Name: "id"}}})
				if err != nil {
					t.Fatal(err)
				}
				ids := make([]string, len(got))
				for i, u := range got {
					ids[i] = u.ID
				}
				slices.Sort(want)
				if !slices.Equal(ids, want) || total != len(want) {
					t.Fatalf("%q: %d users (total %d), a filter over every user finds %d", tc.term, len(ids), total, len(want))
				}
			}
		})
	}
}

// matches is sampleRow.matches for a searchRow.
func (r searchRow) matches(term string) bool {
	return sampleRow{text: r.text, fields: [5]string{r.email, r.username, r.first, r.last, r.full}}.matches(term)
}

package sqlstorage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefreshTokenPurgeAndFeedPlans: at 10,000,000 tokens (issue 13) the
// janitor's purge must not walk the live tokens (the revoked_at index's
// NULL entries: every pass read the whole table inside its write), and an
// application's revocation feed must not read and sort all its tokens.
// SQLite's plans, which without ANALYZE (latchkey never runs it) depend on
// the schema only.
func TestRefreshTokenPurgeAndFeedPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plans.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(query string, args ...any) string { return queryPlan(t, s, query, args...) }
	purge := plan(purgeRefreshTokensSQL, 1, 2, 500)
	if !strings.Contains(purge, "refresh_tokens_live_expires (expires_at>? AND expires_at<?)") ||
		!strings.Contains(purge, "refresh_tokens_revoked (revoked_at<?)") || strings.Contains(purge, "revoked_at=?") {
		t.Errorf("the purge of refresh tokens:\n%s", purge)
	}
	feed := plan(listRevokedSQL, "app", 1, "id", 100)
	if !strings.Contains(feed, "refresh_tokens_revocations") || strings.Contains(feed, "TEMP B-TREE") {
		t.Errorf("the revocation feed:\n%s", feed)
	}
}

// TestRevocationFeedPlansOnPostgres: PostgreSQL reads an application's
// revocation feed, and the tombstones', as a range of the feed index from
// the cursor on, not as every revoked token of the application filtered
// (at 516,000 revoked tokens that was 602 ms for one page, and 0.2 ms as a
// range). The plans of an empty table favour a sequential scan, so the
// test turns those off to see what the index is used for.
func TestRevocationFeedPlansOnPostgres(t *testing.T) {
	s := openTestOn(t, DialectPostgres) // SQLite's plans are TestRefreshTokenPurgeAndFeedPlans
	ctx := context.Background()
	c, err := s.r.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, set := range []string{`SET enable_seqscan = off`, `SET enable_bitmapscan = off`, `SET enable_sort = off`} {
		if _, err := c.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for name, c2 := range map[string]struct{ query, index string }{
		"refresh tokens": {listRevokedSQL, "refresh_tokens_revocations"},
		"tombstones":     {listTombstonesSQL, "session_tombstones_feed"},
	} {
		rows, err := c.QueryContext(ctx, `EXPLAIN `+s.revocationsSQL(c2.query), "app", int64(1), "id", 100)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if !strings.Contains(p, c2.index) || !strings.Contains(p, "Index Cond: ((application_id = 'app'::text) AND (ROW(revoked_at, id) >") {
			t.Errorf("the revocation feed of %s does not read %s from the cursor on:\n%s", name, c2.index, p)
		}
	}
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of query with args, its steps'
// details one per line.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

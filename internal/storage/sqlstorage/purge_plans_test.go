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
	plan := func(query string, args ...any) string {
		rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
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
		return strings.Join(steps, "\n")
	}
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

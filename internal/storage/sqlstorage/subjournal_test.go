package sqlstorage

import (
	"context"
	"strings"
	"testing"
)

// TestLargeSavepointCommits: a write that changes megabytes of pages inside
// a savepoint (the group commit's per-member savepoint, a cascade over a
// user's refresh tokens and login records) commits. SQLite keeps a
// savepoint's sub-journal in memory up to SQLITE_CONFIG_STMTJRNL_SPILL and
// then copies it to a temporary file in chunks of that size; its unix VFS
// writes at most 128 KiB at a time (seekAndWriteFd masks the size to 17
// bits), so a threshold above SQLite's default made such writes fail with
// "database or disk is full" (docs/decisions.md, "SQLite sub-journals spill
// at SQLite's default").
func TestLargeSavepointCommits(t *testing.T) {
	s := openGroupTest(t)
	ctx := context.Background()
	pad := strings.Repeat("x", 3000)
	const rows = 1200 // about 4 MiB of changed pages
	err := s.write1(ctx, func(q querier) error {
		for i := range rows {
			if _, err := q.ExecContext(ctx, `INSERT INTO gc (k, v) VALUES ($1, $2)`, pad+strings.Repeat("k", i%7)+string(rune('a'+i%26))+strings.Repeat("z", i/26), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	err = s.write1(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `SAVEPOINT big`); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE gc SET k = k || 'y', v = v + 1`); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `RELEASE big`)
		return err
	})
	if err != nil {
		t.Fatalf("a savepoint over %d rows of 3 KB: %v", rows, err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM gc WHERE k LIKE '%y' AND v >= 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Errorf("%d of %d rows updated", n, rows)
	}
}

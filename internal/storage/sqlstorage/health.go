package sqlstorage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// probeBytes is the size of the readiness write probe's row: larger than a
// page (SQLite's default page is 4 KiB, PostgreSQL's 8 KiB), so committing
// it needs new space the way a real write does, not only a page rewritten
// in place. Random hex so PostgreSQL's TOAST compression cannot shrink it
// to nothing.
const probeBytes = 12 << 10

// probeVersion is the schema_migrations row the probe writes and deletes in
// one transaction. No migration has a negative number, and no reader ever
// sees the row (it is gone before the commit).
const probeVersion = -1

// PendingMigrations counts this binary's migrations missing from
// schema_migrations (all of them when the table does not exist yet).
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	ms, err := migrations(s.dialect)
	if err != nil {
		return 0, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		if s.missingTable(ctx) {
			return len(ms), nil
		}
		return 0, s.wrap(err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, s.wrap(err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return 0, s.wrap(err)
	}
	n := 0
	for _, m := range ms {
		if !applied[m.version] {
			n++
		}
	}
	return n, nil
}

// missingTable reports whether schema_migrations does not exist, as opposed
// to the database failing to answer.
func (s *Store) missingTable(ctx context.Context) bool {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.dialect == DialectPostgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var n int
	return s.r.QueryRowContext(ctx, q).Scan(&n) == nil && n == 0
}

// ProbeWrite inserts and deletes a page-sized row in one committed write
// transaction. SQLite allocates pages for it (from the free list, else by
// growing the file) and appends to the WAL; PostgreSQL writes a heap tuple
// and WAL. So a full disk, a database at SQLite's max_page_count, a
// read-only file and a PostgreSQL that refuses writes all fail it, while a
// healthy database is left as it was. Every failure is ErrUnavailable: the
// caller can only wait.
func (s *Store) ProbeWrite(ctx context.Context) error {
	pad := make([]byte, probeBytes/2)
	_, _ = rand.Read(pad)
	err := s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`,
			probeVersion, hex.EncodeToString(pad)); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = $1`, probeVersion)
		return err
	})
	if err == nil || errors.Is(err, storage.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: write refused: %w", storage.ErrUnavailable, err)
}

// Pools returns the connection pools by role ("writer", "reader"; one
// "pool" on PostgreSQL, where both are the same), for pool metrics.
func (s *Store) Pools() map[string]*sql.DB {
	if s.r == s.w {
		return map[string]*sql.DB{"pool": s.w.DB}
	}
	return map[string]*sql.DB{"writer": s.w.DB, "reader": s.r.DB}
}

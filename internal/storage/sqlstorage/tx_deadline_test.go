package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestTransactionEndedByItsCallerSaysSo: on PostgreSQL, when a write
// transaction's context ends while it runs (a request's deadline passing
// under load), database/sql rolls it back and the statements after find it
// done (sql.ErrTxDone). The store answers the context's error, which the
// HTTP layer answers 503 with Retry-After (storage.Transient), not an
// internal error (a 500, as a load test over cold seeded sessions met),
// and nothing of the transaction is kept. On SQLite every write goes
// through the group commit, whose writes, once started, run to their own
// outcome whatever their callers do (alone or in a group;
// TestLoneWriteOutlivesItsCaller): the caller is answered that outcome,
// and the transaction is kept whole.
func TestTransactionEndedByItsCallerSaysSo(t *testing.T) {
	for dialect, s := range testStores(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := s.tx(ctx, func(q querier) error {
				if _, err := q.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES ('ended', 'test', 1)`); err != nil {
					return err
				}
				cancel()
				if s.commits != nil { // SQLite: the write goes on
					_, err := q.ExecContext(ctx, `UPDATE leases SET owner = 'after' WHERE name = 'ended'`)
					return err
				}
				// Until database/sql has rolled the transaction back; a guard
				// against a hang (a transaction that ignored its context), not
				// a timing assertion.
				for guard := time.Now().Add(time.Minute); time.Now().Before(guard); runtime.Gosched() {
					if _, err := q.ExecContext(context.Background(), `SELECT 1`); err != nil {
						return err
					}
				}
				return errors.New("the transaction ran on for a minute after its context ended")
			})
			var n int
			if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM leases WHERE name = 'ended' AND owner = 'after'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if dialect == DialectSQLite {
				if err != nil || n != 1 {
					t.Fatalf("a SQLite write whose caller gave up midway: %v, %d rows; want it committed whole", err, n)
				}
				return
			}
			if !errors.Is(err, context.Canceled) || !errors.Is(err, sql.ErrTxDone) {
				t.Fatalf("a transaction whose context ended: %v; want the context's error", err)
			}
			if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM leases WHERE name = 'ended'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("rows of the ended transaction: %d, %v; want none", n, err)
			}
		})
	}
}

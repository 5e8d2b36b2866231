package sqlstorage

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// getRevised reads the document and the revision of table's row id (a
// record stored as id, doc and revision columns) into a T; rev points at
// T's Revision, which is json:"-" and lives only in its column.
// ErrNotFound when there is no such row.
func getRevised[T any](ctx context.Context, s *Store, table, id string, rev func(*T) *int64) (T, error) {
	var v T
	var doc string
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT doc, revision FROM `+table+` WHERE id = $1`, id).Scan(&doc, &n); err != nil {
		return v, s.wrap(err)
	}
	err := decode(doc, &v)
	*rev(&v) = n
	return v, err
}

// updateRevised sets columns of table's row id (set names them from $2 on,
// args their values) and adds 1 to its revision, on the condition that
// the revision is still rev when rev is not 0: ErrStale when a write
// committed since the read that rev comes from, ErrNotFound when the row
// is gone (revised); nothing is written then. A PUT or PATCH of the
// record, a read-modify-write of the whole document, so never writes back
// over a write answered before it (docs/decisions.md, "optimistic
// revisions").
func updateRevised(ctx context.Context, q querier, table, id string, rev int64, set string, args ...any) error {
	n := len(args) + 2
	query := fmt.Sprintf(`UPDATE %s SET %s, revision = revision + 1 WHERE id = $1 AND ($%d = 0 OR revision = $%d)`, table, set, n, n)
	res, err := q.ExecContext(ctx, query, append(append([]any{id}, args...), rev)...)
	return revised(ctx, q, res, err, table, id)
}

// updateRevisedAudited is updateRevised and the audit entries in one
// transaction.
func (s *Store) updateRevisedAudited(ctx context.Context, audit []storage.AuditEntry, table, id string, rev int64, set string, args ...any) error {
	return s.tx(ctx, func(q querier) error {
		if err := updateRevised(ctx, q, table, id, rev, set, args...); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

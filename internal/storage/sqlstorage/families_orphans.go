package sqlstorage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// notInAdultFamily is true for a user u in no family with an adult
// member, owner or not (a family whose owner left keeps its adults).
const notInAdultFamily = `NOT EXISTS (SELECT 1 FROM family_members m JOIN family_members a ON a.family_id = m.family_id
	WHERE m.user_id = u.id AND a.role = 'Adult')`

// orphanedChild is the condition on the search row s and user u of an
// orphaned child of tenant $1, born after $2 and by $3, created before $4.
const orphanedChild = `s.tenant_id = $1 AND s.birth_date <> '' AND s.birth_date > $2 AND s.birth_date <= $3 AND s.insert_instant < $4
	AND ` + notInAdultFamily

// ListOrphanedChildren picks the children from the search rows (tenant,
// birth_date and insert_instant are columns there).
func (s *Store) ListOrphanedChildren(ctx context.Context, o storage.OrphanedChildren) ([]string, error) {
	if o.Limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT u.id FROM user_search s JOIN users u ON u.id = s.user_id
		WHERE `+orphanedChild+` ORDER BY s.insert_instant, s.user_id LIMIT $5`,
		o.TenantID, o.BornAfter, o.BornBy, o.CreatedBefore, o.Limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := scanIDs(rows)
	return ids, s.wrap(err)
}

// DeleteOrphanedChild locks the user's row, as every family write does
// first, and deletes the user only if still an orphaned child: a child
// added to a family concurrently is kept.
func (s *Store) DeleteOrphanedChild(ctx context.Context, o storage.OrphanedChildren, d storage.OrphanDelete) (bool, error) {
	deleted := false
	err := s.tx(ctx, func(q querier) error {
		deleted = false
		if err := s.lockUser(ctx, q, d.UserID); errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		var still int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_search s JOIN users u ON u.id = s.user_id
			WHERE `+orphanedChild+` AND u.id = $5`, o.TenantID, o.BornAfter, o.BornBy, o.CreatedBefore, d.UserID).Scan(&still); err != nil {
			return err
		}
		if still == 0 {
			return nil
		}
		if err := deleteUserTx(ctx, q, d.UserID, o.At); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, d.Audit); err != nil {
			return err
		}
		deleted = true
		return enqueueTx(ctx, q, d.Outbox)
	})
	return deleted, s.wrap(err)
}

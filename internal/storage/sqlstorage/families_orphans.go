package sqlstorage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// notInAdultFamily is true for a user u in no family with an adult owner
// (ListPendingChildren's condition).
const notInAdultFamily = `NOT EXISTS (SELECT 1 FROM family_members m JOIN family_members o ON o.family_id = m.family_id
	WHERE m.user_id = u.id AND o.owner = 1 AND o.role = 'Adult')`

// DeleteOrphanedChildren picks the candidates from the search rows
// (tenant, birth_date and insert_instant are columns there), then locks
// each user's row, as every family write does first, and deletes them
// only if they are still in no family with an adult owner: a child added
// to a family concurrently is kept.
func (s *Store) DeleteOrphanedChildren(ctx context.Context, o storage.OrphanedChildren) ([]string, error) {
	if o.Limit <= 0 {
		return nil, nil
	}
	var deleted []string
	err := s.tx(ctx, func(q querier) error {
		deleted = nil
		rows, err := q.QueryContext(ctx, `SELECT u.id FROM user_search s JOIN users u ON u.id = s.user_id
			WHERE s.tenant_id = $1 AND s.birth_date <> '' AND s.birth_date > $2 AND s.birth_date <= $3 AND s.insert_instant < $4
			AND `+notInAdultFamily+` ORDER BY s.insert_instant, s.user_id LIMIT $5`,
			o.TenantID, o.BornAfter, o.BornBy, o.CreatedBefore, o.Limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var audit []storage.AuditEntry
		for _, id := range ids {
			if err := s.lockUser(ctx, q, id); errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			var still int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = $1 AND `+notInAdultFamily, id).Scan(&still); err != nil {
				return err
			}
			if still == 0 {
				continue
			}
			if err := deleteUserTx(ctx, q, id, o.At); err != nil {
				return err
			}
			deleted = append(deleted, id)
			if o.Audit != nil {
				audit = append(audit, o.Audit(id))
			}
		}
		return insertAudit(ctx, q, audit)
	})
	return deleted, s.wrap(err)
}

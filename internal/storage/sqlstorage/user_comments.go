package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateUserComment inserts c and its audit entries in one transaction;
// the user's tenant is copied from the user row in the same statement, so a
// comment on a user that does not exist (or was deleted meanwhile) inserts
// nothing and is ErrNotFound. The casts type the parameters for
// PostgreSQL, which cannot infer them in a SELECT list.
func (s *Store) CreateUserComment(ctx context.Context, c storage.UserComment, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `INSERT INTO user_comments (id, user_id, tenant_id, commenter_id, comment, insert_instant)
			SELECT CAST($1 AS TEXT), id, tenant_id, CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT) FROM users WHERE id = $5`, c.ID, c.CommenterID, c.Comment, c.InsertInstant, c.UserID)); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// ListUserComments returns one page of the comments f selects, by
// insertInstant then id, and the number of matches.
func (s *Store) ListUserComments(ctx context.Context, f storage.UserCommentFilter) ([]storage.UserComment, int, error) {
	w := &whereBuilder{}
	for _, c := range []struct{ col, val string }{{"tenant_id", f.TenantID}, {"user_id", f.UserID}, {"commenter_id", f.CommenterID}} {
		if c.val != "" {
			w.add(c.col+" = ?", c.val)
		}
	}
	if f.Comment != "" {
		w.add("comment "+s.caseInsensitiveLike()+" ? ESCAPE '\\'", likePattern(f.Comment))
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_comments`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, s.wrap(err)
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, user_id, tenant_id, commenter_id, comment, insert_instant FROM user_comments`+
		w.sql()+` ORDER BY insert_instant`+dir+`, id`+dir+w.page(s.dialect, f.Offset, f.Limit), w.args...)
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.UserComment{}
	for rows.Next() {
		var c storage.UserComment
		if err := rows.Scan(&c.ID, &c.UserID, &c.TenantID, &c.CommenterID, &c.Comment, &c.InsertInstant); err != nil {
			return nil, 0, s.wrap(err)
		}
		out = append(out, c)
	}
	return out, total, s.wrap(rows.Err())
}

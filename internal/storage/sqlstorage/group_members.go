package sqlstorage

import (
	"context"
	"database/sql"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const memberColumns = `id, group_id, user_id, insert_instant, data`

func scanMembers(s *Store, rows *sql.Rows) ([]storage.GroupMember, error) {
	defer rows.Close()
	out := []storage.GroupMember{}
	for rows.Next() {
		var m storage.GroupMember
		var data string
		if err := rows.Scan(&m.ID, &m.GroupID, &m.UserID, &m.InsertInstant, &data); err != nil {
			return nil, s.wrap(err)
		}
		if err := decode(data, &m.Data); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, s.wrap(rows.Err())
}

// SaveGroupMembers adds members (upserting on group and user) and, for the
// groups in replace, first removes the memberships not listed, all in one
// transaction. It returns the memberships as stored: an existing pair keeps
// its id and insert instant.
func (s *Store) SaveGroupMembers(ctx context.Context, members []storage.GroupMember, replace []string, audit ...storage.AuditEntry) ([]storage.GroupMember, error) {
	var out []storage.GroupMember
	err := s.tx(ctx, func(q querier) error {
		out = out[:0]
		for _, g := range replace {
			if err := pruneGroup(ctx, q, g, members); err != nil {
				return err
			}
		}
		for _, m := range members {
			data, err := encode(m.Data)
			if err != nil {
				return err
			}
			rows, err := q.QueryContext(ctx, `INSERT INTO group_members (id, group_id, user_id, insert_instant, data)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (group_id, user_id) DO UPDATE SET data = excluded.data
				RETURNING `+memberColumns, m.ID, m.GroupID, m.UserID, m.InsertInstant, data)
			if err != nil {
				return err
			}
			saved, err := scanMembers(s, rows)
			if err != nil {
				return err
			}
			out = append(out, saved...)
		}
		return insertAudit(ctx, q, audit)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pruneGroup removes group's memberships whose user is not among members
// of that group (PUT /api/group/member replaces a group's membership). A
// group that does not exist is ErrNotFound.
func pruneGroup(ctx context.Context, q querier, group string, members []storage.GroupMember) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_groups WHERE id = $1`, group).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	w := &whereBuilder{}
	w.add("group_id = ?", group)
	var keep []string
	for _, m := range members {
		if m.GroupID == group {
			keep = append(keep, m.UserID)
		}
	}
	if len(keep) > 0 {
		w.conds = append(w.conds, "user_id NOT IN "+w.inList(keep))
	}
	_, err := q.ExecContext(ctx, `DELETE FROM group_members`+w.sql(), w.args...)
	return err
}

// DeleteGroupMembers removes the memberships f selects and returns them.
func (s *Store) DeleteGroupMembers(ctx context.Context, f storage.GroupMemberFilter, audit ...storage.AuditEntry) ([]storage.GroupMember, error) {
	w, err := memberWhere(f)
	if err != nil {
		return nil, err
	}
	var out []storage.GroupMember
	err = s.tx(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `DELETE FROM group_members`+w.sql()+` RETURNING `+memberColumns, w.args...)
		if err != nil {
			return err
		}
		if out, err = scanMembers(s, rows); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
	return out, err
}

// ListGroupMembers returns one page of the memberships f selects, ordered
// by insert instant and id, and how many there are in all.
func (s *Store) ListGroupMembers(ctx context.Context, f storage.GroupMemberFilter) ([]storage.GroupMember, int, error) {
	w, err := memberWhere(f)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_members`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, s.wrap(err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+memberColumns+` FROM group_members`+w.sql()+
		` ORDER BY insert_instant, id`+w.page(s.dialect, f.Offset, f.Limit), w.args...)
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	members, err := scanMembers(s, rows)
	return members, total, err
}

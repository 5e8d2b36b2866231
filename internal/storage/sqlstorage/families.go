package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lockFamilyUser locks the user's row (FOR UPDATE on PostgreSQL; SQLite
// writes one transaction at a time) and returns their tenant, so that two
// writes about one user's memberships never both pass the one-family check.
func (s *Store) lockFamilyUser(ctx context.Context, q querier, userID string) (string, error) {
	query := `SELECT tenant_id FROM users WHERE id = $1`
	if s.dialect == DialectPostgres {
		query += ` FOR UPDATE`
	}
	var tenant string
	err := q.QueryRowContext(ctx, query, userID).Scan(&tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return "", storage.ErrNotFound
	}
	return tenant, err
}

// inFamily reports whether the user is a member of a family other than
// except (every family when except is empty).
func inFamily(ctx context.Context, q querier, userID, except string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM family_members WHERE user_id = $1 AND family_id <> $2 LIMIT 1`, userID, except).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CreateFamily stores the family and its first member in one transaction.
func (s *Store) CreateFamily(ctx context.Context, m storage.FamilyMember, audit ...storage.AuditEntry) error {
	data, err := encode(orEmpty(m.Data))
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		tenant, err := s.lockFamilyUser(ctx, q, m.UserID)
		if err != nil {
			return err
		}
		if in, err := inFamily(ctx, q, m.UserID, ""); err != nil || in {
			return errOr(err, storage.ErrInFamily)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO families (id, tenant_id, insert_instant, last_update_instant) VALUES ($1, $2, $3, $3)`,
			m.FamilyID, tenant, m.InsertInstant); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO family_members (family_id, user_id, role, owner, data, insert_instant, last_update_instant)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, m.FamilyID, m.UserID, m.Role, boolInt(m.Owner), data, m.InsertInstant); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// PutFamilyMember adds or updates one membership in one transaction.
func (s *Store) PutFamilyMember(ctx context.Context, m storage.FamilyMember, audit ...storage.AuditEntry) (storage.Family, error) {
	data, err := encode(orEmpty(m.Data))
	if err != nil {
		return storage.Family{}, err
	}
	var f storage.Family
	err = s.tx(ctx, func(q querier) error {
		tenant, err := s.lockFamilyUser(ctx, q, m.UserID)
		if err != nil {
			return err
		}
		var famTenant string
		if err := q.QueryRowContext(ctx, `SELECT tenant_id FROM families WHERE id = $1`, m.FamilyID).Scan(&famTenant); err != nil || famTenant != tenant {
			return errOr(err, storage.ErrNotFound)
		}
		if m.Role == storage.FamilyAdult {
			if in, err := inFamily(ctx, q, m.UserID, m.FamilyID); err != nil || in {
				return errOr(err, storage.ErrInFamily)
			}
		}
		res, err := q.ExecContext(ctx, `UPDATE family_members SET role = $3, owner = $4, data = $5, last_update_instant = $6
			WHERE family_id = $1 AND user_id = $2`, m.FamilyID, m.UserID, m.Role, boolInt(m.Owner), data, m.LastUpdateInstant)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := q.ExecContext(ctx, `INSERT INTO family_members (family_id, user_id, role, owner, data, insert_instant, last_update_instant)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, m.FamilyID, m.UserID, m.Role, boolInt(m.Owner), data, m.InsertInstant, m.LastUpdateInstant); err != nil {
				return err
			}
		}
		if _, err := q.ExecContext(ctx, `UPDATE families SET last_update_instant = $2 WHERE id = $1`, m.FamilyID, m.LastUpdateInstant); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, audit); err != nil {
			return err
		}
		fs, err := s.families(ctx, q, `f.id = $1`, m.FamilyID)
		if err == nil && len(fs) == 1 {
			f = fs[0]
		}
		return err
	})
	return f, err
}

// RemoveFamilyMember deletes the membership, then the family when no
// member is left, in one transaction.
func (s *Store) RemoveFamilyMember(ctx context.Context, familyID, userID string, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM family_members WHERE family_id = $1 AND user_id = $2`, familyID, userID)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM families WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = families.id)`, familyID); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// deleteUserFamiliesTx deletes the families whose only member userID is,
// before the user's delete cascades to their memberships (deleteUserTx).
func deleteUserFamiliesTx(ctx context.Context, q querier, userID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM families WHERE id IN (SELECT family_id FROM family_members WHERE user_id = $1)
		AND NOT EXISTS (SELECT 1 FROM family_members m WHERE m.family_id = families.id AND m.user_id <> $1)`, userID)
	return err
}

// GetFamily returns the family with its members.
func (s *Store) GetFamily(ctx context.Context, id string) (storage.Family, error) {
	fs, err := s.families(ctx, s.r, `f.id = $1`, id)
	if err != nil {
		return storage.Family{}, s.wrap(err)
	}
	if len(fs) == 0 {
		return storage.Family{}, storage.ErrNotFound
	}
	return fs[0], nil
}

// ListUserFamilies returns the user's families with all their members.
func (s *Store) ListUserFamilies(ctx context.Context, userID string) ([]storage.Family, error) {
	fs, err := s.families(ctx, s.r, `f.id IN (SELECT family_id FROM family_members WHERE user_id = $1)`, userID)
	return fs, s.wrap(err)
}

// families reads the families where (over families f) selects, each with
// its members, families by insertInstant then id, members by
// insertInstant then user id.
func (s *Store) families(ctx context.Context, q querier, where string, args ...any) ([]storage.Family, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.tenant_id, f.insert_instant, f.last_update_instant,
		m.user_id, m.role, m.owner, m.data, m.insert_instant, m.last_update_instant
		FROM families f JOIN family_members m ON m.family_id = f.id WHERE `+where+`
		ORDER BY f.insert_instant, f.id, m.insert_instant, m.user_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.Family{}
	for rows.Next() {
		var f storage.Family
		var m storage.FamilyMember
		var owner int
		var data string
		if err := rows.Scan(&f.ID, &f.TenantID, &f.InsertInstant, &f.LastUpdateInstant,
			&m.UserID, &m.Role, &owner, &data, &m.InsertInstant, &m.LastUpdateInstant); err != nil {
			return nil, err
		}
		if err := decode(data, &m.Data); err != nil {
			return nil, err
		}
		m.FamilyID, m.TenantID, m.Owner = f.ID, f.TenantID, owner != 0
		if len(m.Data) == 0 {
			m.Data = nil
		}
		if n := len(out); n == 0 || out[n-1].ID != f.ID {
			out = append(out, f)
		}
		out[len(out)-1].Members = append(out[len(out)-1].Members, m)
	}
	return out, rows.Err()
}

// ListPendingChildren finds the tenant's users by parentEmail that no
// family with an adult owner holds (a scan of the tenant's users).
func (s *Store) ListPendingChildren(ctx context.Context, tenantID, parentEmail string, limit int) ([]string, error) {
	// Only a document naming parentEmail is parsed (CASE orders the
	// evaluation), so the scan of the tenant's users stays cheap.
	expr := `CASE WHEN u.doc LIKE '%"parentEmail"%' THEN lower(json_extract(u.doc, '$.parentEmail')) END`
	if s.dialect == DialectPostgres {
		expr = `CASE WHEN u.doc LIKE '%"parentEmail"%' THEN lower((u.doc::jsonb) ->> 'parentEmail') END`
	}
	rows, err := s.r.QueryContext(ctx, `SELECT u.id FROM users u WHERE u.tenant_id = $1 AND `+expr+` = $2
		AND NOT EXISTS (SELECT 1 FROM family_members m JOIN family_members o ON o.family_id = m.family_id
			WHERE m.user_id = u.id AND o.owner = 1 AND o.role = 'Adult')
		ORDER BY u.id LIMIT $3`, tenantID, strings.ToLower(parentEmail), limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	ids, err := scanIDs(rows)
	if ids == nil && err == nil {
		ids = []string{}
	}
	return ids, s.wrap(err)
}

// scanIDs reads a query's single column of ids and closes rows.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// errOr is err when there is one, else sentinel.
func errOr(err, sentinel error) error {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return sentinel
}

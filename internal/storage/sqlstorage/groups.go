package sqlstorage

import (
	"context"
	"errors"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// groupDoc is the JSON document of a group; roles live in group_roles.
type groupDoc struct {
	Name              string         `json:"name"`
	Data              map[string]any `json:"data,omitempty"`
	InsertInstant     int64          `json:"insertInstant"`
	LastUpdateInstant int64          `json:"lastUpdateInstant"`
}

func encodeGroup(g storage.Group) (string, error) {
	return encode(groupDoc{Name: g.Name, Data: g.Data, InsertInstant: g.InsertInstant, LastUpdateInstant: g.LastUpdateInstant})
}

// insertGroupRoles writes g's roles; a role whose application is gone is
// ErrNotFound (foreign key).
func insertGroupRoles(ctx context.Context, q querier, g storage.Group) error {
	for _, r := range g.Roles {
		if _, err := q.ExecContext(ctx, `INSERT INTO group_roles (group_id, application_id, role_id) VALUES ($1, $2, $3)
			ON CONFLICT (group_id, role_id) DO NOTHING`, g.ID, r.ApplicationID, r.RoleID); err != nil {
			return err
		}
	}
	return nil
}

// CreateGroup stores g with its roles in one transaction.
func (s *Store) CreateGroup(ctx context.Context, g storage.Group, audit ...storage.AuditEntry) error {
	doc, err := encodeGroup(g)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO user_groups (id, tenant_id, name_lower, doc) VALUES ($1, $2, $3, $4)`,
			g.ID, g.TenantID, strings.ToLower(g.Name), doc); err != nil {
			return err
		}
		if err := insertGroupRoles(ctx, q, g); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// GetGroup returns the group with its roles, or ErrNotFound.
func (s *Store) GetGroup(ctx context.Context, id string) (storage.Group, error) {
	groups, err := s.listGroups(ctx, ` WHERE g.id = $1`, id)
	if err != nil {
		return storage.Group{}, err
	}
	if len(groups) == 0 {
		return storage.Group{}, storage.ErrNotFound
	}
	return groups[0], nil
}

// ListGroups lists every group with its roles, ordered by name.
func (s *Store) ListGroups(ctx context.Context) ([]storage.Group, error) {
	return s.listGroups(ctx, "")
}

// listGroups reads groups and their roles in one query (a group without
// roles comes once with NULL role columns).
func (s *Store) listGroups(ctx context.Context, where string, args ...any) ([]storage.Group, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT g.id, g.tenant_id, g.doc, g.revision, r.application_id, r.role_id
		FROM user_groups g LEFT JOIN group_roles r ON r.group_id = g.id`+where+`
		ORDER BY g.name_lower, g.id, r.application_id, r.role_id`, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.Group{}
	for rows.Next() {
		var id, tenant, doc string
		var rev int64
		var app, role *string
		if err := rows.Scan(&id, &tenant, &doc, &rev, &app, &role); err != nil {
			return nil, s.wrap(err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			var d groupDoc
			if err := decode(doc, &d); err != nil {
				return nil, err
			}
			out = append(out, storage.Group{ID: id, TenantID: tenant, Name: d.Name, Data: d.Data, Roles: []storage.GroupRole{},
				InsertInstant: d.InsertInstant, LastUpdateInstant: d.LastUpdateInstant, Revision: rev})
		}
		if app != nil && role != nil {
			g := &out[len(out)-1]
			g.Roles = append(g.Roles, storage.GroupRole{ApplicationID: *app, RoleID: *role})
		}
	}
	return out, s.wrap(rows.Err())
}

// UpdateGroup replaces the group's name, data and roles in one
// transaction, on the condition that its revision is still g.Revision
// when that is not 0 (updateRevised): the roles are the group's too.
func (s *Store) UpdateGroup(ctx context.Context, g storage.Group, audit ...storage.AuditEntry) error {
	doc, err := encodeGroup(g)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		if err := updateRevised(ctx, q, "user_groups", g.ID, g.Revision, `name_lower = $2, doc = $3`, strings.ToLower(g.Name), doc); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM group_roles WHERE group_id = $1`, g.ID); err != nil {
			return err
		}
		if err := insertGroupRoles(ctx, q, g); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// DeleteGroup removes the group; its roles and memberships cascade.
func (s *Store) DeleteGroup(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM user_groups WHERE id = $1`, id))
}

// GroupRolesOf returns the role ids each group grants in appID.
func (s *Store) GroupRolesOf(ctx context.Context, appID string) (map[string][]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT group_id, role_id FROM group_roles WHERE application_id = $1
		ORDER BY group_id, role_id`, appID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var g, r string
		if err := rows.Scan(&g, &r); err != nil {
			return nil, s.wrap(err)
		}
		out[g] = append(out[g], r)
	}
	return out, s.wrap(rows.Err())
}

// errEmptyMemberFilter refuses a filter that would select every membership.
var errEmptyMemberFilter = errors.New("sqlstorage: a group member filter needs ids, a group id or user ids")

// memberWhere is the WHERE clause of a member filter.
func memberWhere(f storage.GroupMemberFilter) (*whereBuilder, error) {
	w := &whereBuilder{}
	if len(f.IDs) == 0 && f.GroupID == "" && len(f.UserIDs) == 0 {
		return nil, errEmptyMemberFilter
	}
	if len(f.IDs) > 0 {
		w.conds = append(w.conds, "id IN "+w.inList(f.IDs))
	}
	if f.GroupID != "" {
		w.add("group_id = ?", f.GroupID)
	}
	if len(f.UserIDs) > 0 {
		w.conds = append(w.conds, "user_id IN "+w.inList(f.UserIDs))
	}
	return w, nil
}

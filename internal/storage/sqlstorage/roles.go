package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Registrations hold role names in their JSON document (roles), so a role
// renamed or deleted is carried into them with the dialect's JSON functions,
// in the transaction that changes the application.

// dropRoleSQL removes the role name $2 from the roles of every registration
// of application $1 that holds it (SQLite json_each/json_group_array,
// https://www.sqlite.org/json1.html; PostgreSQL jsonb "-", which removes
// every matching string element).
func (s *Store) dropRoleSQL() string {
	if s.dialect == DialectPostgres {
		return `UPDATE registrations SET revision = revision + 1, doc = jsonb_set(doc::jsonb, '{roles}', (doc::jsonb -> 'roles') - CAST($2 AS TEXT))::text
			WHERE application_id = $1 AND doc::jsonb -> 'roles' ? CAST($2 AS TEXT)`
	}
	return `UPDATE registrations SET revision = revision + 1, doc = json_set(doc, '$.roles',
			json((SELECT json_group_array(value) FROM json_each(registrations.doc, '$.roles') WHERE value <> $2)))
		WHERE application_id = $1 AND EXISTS (SELECT 1 FROM json_each(registrations.doc, '$.roles') WHERE value = $2)`
}

// renameRoleSQL replaces the role name $2 by $3 in every registration of
// application $1 that holds it.
func (s *Store) renameRoleSQL() string {
	if s.dialect == DialectPostgres {
		return `UPDATE registrations SET revision = revision + 1, doc = jsonb_set(doc::jsonb, '{roles}',
				(SELECT jsonb_agg(CASE WHEN e = to_jsonb(CAST($2 AS TEXT)) THEN to_jsonb(CAST($3 AS TEXT)) ELSE e END)
				 FROM jsonb_array_elements(doc::jsonb -> 'roles') e))::text
			WHERE application_id = $1 AND doc::jsonb -> 'roles' ? CAST($2 AS TEXT)`
	}
	return `UPDATE registrations SET revision = revision + 1, doc = json_set(doc, '$.roles',
			json((SELECT json_group_array(CASE WHEN value = $2 THEN $3 ELSE value END) FROM json_each(registrations.doc, '$.roles'))))
		WHERE application_id = $1 AND EXISTS (SELECT 1 FROM json_each(registrations.doc, '$.roles') WHERE value = $2)`
}

// ChangeApplicationRole stores the application (on the condition of its
// revision, as UpdateApplication) and carries a role's rename or deletion
// into registrations and groups, in one transaction.
func (s *Store) ChangeApplicationRole(ctx context.Context, c storage.RoleChange, audit ...storage.AuditEntry) error {
	a := c.Application
	doc, err := encode(a)
	if err != nil {
		return err
	}
	newName := ""
	for _, r := range a.Roles {
		if r.ID == c.RoleID {
			newName = r.Name
		}
	}
	return s.tx(ctx, func(q querier) error {
		if err := updateApplicationTx(ctx, q, a, doc); err != nil {
			return err
		}
		switch {
		case c.Deleted:
			if c.OldName != "" {
				if _, err := q.ExecContext(ctx, s.dropRoleSQL(), a.ID, c.OldName); err != nil {
					return err
				}
			}
			if _, err := q.ExecContext(ctx, `DELETE FROM group_roles WHERE application_id = $1 AND role_id = $2`, a.ID, c.RoleID); err != nil {
				return err
			}
		case c.OldName != "" && newName != "" && c.OldName != newName:
			if _, err := q.ExecContext(ctx, s.renameRoleSQL(), a.ID, c.OldName, newName); err != nil {
				return err
			}
		}
		return insertAudit(ctx, q, audit)
	})
}

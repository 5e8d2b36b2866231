package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateEntityType stores a type; ErrConflict on a duplicate id or name.
func (s *Store) CreateEntityType(ctx context.Context, t storage.EntityType, audit ...storage.AuditEntry) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO entity_types (id, name, doc) VALUES ($1, $2, $3)`, t.ID, t.Name, doc)
	return err
}

// GetEntityType returns the type or ErrNotFound.
func (s *Store) GetEntityType(ctx context.Context, id string) (storage.EntityType, error) {
	var t storage.EntityType
	var doc string
	var rev int64
	if err := s.r.QueryRowContext(ctx, `SELECT doc, revision FROM entity_types WHERE id = $1`, id).Scan(&doc, &rev); err != nil {
		return t, s.wrap(err)
	}
	err := decode(doc, &t)
	t.Revision = rev
	return t, err
}

// ListEntityTypes lists every type by name.
func (s *Store) ListEntityTypes(ctx context.Context) ([]storage.EntityType, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT doc, revision FROM entity_types ORDER BY name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.EntityType{}
	for rows.Next() {
		var t storage.EntityType
		var doc string
		var rev int64
		if err := rows.Scan(&doc, &rev); err != nil {
			return nil, s.wrap(err)
		}
		if err := decode(doc, &t); err != nil {
			return nil, err
		}
		t.Revision = rev
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

// UpdateEntityType replaces the type, on the condition that its revision
// is still t.Revision when that is not 0, and takes every permission the
// type no longer has out of the grants on its entities, in one
// transaction.
func (s *Store) UpdateEntityType(ctx context.Context, t storage.EntityType, audit ...storage.AuditEntry) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	names := make([]string, len(t.Permissions))
	for i, p := range t.Permissions {
		names[i] = p.Name
	}
	kept, err := encode(names)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE entity_types SET name = $2, doc = $3, revision = revision + 1
			WHERE id = $1 AND ($4 = 0 OR revision = $4)`, t.ID, t.Name, doc, t.Revision)
		if err := revised(ctx, q, res, err, "entity_types", t.ID); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, s.keepGrantPermissionsSQL(), t.ID, kept); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// keepGrantPermissionsSQL keeps in the permissions of every grant on an
// entity of type $1 only the names of the JSON array $2 (the type's
// permissions), rewriting only the grants that hold another; as
// dropRoleSQL does for roles (SQLite json_each/json_group_array,
// PostgreSQL jsonb_array_elements/jsonb_agg).
func (s *Store) keepGrantPermissionsSQL() string {
	if s.dialect == DialectPostgres {
		return `UPDATE entity_grants SET doc = jsonb_set(doc::jsonb, '{permissions}',
				(SELECT COALESCE(jsonb_agg(e), '[]'::jsonb) FROM jsonb_array_elements(doc::jsonb -> 'permissions') e
				 WHERE e IN (SELECT jsonb_array_elements(CAST($2 AS TEXT)::jsonb))))::text
			WHERE entity_id IN (SELECT id FROM entities WHERE type_id = $1)
			AND EXISTS (SELECT 1 FROM jsonb_array_elements(doc::jsonb -> 'permissions') e
				WHERE e NOT IN (SELECT jsonb_array_elements(CAST($2 AS TEXT)::jsonb)))`
	}
	return `UPDATE entity_grants SET doc = json_set(doc, '$.permissions',
			json((SELECT json_group_array(value) FROM json_each(entity_grants.doc, '$.permissions')
				WHERE value IN (SELECT value FROM json_each($2)))))
		WHERE entity_id IN (SELECT id FROM entities WHERE type_id = $1)
		AND EXISTS (SELECT 1 FROM json_each(entity_grants.doc, '$.permissions') WHERE value NOT IN (SELECT value FROM json_each($2)))`
}

// revised ends a conditional write of the row of table with id (res, err
// its result): nil when it changed the row; when it changed none,
// ErrNotFound if the row is gone and ErrStale if its revision moved on,
// asked in the same transaction.
func revised(ctx context.Context, q querier, res sql.Result, err error, table, id string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var one int
	switch err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return storage.ErrNotFound
	case err != nil:
		return err
	}
	return storage.ErrStale
}

// DeleteEntityType removes the type; entities and grants cascade.
func (s *Store) DeleteEntityType(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM entity_types WHERE id = $1`, id))
}

// CreateEntity stores an entity; ErrConflict on a duplicate id or clientId,
// ErrNotFound for an unknown type.
func (s *Store) CreateEntity(ctx context.Context, e storage.Entity, audit ...storage.AuditEntry) error {
	doc, err := encode(e)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO entities (id, tenant_id, type_id, client_id, name, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.TenantID, e.TypeID, e.ClientID, e.Name, doc)
	return err
}

const entitySelect = `SELECT type_id, doc, revision FROM entities `

// scanEntity reads entitySelect's columns: TypeID and Revision are
// json:"-", so they live only in their columns.
func (s *Store) scanEntity(row interface{ Scan(...any) error }) (storage.Entity, error) {
	var e storage.Entity
	var typeID, doc string
	var rev int64
	if err := row.Scan(&typeID, &doc, &rev); err != nil {
		return e, s.wrap(err)
	}
	err := decode(doc, &e)
	e.TypeID, e.Revision = typeID, rev
	return e, err
}

// GetEntity returns the entity or ErrNotFound.
func (s *Store) GetEntity(ctx context.Context, id string) (storage.Entity, error) {
	return s.scanEntity(s.r.QueryRowContext(ctx, entitySelect+`WHERE id = $1`, id))
}

// FindEntityByClientID returns the entity whose clientId is clientID.
func (s *Store) FindEntityByClientID(ctx context.Context, clientID string) (storage.Entity, error) {
	return s.scanEntity(s.r.QueryRowContext(ctx, entitySelect+`WHERE client_id = $1`, clientID))
}

// ListEntities lists a tenant's entities by name.
func (s *Store) ListEntities(ctx context.Context, tenantID string) ([]storage.Entity, error) {
	rows, err := s.r.QueryContext(ctx, entitySelect+`WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []storage.Entity
	for rows.Next() {
		e, err := s.scanEntity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, s.wrap(rows.Err())
}

// UpdateEntity replaces the entity (its type stays), on the condition
// that its revision is still e.Revision when that is not 0.
func (s *Store) UpdateEntity(ctx context.Context, e storage.Entity, audit ...storage.AuditEntry) error {
	doc, err := encode(e)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE entities SET client_id = $2, name = $3, doc = $4, revision = revision + 1
			WHERE id = $1 AND ($5 = 0 OR revision = $5)`, e.ID, e.ClientID, e.Name, doc, e.Revision)
		if err := revised(ctx, q, res, err, "entities", e.ID); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// DeleteEntity removes the entity; grants on it and to it cascade.
func (s *Store) DeleteEntity(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM entities WHERE id = $1`, id))
}

// recipient is the WHERE clause naming a grant's recipient.
func recipient(recipientEntityID, userID string) (string, any) {
	if recipientEntityID != "" {
		return `recipient_entity_id = $2`, recipientEntityID
	}
	return `user_id = $2`, userID
}

// UpsertEntityGrant replaces the grant of its entity to its recipient, or
// creates it; the stored id and insert instant win over g's. One
// statement, INSERT ... ON CONFLICT DO UPDATE on the recipient's unique
// index (SQLite https://www.sqlite.org/lang_upsert.html, PostgreSQL
// https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT):
// a SELECT then INSERT lost to a concurrent first grant at READ COMMITTED.
// Before it, in the same transaction, grantablePermissions checks g's
// permissions against the entity's type as it is at the write.
func (s *Store) UpsertEntityGrant(ctx context.Context, g storage.EntityGrant, audit ...storage.AuditEntry) (storage.EntityGrant, error) {
	doc, err := encode(g)
	if err != nil {
		return g, err
	}
	var rec, user any
	target := `(entity_id, user_id) WHERE user_id IS NOT NULL`
	if g.RecipientEntityID != "" {
		rec, target = g.RecipientEntityID, `(entity_id, recipient_entity_id) WHERE recipient_entity_id IS NOT NULL`
	} else {
		user = g.UserID
	}
	keep := `json_set(excluded.doc, '$.id', entity_grants.id, '$.insertInstant', json_extract(entity_grants.doc, '$.insertInstant'))`
	if s.dialect == DialectPostgres {
		keep = `jsonb_set(jsonb_set(excluded.doc::jsonb, '{id}', to_jsonb(entity_grants.id)), '{insertInstant}',
			COALESCE(entity_grants.doc::jsonb -> 'insertInstant', excluded.doc::jsonb -> 'insertInstant'))::text`
	}
	var out storage.EntityGrant
	err = s.tx(ctx, func(q querier) error {
		if err := s.grantablePermissions(ctx, q, g); err != nil {
			return err
		}
		var stored string
		if err := q.QueryRowContext(ctx, `INSERT INTO entity_grants (id, entity_id, recipient_entity_id, user_id, doc)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT `+target+` DO UPDATE SET doc = `+keep+` RETURNING doc`,
			g.ID, g.EntityID, rec, user, doc).Scan(&stored); err != nil {
			return err
		}
		out = storage.EntityGrant{}
		if err := decode(stored, &out); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
	if err != nil {
		return g, err
	}
	out.EntityID = g.EntityID
	return out, nil
}

// GetEntityGrant finds the grant on entityID to a recipient entity or user.
func (s *Store) GetEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string) (storage.EntityGrant, error) {
	where, who := recipient(recipientEntityID, userID)
	var g storage.EntityGrant
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM entity_grants WHERE entity_id = $1 AND `+where, entityID, who).Scan(&doc); err != nil {
		return g, s.wrap(err)
	}
	err := decode(doc, &g)
	g.EntityID = entityID
	return g, err
}

// ListEntityGrants lists the grants on an entity.
func (s *Store) ListEntityGrants(ctx context.Context, entityID string) ([]storage.EntityGrant, error) {
	gs, err := listDocs[storage.EntityGrant](ctx, s, `SELECT doc FROM entity_grants WHERE entity_id = $1 ORDER BY id`, entityID)
	for i := range gs {
		gs[i].EntityID = entityID
	}
	return gs, err
}

// DeleteEntityGrant removes one grant; ErrNotFound when there is none.
func (s *Store) DeleteEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string, audit ...storage.AuditEntry) error {
	where, who := recipient(recipientEntityID, userID)
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM entity_grants WHERE entity_id = $1 AND `+where, entityID, who))
}

// grantablePermissions is ErrStale when g names a permission its entity's
// type does not have (deleted since the caller checked), ErrNotFound when
// the entity is gone. It reads the type in the grant's transaction: on
// PostgreSQL under FOR SHARE, so a concurrent UpdateEntityType either
// commits first (and this read, which waits for it, sees its permissions)
// or waits for the grant to commit (and its keepGrantPermissionsSQL, a
// later statement at READ COMMITTED, sees the grant and strips it); SQLite
// has one writer. Either way no stored grant names a deleted permission.
func (s *Store) grantablePermissions(ctx context.Context, q querier, g storage.EntityGrant) error {
	query := `SELECT t.doc FROM entities e JOIN entity_types t ON t.id = e.type_id WHERE e.id = $1`
	if s.dialect == DialectPostgres {
		query += ` FOR SHARE`
	}
	var doc string
	if err := q.QueryRowContext(ctx, query, g.EntityID).Scan(&doc); errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	} else if err != nil {
		return err
	}
	var t storage.EntityType
	if err := decode(doc, &t); err != nil {
		return err
	}
	for _, p := range g.Permissions {
		if !slices.ContainsFunc(t.Permissions, func(tp storage.EntityTypePermission) bool { return tp.Name == p }) {
			return storage.ErrStale
		}
	}
	return nil
}

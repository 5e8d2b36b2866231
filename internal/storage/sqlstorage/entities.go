package sqlstorage

import (
	"context"
	"database/sql"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateEntityType stores a type; ErrConflict on a duplicate id or name.
func (s *Store) CreateEntityType(ctx context.Context, t storage.EntityType) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO entity_types (id, name, doc) VALUES ($1, $2, $3)`, t.ID, t.Name, doc)
	return err
}

// GetEntityType returns the type or ErrNotFound.
func (s *Store) GetEntityType(ctx context.Context, id string) (storage.EntityType, error) {
	var t storage.EntityType
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM entity_types WHERE id = $1`, id).Scan(&doc); err != nil {
		return t, s.wrap(err)
	}
	return t, decode(doc, &t)
}

// ListEntityTypes lists every type by name.
func (s *Store) ListEntityTypes(ctx context.Context) ([]storage.EntityType, error) {
	return listDocs[storage.EntityType](ctx, s, `SELECT doc FROM entity_types ORDER BY name`)
}

// UpdateEntityType replaces the type.
func (s *Store) UpdateEntityType(ctx context.Context, t storage.EntityType) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	return s.mustAffect(s.exec(ctx, `UPDATE entity_types SET name = $2, doc = $3 WHERE id = $1`, t.ID, t.Name, doc))
}

// DeleteEntityType removes the type; entities and grants cascade.
func (s *Store) DeleteEntityType(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM entity_types WHERE id = $1`, id))
}

// CreateEntity stores an entity; ErrConflict on a duplicate id or clientId,
// ErrNotFound for an unknown type.
func (s *Store) CreateEntity(ctx context.Context, e storage.Entity) error {
	doc, err := encode(e)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO entities (id, tenant_id, type_id, client_id, name, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.TenantID, e.TypeID, e.ClientID, e.Name, doc)
	return err
}

const entitySelect = `SELECT type_id, doc FROM entities `

func (s *Store) scanEntity(row *sql.Row) (storage.Entity, error) {
	var e storage.Entity
	var typeID, doc string
	if err := row.Scan(&typeID, &doc); err != nil {
		return e, s.wrap(err)
	}
	err := decode(doc, &e)
	e.TypeID = typeID
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
		var e storage.Entity
		var typeID, doc string
		if err := rows.Scan(&typeID, &doc); err != nil {
			return nil, s.wrap(err)
		}
		if err := decode(doc, &e); err != nil {
			return nil, err
		}
		e.TypeID = typeID
		out = append(out, e)
	}
	return out, s.wrap(rows.Err())
}

// UpdateEntity replaces the entity (its type stays).
func (s *Store) UpdateEntity(ctx context.Context, e storage.Entity) error {
	doc, err := encode(e)
	if err != nil {
		return err
	}
	return s.mustAffect(s.exec(ctx, `UPDATE entities SET client_id = $2, name = $3, doc = $4 WHERE id = $1`,
		e.ID, e.ClientID, e.Name, doc))
}

// DeleteEntity removes the entity; grants on it and to it cascade.
func (s *Store) DeleteEntity(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM entities WHERE id = $1`, id))
}

// recipient is the WHERE clause naming a grant's recipient.
func recipient(recipientEntityID, userID string) (string, any) {
	if recipientEntityID != "" {
		return `recipient_entity_id = $2`, recipientEntityID
	}
	return `user_id = $2`, userID
}

// UpsertEntityGrant replaces the grant of its entity to its recipient, or
// creates it; the stored id and insert instant win over g's.
func (s *Store) UpsertEntityGrant(ctx context.Context, g storage.EntityGrant) (storage.EntityGrant, error) {
	err := s.tx(ctx, func(q querier) error {
		where, who := recipient(g.RecipientEntityID, g.UserID)
		var doc string
		err := q.QueryRowContext(ctx, `SELECT doc FROM entity_grants WHERE entity_id = $1 AND `+where, g.EntityID, who).Scan(&doc)
		switch err {
		case nil:
			var old storage.EntityGrant
			if err := decode(doc, &old); err != nil {
				return err
			}
			g.ID, g.InsertInstant = old.ID, old.InsertInstant
			if doc, err = encode(g); err != nil {
				return err
			}
			_, err = q.ExecContext(ctx, `UPDATE entity_grants SET doc = $1 WHERE id = $2`, doc, g.ID)
			return err
		case sql.ErrNoRows:
			if doc, err = encode(g); err != nil {
				return err
			}
			var rec, user any
			if g.RecipientEntityID != "" {
				rec = g.RecipientEntityID
			} else {
				user = g.UserID
			}
			_, err = q.ExecContext(ctx, `INSERT INTO entity_grants (id, entity_id, recipient_entity_id, user_id, doc)
				VALUES ($1, $2, $3, $4, $5)`, g.ID, g.EntityID, rec, user, doc)
			return err
		default:
			return err
		}
	})
	return g, err
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
func (s *Store) DeleteEntityGrant(ctx context.Context, entityID, recipientEntityID, userID string) error {
	where, who := recipient(recipientEntityID, userID)
	return s.mustAffect(s.exec(ctx, `DELETE FROM entity_grants WHERE entity_id = $1 AND `+where, entityID, who))
}

package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateTenant stores a tenant; ErrConflict on a duplicate id.
func (s *Store) CreateTenant(ctx context.Context, t storage.Tenant) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO tenants (id, doc) VALUES ($1, $2)`, t.ID, doc)
	return err
}

// GetTenant returns the tenant or ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, id string) (storage.Tenant, error) {
	var t storage.Tenant
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM tenants WHERE id = $1`, id).Scan(&doc); err != nil {
		return t, s.wrap(err)
	}
	return t, decode(doc, &t)
}

// ListTenants lists every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]storage.Tenant, error) {
	return listDocs[storage.Tenant](ctx, s, `SELECT doc FROM tenants ORDER BY id`)
}

// UpdateTenant replaces the tenant; ErrNotFound when it does not exist.
func (s *Store) UpdateTenant(ctx context.Context, t storage.Tenant, audit ...storage.AuditEntry) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	return s.mustAffect(s.execAudited(ctx, audit, `UPDATE tenants SET doc = $2 WHERE id = $1`, t.ID, doc))
}

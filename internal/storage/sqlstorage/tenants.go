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
	var rev int64
	if err := s.r.QueryRowContext(ctx, `SELECT doc, revision FROM tenants WHERE id = $1`, id).Scan(&doc, &rev); err != nil {
		return t, s.wrap(err)
	}
	err := decode(doc, &t)
	t.Revision = rev
	return t, err
}

// ListTenants lists every tenant ordered by id.
func (s *Store) ListTenants(ctx context.Context) ([]storage.Tenant, error) {
	return listDocs[storage.Tenant](ctx, s, `SELECT doc FROM tenants ORDER BY id`)
}

// UpdateTenant replaces the tenant, on the condition that its revision is
// still t.Revision when that is not 0: ErrNotFound when it does not exist,
// ErrStale when it changed since.
func (s *Store) UpdateTenant(ctx context.Context, t storage.Tenant, audit ...storage.AuditEntry) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE tenants SET doc = $2, revision = revision + 1 WHERE id = $1 AND ($3 = 0 OR revision = $3)`,
			t.ID, doc, t.Revision)
		if err := revised(ctx, q, res, err, "tenants", t.ID); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

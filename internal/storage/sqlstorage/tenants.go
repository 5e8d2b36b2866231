package sqlstorage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ms stores an instant as UTC milliseconds; the zero time is 0 so that "unset"
// round-trips.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlstorage: encode %T: %w", v, err)
	}
	return string(b), nil
}

func decode(doc string, v any) error {
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("sqlstorage: decode %T: %w", v, err)
	}
	return nil
}

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

// mustAffect turns "no row changed" into ErrNotFound.
func (s *Store) mustAffect(n int64, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// listDocs runs a query selecting one JSON document column.
func listDocs[T any](ctx context.Context, s *Store, query string, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, s.wrap(err)
		}
		var v T
		if err := decode(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

// CreateApplication stores an application; ErrConflict on a duplicate id.
func (s *Store) CreateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error {
	doc, err := encode(a)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO applications (id, tenant_id, active, doc) VALUES ($1, $2, $3, $4)`,
		a.ID, a.TenantID, a.Active, doc)
	return err
}

// GetApplication returns the application or ErrNotFound.
func (s *Store) GetApplication(ctx context.Context, id string) (storage.Application, error) {
	var a storage.Application
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM applications WHERE id = $1`, id).Scan(&doc); err != nil {
		return a, s.wrap(err)
	}
	return a, decode(doc, &a)
}

// ListApplications lists active applications, or inactive ones when inactive
// is true (FusionAuth's GET /api/application?inactive=true).
func (s *Store) ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error) {
	return listDocs[storage.Application](ctx, s, `SELECT doc FROM applications WHERE active = $1 ORDER BY id`, !inactive)
}

// UpdateApplication replaces the application; ErrNotFound when missing.
func (s *Store) UpdateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error {
	doc, err := encode(a)
	if err != nil {
		return err
	}
	return s.mustAffect(s.execAudited(ctx, audit, `UPDATE applications SET tenant_id = $2, active = $3, doc = $4 WHERE id = $1`,
		a.ID, a.TenantID, a.Active, doc))
}

// GetSystemConfiguration returns ErrNotFound before the first Put.
func (s *Store) GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error) {
	var c storage.SystemConfiguration
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM system_configuration WHERE id = 1`).Scan(&doc); err != nil {
		return c, s.wrap(err)
	}
	return c, decode(doc, &c)
}

// PutSystemConfiguration stores the single system configuration (upsert).
func (s *Store) PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO system_configuration (id, doc) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, doc)
	return err
}

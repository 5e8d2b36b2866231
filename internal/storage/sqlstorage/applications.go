package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

// DeleteApplication is DeleteApplicationAt with the wall clock.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	return s.DeleteApplicationAt(ctx, id, time.Now())
}

// DeleteApplicationAt removes the application; its registrations and refresh
// tokens (with their hash history) go with it through ON DELETE CASCADE,
// after its sessions were tombstoned (reason application_deleted).
func (s *Store) DeleteApplicationAt(ctx context.Context, id string, at time.Time, audit ...storage.AuditEntry) error {
	return s.DeleteApplicationWith(ctx, storage.ApplicationDeletion{ID: id, At: at, Audit: audit})
}

// DeleteApplicationWith is DeleteApplicationAt enqueueing d.Outbox in its
// transaction.
func (s *Store) DeleteApplicationWith(ctx context.Context, d storage.ApplicationDeletion) error {
	return s.tx(ctx, func(q querier) error {
		if err := tombstone(ctx, q, "application_id", d.ID, d.At, "application_deleted"); err != nil {
			return err
		}
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM applications WHERE id = $1`, d.ID)); err != nil {
			return err
		}
		if err := enqueueTx(ctx, q, d.Outbox); err != nil {
			return err
		}
		return insertAudit(ctx, q, d.Audit)
	})
}

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
	var rev int64
	if err := s.r.QueryRowContext(ctx, `SELECT doc, revision FROM applications WHERE id = $1`, id).Scan(&doc, &rev); err != nil {
		return a, s.wrap(err)
	}
	err := decode(doc, &a)
	a.Revision = rev
	return a, err
}

// ListApplications lists active applications, or inactive ones when inactive
// is true (FusionAuth's GET /api/application?inactive=true).
func (s *Store) ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error) {
	return listDocs[storage.Application](ctx, s, `SELECT doc FROM applications WHERE active = $1 ORDER BY id`, !inactive)
}

// UpdateApplication replaces the application, on the condition that its
// revision is still a.Revision when that is not 0: ErrNotFound when
// missing, ErrStale when changed since.
func (s *Store) UpdateApplication(ctx context.Context, a storage.Application, audit ...storage.AuditEntry) error {
	doc, err := encode(a)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		if err := updateApplicationTx(ctx, q, a, doc); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// updateApplicationTx writes a (doc, its encoding) in UpdateApplication's
// or ChangeApplicationRole's transaction, raising the row's revision, while
// the row still has a.Revision when that is not 0.
func updateApplicationTx(ctx context.Context, q querier, a storage.Application, doc string) error {
	res, err := q.ExecContext(ctx, `UPDATE applications SET tenant_id = $2, active = $3, doc = $4, revision = revision + 1
		WHERE id = $1 AND ($5 = 0 OR revision = $5)`, a.ID, a.TenantID, a.Active, doc, a.Revision)
	return revised(ctx, q, res, err, "applications", a.ID)
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

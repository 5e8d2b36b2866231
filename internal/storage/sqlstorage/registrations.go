package sqlstorage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// registrationColumns are what scanRegistration reads.
const registrationColumns = `user_id, doc, revision`

// scanRegistration reads registrationColumns. UserID and Revision are
// json:"-" in the record, so they live only in their columns and are
// restored here.
func scanRegistration(s *Store, row interface{ Scan(...any) error }) (storage.Registration, error) {
	var r storage.Registration
	var userID, doc string
	var rev int64
	if err := row.Scan(&userID, &doc, &rev); err != nil {
		return r, s.wrap(err)
	}
	if err := decode(doc, &r); err != nil {
		return r, err
	}
	r.UserID, r.Revision = userID, rev
	return r, nil
}

// CreateRegistration stores a registration; ErrConflict when the user is
// already registered to the application (or the id is taken), ErrNotFound
// when the user or application does not exist.
func (s *Store) CreateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error {
	doc, err := encode(r)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO registrations (id, user_id, application_id, doc) VALUES ($1, $2, $3, $4)`,
		r.ID, r.UserID, r.ApplicationID, doc)
	return err
}

// GetRegistration returns the registration of userID to applicationID.
func (s *Store) GetRegistration(ctx context.Context, userID, applicationID string) (storage.Registration, error) {
	return scanRegistration(s, s.r.QueryRowContext(ctx,
		`SELECT `+registrationColumns+` FROM registrations WHERE user_id = $1 AND application_id = $2`, userID, applicationID))
}

// ListRegistrations lists a user's registrations ordered by application id.
func (s *Store) ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE user_id = $1 ORDER BY application_id`, userID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.Registration{}
	for rows.Next() {
		r, err := scanRegistration(s, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// UpdateRegistration replaces the registration identified by (user,
// application), on the condition that its revision is still r.Revision
// when that is not 0. Which of ErrNotFound and ErrStale a write that
// changed no row gets is asked only then, in the same transaction.
func (s *Store) UpdateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error {
	doc, err := encode(r)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE registrations SET doc = $3, revision = revision + 1
			WHERE user_id = $1 AND application_id = $2 AND (revision = $4 OR $4 = 0)`,
			r.UserID, r.ApplicationID, doc, r.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := q.QueryRowContext(ctx, `SELECT 1 FROM registrations WHERE user_id = $1 AND application_id = $2`,
				r.UserID, r.ApplicationID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			} else if err != nil {
				return err
			}
			return storage.ErrStale
		}
		return insertAudit(ctx, q, audit)
	})
}

// DeleteRegistration removes the registration; ErrNotFound when absent.
func (s *Store) DeleteRegistration(ctx context.Context, userID, applicationID string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM registrations WHERE user_id = $1 AND application_id = $2`, userID, applicationID))
}

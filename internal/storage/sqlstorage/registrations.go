package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// scanRegistration reads (user_id, doc). UserID is json:"-" in the record, so
// it lives only in the user_id column and is restored here.
func scanRegistration(s *Store, row interface{ Scan(...any) error }) (storage.Registration, error) {
	var r storage.Registration
	var userID, doc string
	if err := row.Scan(&userID, &doc); err != nil {
		return r, s.wrap(err)
	}
	if err := decode(doc, &r); err != nil {
		return r, err
	}
	r.UserID = userID
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
		`SELECT user_id, doc FROM registrations WHERE user_id = $1 AND application_id = $2`, userID, applicationID))
}

// ListRegistrations lists a user's registrations ordered by application id.
func (s *Store) ListRegistrations(ctx context.Context, userID string) ([]storage.Registration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, doc FROM registrations WHERE user_id = $1 ORDER BY application_id`, userID)
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

// UpdateRegistration replaces the registration identified by (user, application).
func (s *Store) UpdateRegistration(ctx context.Context, r storage.Registration, audit ...storage.AuditEntry) error {
	doc, err := encode(r)
	if err != nil {
		return err
	}
	return s.mustAffect(s.execAudited(ctx, audit, `UPDATE registrations SET doc = $3 WHERE user_id = $1 AND application_id = $2`,
		r.UserID, r.ApplicationID, doc))
}

// DeleteRegistration removes the registration; ErrNotFound when absent.
func (s *Store) DeleteRegistration(ctx context.Context, userID, applicationID string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM registrations WHERE user_id = $1 AND application_id = $2`, userID, applicationID))
}

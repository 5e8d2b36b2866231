package sqlstorage

import (
	"context"
	"encoding/json"

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

// CreateAPIKey stores a key by hash; ErrConflict on a duplicate id or hash.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error {
	endpoints, err := json.Marshal(k.Endpoints)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO api_keys (id, tenant_id, key_hash, description, endpoints, key_manager, expiration_instant, insert_instant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.TenantID, k.KeyHash, k.Description, string(endpoints), k.KeyManager, k.ExpirationInstant, k.InsertInstant)
	return err
}

const apiKeyColumns = `id, tenant_id, key_hash, description, endpoints, key_manager, expiration_instant, insert_instant`

func scanAPIKey(s *Store, row interface{ Scan(...any) error }) (storage.APIKey, error) {
	var k storage.APIKey
	var endpoints string
	if err := row.Scan(&k.ID, &k.TenantID, &k.KeyHash, &k.Description, &endpoints, &k.KeyManager, &k.ExpirationInstant, &k.InsertInstant); err != nil {
		return storage.APIKey{}, s.wrap(err)
	}
	return k, decode(endpoints, &k.Endpoints)
}

// GetAPIKeyByHash returns the key whose SHA-256 is hash, or ErrNotFound.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	return scanAPIKey(s, s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = $1`, hash))
}

// GetAPIKey returns the key with id, or ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, id string) (storage.APIKey, error) {
	return scanAPIKey(s, s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
}

// ListAPIKeys lists every key, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]storage.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY insert_instant, id`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(s, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, s.wrap(rows.Err())
}

// CountAPIKeys counts stored keys (zero means the instance is unconfigured).
func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	return n, s.wrap(err)
}

package sqlstorage

import (
	"context"
	"encoding/json"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateAPIKey stores a key by hash; ErrConflict on a duplicate id or hash.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error {
	endpoints, attributes, err := apiKeyDocs(k)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO api_keys (id, tenant_id, key_hash, description, attributes, endpoints, key_manager, expiration_instant, insert_instant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.TenantID, k.KeyHash, k.Description, attributes, endpoints, k.KeyManager, k.ExpirationInstant, k.InsertInstant)
	return err
}

// apiKeyDocs encodes k's endpoints and attributes as stored; no attribute
// is "{}", as a key stored before the column existed reads.
func apiKeyDocs(k storage.APIKey) (endpoints, attributes string, err error) {
	b, err := json.Marshal(k.Endpoints)
	if err != nil {
		return "", "", err
	}
	attributes = "{}"
	if len(k.Attributes) > 0 {
		if attributes, err = encode(k.Attributes); err != nil {
			return "", "", err
		}
	}
	return string(b), attributes, nil
}

const apiKeyColumns = `id, tenant_id, key_hash, description, attributes, endpoints, key_manager, expiration_instant, insert_instant, last_update_instant`

func scanAPIKey(s *Store, row interface{ Scan(...any) error }) (storage.APIKey, error) {
	var k storage.APIKey
	var endpoints, attributes string
	if err := row.Scan(&k.ID, &k.TenantID, &k.KeyHash, &k.Description, &attributes, &endpoints, &k.KeyManager, &k.ExpirationInstant, &k.InsertInstant, &k.LastUpdateInstant); err != nil {
		return storage.APIKey{}, s.wrap(err)
	}
	if err := decode(attributes, &k.Attributes); err != nil {
		return storage.APIKey{}, err
	}
	if len(k.Attributes) == 0 {
		k.Attributes = nil
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

// DeleteAPIKey removes a key; ErrNotFound when none has id. The key stops
// working at once: keys are looked up on every request, never cached.
func (s *Store) DeleteAPIKey(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	n, err := s.execAudited(ctx, audit, `DELETE FROM api_keys WHERE id = $1`, id)
	if err == nil && n == 0 {
		return storage.ErrNotFound
	}
	return err
}

// UpdateAPIKey replaces the key with k.ID; ErrNotFound when none has it,
// ErrConflict when another key has k.KeyHash. The change applies to the
// next request on every node: keys are never cached.
func (s *Store) UpdateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error {
	endpoints, attributes, err := apiKeyDocs(k)
	if err != nil {
		return err
	}
	n, err := s.execAudited(ctx, audit, `UPDATE api_keys SET tenant_id = $2, key_hash = $3, description = $4, attributes = $5, endpoints = $6,
		key_manager = $7, expiration_instant = $8, last_update_instant = $9 WHERE id = $1`,
		k.ID, k.TenantID, k.KeyHash, k.Description, attributes, endpoints, k.KeyManager, k.ExpirationInstant, k.LastUpdateInstant)
	if err == nil && n == 0 {
		return storage.ErrNotFound
	}
	return err
}

// CountAPIKeys counts stored keys (zero means the instance is unconfigured).
func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	return n, s.wrap(err)
}

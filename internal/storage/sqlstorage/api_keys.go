package sqlstorage

import (
	"context"
	"encoding/json"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

const apiKeyColumns = `id, tenant_id, key_hash, description, endpoints, key_manager, expiration_instant, insert_instant, last_update_instant`

func scanAPIKey(s *Store, row interface{ Scan(...any) error }) (storage.APIKey, error) {
	var k storage.APIKey
	var endpoints string
	if err := row.Scan(&k.ID, &k.TenantID, &k.KeyHash, &k.Description, &endpoints, &k.KeyManager, &k.ExpirationInstant, &k.InsertInstant, &k.LastUpdateInstant); err != nil {
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
	endpoints, err := json.Marshal(k.Endpoints)
	if err != nil {
		return err
	}
	n, err := s.execAudited(ctx, audit, `UPDATE api_keys SET tenant_id = $2, key_hash = $3, description = $4, endpoints = $5,
		key_manager = $6, expiration_instant = $7, last_update_instant = $8 WHERE id = $1`,
		k.ID, k.TenantID, k.KeyHash, k.Description, string(endpoints), k.KeyManager, k.ExpirationInstant, k.LastUpdateInstant)
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

package sqlstorage

import (
	"context"
	"encoding/json"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateAPIKey stores a key by hash; ErrConflict on a duplicate id or hash.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	endpoints, err := json.Marshal(k.Endpoints)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO api_keys (id, tenant_id, key_hash, description, endpoints, key_manager, expiration_instant, insert_instant)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.TenantID, k.KeyHash, k.Description, string(endpoints), k.KeyManager, k.ExpirationInstant, k.InsertInstant)
	return err
}

// GetAPIKeyByHash returns the key whose SHA-256 is hash, or ErrNotFound.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error) {
	var k storage.APIKey
	var endpoints string
	err := s.r.QueryRowContext(ctx, `SELECT id, tenant_id, key_hash, description, endpoints, key_manager, expiration_instant, insert_instant
		FROM api_keys WHERE key_hash = $1`, hash).
		Scan(&k.ID, &k.TenantID, &k.KeyHash, &k.Description, &endpoints, &k.KeyManager, &k.ExpirationInstant, &k.InsertInstant)
	if err != nil {
		return storage.APIKey{}, s.wrap(err)
	}
	return k, decode(endpoints, &k.Endpoints)
}

// CountAPIKeys counts stored keys (zero means the instance is unconfigured).
func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n)
	return n, s.wrap(err)
}

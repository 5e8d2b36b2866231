package sqlstorage

import (
	"context"
)

// ServerSecret inserts candidate unless name exists, then reads the stored
// value: every concurrent first caller gets the same bytes.
func (s *Store) ServerSecret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if _, err := s.exec(ctx, `INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
		return nil, err
	}
	var v []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, s.wrap(err)
	}
	return v, nil
}

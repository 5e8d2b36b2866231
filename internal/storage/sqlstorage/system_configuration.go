package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

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

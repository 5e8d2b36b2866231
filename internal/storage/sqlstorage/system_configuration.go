package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// GetSystemConfiguration returns ErrNotFound before the first Put.
func (s *Store) GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error) {
	var c storage.SystemConfiguration
	var doc string
	var rev int64
	if err := s.r.QueryRowContext(ctx, `SELECT doc, revision FROM system_configuration WHERE id = 1`).Scan(&doc, &rev); err != nil {
		return c, s.wrap(err)
	}
	err := decode(doc, &c)
	c.Revision = rev
	return c, err
}

// PutSystemConfiguration stores the single system configuration (upsert),
// on the condition that the row's revision is still c.Revision when that
// is not 0 (storage.Unstored: that there is no row yet); ErrStale when
// the condition fails. Both dialects' upserts skip the update when its
// WHERE fails, and then change no row.
func (s *Store) PutSystemConfiguration(ctx context.Context, c storage.SystemConfiguration, audit ...storage.AuditEntry) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO system_configuration (id, doc) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, revision = system_configuration.revision + 1
			WHERE $2 = 0 OR system_configuration.revision = $2`, doc, c.Revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return storage.ErrStale
		}
		return insertAudit(ctx, q, audit)
	})
}

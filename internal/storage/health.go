package storage

import "context"

// HealthStore answers the readiness questions of an operator's probe
// (GET /readyz, /api/status): is the schema current, and does the database
// accept a write right now.
type HealthStore interface {
	// PendingMigrations counts the migrations this binary carries that the
	// database has not applied (another node is migrating, or a migration
	// failed). Zero when the schema is current.
	PendingMigrations(ctx context.Context) (int, error)
	// ProbeWrite commits a small write that needs new space (a few pages),
	// and leaves nothing behind. It fails, with ErrUnavailable in the chain,
	// while the database refuses writes: a full disk, a read-only file or
	// filesystem, a PostgreSQL standby or read-only transaction default.
	ProbeWrite(ctx context.Context) error
}

package sqlstorage

import (
	"context"
	"time"
)

// DatabaseTime reads the database server's clock. PostgreSQL answers
// clock_timestamp() (the time at execution, not the transaction's start);
// SQLite is a library inside this process, so its clock is this process's.
func (s *Store) DatabaseTime(ctx context.Context) (time.Time, error) {
	if s.dialect != DialectPostgres {
		return time.Now(), nil
	}
	var t time.Time
	if err := s.r.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
		return time.Time{}, s.wrap(err)
	}
	return t, nil
}

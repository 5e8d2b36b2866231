package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// addEventCountSQL adds to a row in one statement: nodes flushing at once
// sum (no read-modify-write).
const addEventCountSQL = `INSERT INTO event_counts (hour, kind, count) VALUES ($1, $2, $3)
	ON CONFLICT (hour, kind) DO UPDATE SET count = event_counts.count + excluded.count`

// AddEventCounts adds a node's batch in one transaction: one upsert per
// (hour, kind).
func (s *Store) AddEventCounts(ctx context.Context, counts []storage.HourlyCount) error {
	return s.tx(ctx, func(q querier) error {
		for _, c := range counts {
			if c.Count == 0 {
				continue
			}
			if _, err := q.ExecContext(ctx, addEventCountSQL, ms(c.Hour.UTC().Truncate(time.Hour)), c.Kind, c.Count); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListEventCounts returns the rows of the hours in [from, to).
func (s *Store) ListEventCounts(ctx context.Context, from, to time.Time) ([]storage.HourlyCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT hour, kind, count FROM event_counts
		WHERE hour >= $1 AND hour < $2 ORDER BY hour, kind`, ms(from), ms(to))
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.HourlyCount{}
	for rows.Next() {
		var c storage.HourlyCount
		var hour int64
		if err := rows.Scan(&hour, &c.Kind, &c.Count); err != nil {
			return nil, s.wrap(err)
		}
		c.Hour = fromMS(hour)
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

package storage

import (
	"context"
	"time"
)

// HourlyCount is how many security events of one kind (login, failure,
// refresh, reuse, lockout: internal/tally) happened in one UTC hour, summed
// over every node that flushed into it.
type HourlyCount struct {
	Hour  time.Time // the start of the hour, UTC
	Kind  string
	Count int64
}

// EventCountStore keeps the dashboard's hourly counts. Each node adds its
// in-memory counts in batches (internal/tally); the store sums them. At
// most five rows an hour (44,000 a year), so nothing purges them.
type EventCountStore interface {
	// AddEventCounts adds each count to its (hour, kind) row in one
	// transaction, creating the row when missing: concurrent adds from
	// several nodes sum, none is lost. Zero counts are skipped.
	AddEventCounts(ctx context.Context, counts []HourlyCount) error
	// ListEventCounts returns the rows whose hour is in [from, to), by hour
	// then kind.
	ListEventCounts(ctx context.Context, from, to time.Time) ([]HourlyCount, error)
}

package storage

import "context"

// Event log types (FusionAuth's EventLogType).
const (
	EventLogDebug       = "Debug"
	EventLogError       = "Error"
	EventLogInformation = "Information"
)

// EventLog is one entry of the event log (FusionAuth's Event Log,
// https://fusionauth.io/docs/apis/event-logs): what went wrong in work no
// request waits for (an email not delivered, a webhook refused, a lambda
// that threw). The id is assigned by the store, in insert order.
type EventLog struct {
	ID            int64
	InsertInstant int64 // ms
	Type          string
	Message       string
}

// EventLogFilter selects entries, ordered by OrderBy ("insertInstant"
// (default), "id", "message" or "type"; ties by id), newest first unless
// Asc. Set fields are ANDed; Message is a case-insensitive pattern as
// AuditSearch's ('*' any run, else contains); Start and End bound
// insertInstant, inclusive, when not 0.
type EventLogFilter struct {
	Message, Type string
	Start, End    int64
	OrderBy       string
	Asc           bool
	Offset, Limit int // Limit 0: all
}

// EventLogStore stores the event log.
type EventLogStore interface {
	// CreateEventLog stores e and returns it with its id.
	CreateEventLog(ctx context.Context, e EventLog) (EventLog, error)
	// GetEventLog returns the entry with id, or ErrNotFound.
	GetEventLog(ctx context.Context, id int64) (EventLog, error)
	// SearchEventLogs returns one page of the entries f selects and the
	// number of matches in all.
	SearchEventLogs(ctx context.Context, f EventLogFilter) ([]EventLog, int, error)
	// PurgeEventLogs deletes at most limit of the oldest entries beyond the
	// newest keep (by id) and returns how many it deleted.
	PurgeEventLogs(ctx context.Context, keep, limit int) (int, error)
}

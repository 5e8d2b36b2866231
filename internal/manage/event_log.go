package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// DefaultEventLogRetention is how many event log entries are kept when the
// system configuration does not say (FusionAuth's
// eventLogConfiguration.numberToRetain default).
const DefaultEventLogRetention = 10_000

// MaxEventLogMessage bounds a stored message, in bytes: a server's reply or
// a lambda's console output can be long, and an operator needs its start.
const MaxEventLogMessage = 8 << 10

// EventLogsStore is what EventLogs uses.
type EventLogsStore interface {
	CreateEventLog(ctx context.Context, e storage.EventLog) (storage.EventLog, error)
	GetEventLog(ctx context.Context, id int64) (storage.EventLog, error)
	SearchEventLogs(ctx context.Context, f storage.EventLogFilter) ([]storage.EventLog, int, error)
	PurgeEventLogs(ctx context.Context, keep, limit int) (int, error)
	GetSystemConfiguration(ctx context.Context) (storage.SystemConfiguration, error)
}

// EventLogs is the event log (event-logs.mdx): where the work no request
// waits for (mail and webhook deliveries, lambdas) reports what went wrong.
// Written by that work (Write), read through the API, bounded by the
// janitor (Purge). Global: it has no tenant.
type EventLogs struct {
	Store EventLogsStore
	Now   func() time.Time
}

// EventLog is FusionAuth's EventLog, as answered.
type EventLog struct {
	ID            int64  `json:"id"`
	InsertInstant int64  `json:"insertInstant"`
	Message       string `json:"message"`
	Type          string `json:"type"`
}

func eventLogView(e storage.EventLog) EventLog {
	return EventLog{ID: e.ID, InsertInstant: e.InsertInstant, Message: e.Message, Type: e.Type}
}

// Write stores one entry of type typ (storage.EventLogError, …) now. The
// message must carry no secret: the writers build it from what they know
// is safe to show (names, ids, addresses, a server's reply). It is made
// storable (no NUL, valid UTF-8) and cut at MaxEventLogMessage.
func (el *EventLogs) Write(ctx context.Context, typ, message string) error {
	message = strings.ToValidUTF8(strings.ReplaceAll(message, "\x00", ""), "")
	if len(message) > MaxEventLogMessage {
		cut := MaxEventLogMessage
		for cut > 0 && !utf8.RuneStart(message[cut]) {
			cut--
		}
		message = message[:cut] + "…"
	}
	_, err := el.Store.CreateEventLog(ctx, storage.EventLog{InsertInstant: el.Now().UnixMilli(), Type: typ, Message: message})
	return err
}

// Get returns one entry (GET /api/system/event-log/{id}); ErrNotFound when
// unknown.
func (el *EventLogs) Get(ctx context.Context, id int64) (EventLog, error) {
	e, err := el.Store.GetEventLog(ctx, id)
	return eventLogView(e), notFound(err)
}

// EventLogQuery is an event log search (event-logs.mdx "Search Event
// Logs"): message contains (any case; '*' any run), type, an inclusive
// insertInstant range, orderBy, paging.
type EventLogQuery struct {
	Message         string `json:"message"`
	Type            string `json:"type"`
	Start           int64  `json:"start"`
	End             int64  `json:"end"`
	OrderBy         string `json:"orderBy"` // insertInstant (default), id, message, type; ASC or DESC (default)
	StartRow        int    `json:"startRow"`
	NumberOfResults int    `json:"numberOfResults"` // 0 is 25; at most MaxPageSize
}

var (
	eventLogOrderFields = []string{"insertInstant", "id", "message", "type"}
	eventLogTypes       = []string{storage.EventLogDebug, storage.EventLogError, storage.EventLogInformation}
)

// Search returns one page of the entries q selects, newest first unless
// q.OrderBy says otherwise, and their total.
func (el *EventLogs) Search(ctx context.Context, q EventLogQuery) ([]EventLog, int, error) {
	e := &Invalid{}
	f := storage.EventLogFilter{Message: q.Message, Start: q.Start, End: q.End, Offset: q.StartRow,
		Limit: pageSize(q.NumberOfResults, 25)}
	var desc bool
	f.OrderBy, desc, _ = parseOrderBy(e, q.OrderBy, eventLogOrderFields, "insertInstant", true)
	f.Asc = !desc
	if q.Type != "" {
		i := slices.IndexFunc(eventLogTypes, func(t string) bool { return strings.EqualFold(t, q.Type) })
		if i < 0 {
			e.Field("invalid", "search.type", "The [type] must be Debug, Error or Information.")
		} else {
			f.Type = eventLogTypes[i]
		}
	}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	es, total, err := el.Store.SearchEventLogs(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]EventLog, len(es))
	for i, x := range es {
		out[i] = eventLogView(x)
	}
	return out, total, nil
}

// Purge deletes at most limit entries beyond the newest
// eventLogConfiguration.numberToRetain and returns how many. It is the
// janitor's task event_log (internal/app) and reads the configuration at
// every call, so a change through the API applies at the next pass.
func (el *EventLogs) Purge(ctx context.Context, _ time.Time, limit int) (int, error) {
	c, err := el.Store.GetSystemConfiguration(ctx)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	return el.Store.PurgeEventLogs(ctx, EventLogSettings(c).NumberToRetain, limit)
}

// EventLogSettings is c's eventLogConfiguration, or the default when it has
// none (a configuration stored before it existed).
func EventLogSettings(c storage.SystemConfiguration) storage.EventLogConfiguration {
	if c.EventLogConfiguration == nil {
		return storage.EventLogConfiguration{NumberToRetain: DefaultEventLogRetention}
	}
	return *c.EventLogConfiguration
}

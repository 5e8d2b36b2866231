package sqlstorage

import (
	"context"
	"errors"
	"strconv"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateEventLog inserts e; the id is the table's, in insert order.
func (s *Store) CreateEventLog(ctx context.Context, e storage.EventLog) (storage.EventLog, error) {
	err := s.w.QueryRowContext(ctx, `INSERT INTO event_log (insert_instant, type, message) VALUES ($1, $2, $3) RETURNING id`,
		e.InsertInstant, e.Type, e.Message).Scan(&e.ID)
	return e, s.wrap(err)
}

// GetEventLog returns the entry with id, or ErrNotFound.
func (s *Store) GetEventLog(ctx context.Context, id int64) (storage.EventLog, error) {
	var e storage.EventLog
	err := s.r.QueryRowContext(ctx, `SELECT id, insert_instant, type, message FROM event_log WHERE id = $1`, id).
		Scan(&e.ID, &e.InsertInstant, &e.Type, &e.Message)
	return e, s.wrap(err)
}

// eventLogOrder maps EventLogFilter.OrderBy to a column; nothing a caller
// sends reaches the SQL text.
var eventLogOrder = map[string]string{"": "insert_instant", "insertInstant": "insert_instant", "id": "id",
	"message": "message", "type": "type"}

// SearchEventLogs returns one page of the entries f selects, and how many
// match in all.
func (s *Store) SearchEventLogs(ctx context.Context, f storage.EventLogFilter) ([]storage.EventLog, int, error) {
	col, ok := eventLogOrder[f.OrderBy]
	if !ok {
		return nil, 0, errors.New("sqlstorage: unknown event log order " + strconv.Quote(f.OrderBy))
	}
	w := &whereBuilder{}
	if f.Message != "" {
		w.add("message "+s.caseInsensitiveLike()+" ? ESCAPE '\\'", likePattern(f.Message))
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Start != 0 {
		w.add("insert_instant >= ?", f.Start)
	}
	if f.End != 0 {
		w.add("insert_instant <= ?", f.End)
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_log`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, s.wrap(err)
	}
	dir := " DESC"
	if f.Asc {
		dir = " ASC"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, insert_instant, type, message FROM event_log`+w.sql()+
		` ORDER BY `+col+dir+`, id`+dir+w.page(s.dialect, f.Offset, f.Limit), w.args...)
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.EventLog{}
	for rows.Next() {
		var e storage.EventLog
		if err := rows.Scan(&e.ID, &e.InsertInstant, &e.Type, &e.Message); err != nil {
			return nil, 0, s.wrap(err)
		}
		out = append(out, e)
	}
	return out, total, s.wrap(rows.Err())
}

// PurgeEventLogs deletes at most limit of the oldest entries beyond the
// newest keep, by id (insert order): the entry keep places below the newest
// and every older one go; with keep or fewer entries the subquery is NULL
// and nothing matches.
func (s *Store) PurgeEventLogs(ctx context.Context, keep, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM event_log WHERE id IN
		(SELECT id FROM event_log WHERE id <= (SELECT id FROM event_log ORDER BY id DESC LIMIT 1 OFFSET $1) ORDER BY id LIMIT $2)`, keep, limit)
}

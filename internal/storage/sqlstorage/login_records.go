package sqlstorage

import (
	"context"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// insertLoginRecord is RecordLogin's statement for the login's record, on
// its transaction: the record costs no commit of its own.
func insertLoginRecord(ctx context.Context, q querier, r storage.LoginRecord) error {
	if r.ID == "" {
		return errors.New("sqlstorage: a login record needs an id")
	}
	_, err := q.ExecContext(ctx, `INSERT INTO login_records (id, user_id, tenant_id, application_id, instant, ip_address, login_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.UserID, r.TenantID, r.ApplicationID, r.Instant, r.IPAddress, r.LoginID)
	return err
}

// ListLoginRecords returns one page of the records f selects, newest first
// (ties by id), and with f.Count how many there are in all; f.After starts
// after the record it names, in that order.
func (s *Store) ListLoginRecords(ctx context.Context, f storage.LoginRecordFilter) ([]storage.LoginRecord, int, error) {
	w := &whereBuilder{}
	for _, c := range []struct{ col, val string }{{"tenant_id", f.TenantID}, {"user_id", f.UserID}, {"application_id", f.ApplicationID}} {
		if c.val != "" {
			w.add(c.col+" = ?", c.val)
		}
	}
	if f.Start != 0 {
		w.add("instant >= ?", f.Start)
	}
	if f.End != 0 {
		w.add("instant <= ?", f.End)
	}
	total := 0
	if f.Count {
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_records`+w.sql(), w.args...).Scan(&total); err != nil {
			return nil, 0, s.wrap(err)
		}
	}
	if c := f.After; c != nil {
		w.add("(instant < ? OR (instant = ? AND id < ?))", c.Instant, c.Instant, c.ID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, user_id, tenant_id, application_id, instant, ip_address, login_id
		FROM login_records`+w.sql()+` ORDER BY instant DESC, id DESC`+w.page(s.dialect, f.Offset, f.Limit), w.args...)
	if err != nil {
		return nil, 0, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.LoginRecord{}
	for rows.Next() {
		var r storage.LoginRecord
		if err := rows.Scan(&r.ID, &r.UserID, &r.TenantID, &r.ApplicationID, &r.Instant, &r.IPAddress, &r.LoginID); err != nil {
			return nil, 0, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, total, s.wrap(rows.Err())
}

// PurgeLoginRecords deletes one batch of at most limit records older than
// before, oldest first, through the index on instant (login_records_instant,
// migration 0043), and returns how many. The janitor bounds the batches, so
// a large backlog goes in short transactions that never hold the SQLite
// writer for long.
func (s *Store) PurgeLoginRecords(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM login_records WHERE id IN
		(SELECT id FROM login_records WHERE instant < $1 ORDER BY instant LIMIT $2)`, ms(before), limit)
}

package sqlstorage

import (
	"context"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateUserAction stores a definition; ErrConflict on a duplicate id or name.
func (s *Store) CreateUserAction(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error {
	doc, err := encode(a)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO user_actions (id, name_lower, doc) VALUES ($1, $2, $3)`,
		a.ID, strings.ToLower(a.Name), doc)
	return err
}

// GetUserAction returns the definition or ErrNotFound.
func (s *Store) GetUserAction(ctx context.Context, id string) (storage.UserAction, error) {
	return getRevised(ctx, s, "user_actions", id, func(a *storage.UserAction) *int64 { return &a.Revision })
}

// ListUserActions lists every definition ordered by name.
func (s *Store) ListUserActions(ctx context.Context) ([]storage.UserAction, error) {
	return listDocs[storage.UserAction](ctx, s, `SELECT doc FROM user_actions ORDER BY name_lower, id`)
}

// UpdateUserAction replaces a definition, on the condition that its
// revision is still a.Revision when that is not 0 (updateRevised);
// ErrNotFound, ErrConflict, ErrStale.
func (s *Store) UpdateUserAction(ctx context.Context, a storage.UserAction, audit ...storage.AuditEntry) error {
	doc, err := encode(a)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, audit, "user_actions", a.ID, a.Revision, `name_lower = $2, doc = $3`, strings.ToLower(a.Name), doc)
}

// DeleteUserAction removes a definition; ErrNotFound.
func (s *Store) DeleteUserAction(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM user_actions WHERE id = $1`, id))
}

// actionLogDoc is the stored form of an action taken: the record's JSON plus
// the fields its JSON form leaves out.
type actionLogDoc struct {
	storage.UserActionLog
	TenantID     string `json:"tenantId"`
	PreventLogin bool   `json:"preventLogin"`
	Temporal     bool   `json:"temporal"`
	Canceled     bool   `json:"canceled"`
	SendEndEvent bool   `json:"sendEndEvent,omitempty"`
}

func encodeActionLog(l storage.UserActionLog) (string, error) {
	return encode(actionLogDoc{UserActionLog: l, TenantID: l.TenantID, PreventLogin: l.PreventLogin, Temporal: l.Temporal, Canceled: l.Canceled,
		SendEndEvent: l.SendEndEvent})
}

// TakeUserAction stores an action taken and, when revoke is set, revokes
// the user's live refresh tokens in the same transaction.
func (s *Store) TakeUserAction(ctx context.Context, l storage.UserActionLog, revoke *storage.SessionRevocation, audit ...storage.AuditEntry) ([]storage.RefreshToken, error) {
	return s.TakeUserActionWith(ctx, storage.ActionTaking{Log: l, Revoke: revoke, Audit: audit})
}

// TakeUserActionWith is TakeUserAction with the events that commit with it
// (a.Outbox), in one transaction.
func (s *Store) TakeUserActionWith(ctx context.Context, a storage.ActionTaking) ([]storage.RefreshToken, error) {
	l, revoke := a.Log, a.Revoke
	doc, err := encodeActionLog(l)
	if err != nil {
		return nil, err
	}
	var revoked []storage.RefreshToken
	err = s.tx(ctx, func(q querier) error {
		revoked = nil
		// Lock the user row first, as RecordLogin does (gateLogin).
		if err := s.lockUser(ctx, q, l.ActioneeUserID); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO user_action_logs (id, user_id, tenant_id, prevent_login, canceled, expiry, insert_instant, doc, end_due)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			l.ID, l.ActioneeUserID, l.TenantID, l.PreventLogin, l.Canceled, l.Expiry, l.InsertInstant, doc, l.EndDue()); err != nil {
			return err
		}
		if revoke != nil {
			// Sessions before tokens (endUserSessions).
			if len(revoke.ApplicationIDs) == 0 {
				if err := endUserSessions(ctx, q, revoke.UserID, revoke.At); err != nil {
					return err
				}
			}
			w := &whereBuilder{args: []any{ms(revoke.At), revoke.Reason}}
			w.add("revoked_at IS NULL AND user_id = ?", revoke.UserID)
			if len(revoke.ApplicationIDs) > 0 {
				w.conds = append(w.conds, "application_id IN "+w.inList(revoke.ApplicationIDs))
			}
			var err error
			revoked, err = s.queryTokens(ctx, q, `UPDATE refresh_tokens SET revoked_at = $1, revoke_reason = $2`+w.sql()+
				` RETURNING `+tokenColumns, w.args...)
			if err != nil {
				return err
			}
		}
		if err := insertAudit(ctx, q, a.Audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, a.Outbox)
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// actionLogColumns are what queryActionLogsOn reads: Revision is
// json:"-", so it lives only in its column.
const actionLogColumns = `doc, revision`

func (s *Store) queryActionLogs(ctx context.Context, query string, args ...any) ([]storage.UserActionLog, error) {
	return s.queryActionLogsOn(ctx, s.r, query, args...)
}

// queryActionLogsOn reads actions taken on q (a pool or a transaction):
// query selects actionLogColumns.
func (s *Store) queryActionLogsOn(ctx context.Context, q querier, query string, args ...any) ([]storage.UserActionLog, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var docs []actionLogDoc
	var revs []int64
	for rows.Next() {
		var doc string
		var rev int64
		var d actionLogDoc
		if err := rows.Scan(&doc, &rev); err != nil {
			return nil, s.wrap(err)
		}
		if err := decode(doc, &d); err != nil {
			return nil, err
		}
		docs, revs = append(docs, d), append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	out := make([]storage.UserActionLog, len(docs))
	for i, d := range docs {
		out[i] = d.UserActionLog
		out[i].TenantID, out[i].PreventLogin, out[i].Temporal, out[i].Canceled = d.TenantID, d.PreventLogin, d.Temporal, d.Canceled
		out[i].SendEndEvent, out[i].Revision = d.SendEndEvent, revs[i]
	}
	return out, nil
}

// GetUserActionLog returns the action taken with id, or ErrNotFound.
func (s *Store) GetUserActionLog(ctx context.Context, id string) (storage.UserActionLog, error) {
	logs, err := s.queryActionLogs(ctx, `SELECT `+actionLogColumns+` FROM user_action_logs WHERE id = $1`, id)
	if err != nil {
		return storage.UserActionLog{}, err
	}
	if len(logs) == 0 {
		return storage.UserActionLog{}, storage.ErrNotFound
	}
	return logs[0], nil
}

// ListUserActionLogs lists the actions taken on userID, oldest first.
func (s *Store) ListUserActionLogs(ctx context.Context, userID string) ([]storage.UserActionLog, error) {
	return s.queryActionLogs(ctx, `SELECT `+actionLogColumns+` FROM user_action_logs WHERE user_id = $1 ORDER BY insert_instant, id`, userID)
}

// UpdateUserActionLog replaces an action taken (modify, cancel).
func (s *Store) UpdateUserActionLog(ctx context.Context, l storage.UserActionLog, audit ...storage.AuditEntry) error {
	return s.UpdateUserActionLogWith(ctx, l, nil, audit...)
}

// UpdateUserActionLogWith is UpdateUserActionLog with the events that
// commit with it, in one transaction. The write holds only while the row's
// revision is still l.Revision (when that is not 0): a modify computed
// from an action read before a cancel committed gets ErrStale instead of
// writing canceled back to false.
func (s *Store) UpdateUserActionLogWith(ctx context.Context, l storage.UserActionLog, outbox []storage.OutboxMessage, audit ...storage.AuditEntry) error {
	doc, err := encodeActionLog(l)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE user_action_logs SET prevent_login = $2, canceled = $3, expiry = $4, doc = $5, end_due = $6,
			revision = revision + 1 WHERE id = $1 AND ($7 = 0 OR revision = $7)`,
			l.ID, l.PreventLogin, l.Canceled, l.Expiry, doc, l.EndDue(), l.Revision)
		if err := revised(ctx, q, res, err, "user_action_logs", l.ID); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, outbox)
	})
}

// DueUserActionEnds lists the actions whose end event is due at now: the
// partial index user_action_logs_end_due holds only those owed one.
func (s *Store) DueUserActionEnds(ctx context.Context, now int64, limit int) ([]storage.UserActionLog, error) {
	return s.queryActionLogs(ctx, `SELECT `+actionLogColumns+` FROM user_action_logs WHERE end_due > 0 AND end_due <= $1
		ORDER BY end_due, id LIMIT $2`, now, limit)
}

// EndUserActionWith marks l's end sent where end_due still holds the end
// that was read (a cancel or modify since changed or cleared it), and
// enqueues its events in the same transaction: each end is sent once.
func (s *Store) EndUserActionWith(ctx context.Context, l storage.UserActionLog, outbox []storage.OutboxMessage) (bool, error) {
	due := l.EndDue()
	if due == 0 {
		return false, nil
	}
	l.EndEventSent = true
	doc, err := encodeActionLog(l)
	if err != nil {
		return false, err
	}
	ended := false
	err = s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE user_action_logs SET end_due = 0, doc = $3, revision = revision + 1 WHERE id = $1 AND end_due = $2`, l.ID, due, doc)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			ended = false
			return err
		}
		ended = true
		return enqueueTx(ctx, q, outbox)
	})
	return ended && err == nil, err
}

// LoginPreventions lists userID's actions that prevent login and are in
// force at now: one probe of the partial index user_action_logs_preventing.
func (s *Store) LoginPreventions(ctx context.Context, userID string, now int64) ([]storage.UserActionLog, error) {
	return s.loginPreventionsOn(ctx, s.r, userID, now)
}

func (s *Store) loginPreventionsOn(ctx context.Context, q querier, userID string, now int64) ([]storage.UserActionLog, error) {
	preventing := "prevent_login = 1 AND canceled = 0"
	if s.dialect == DialectPostgres {
		preventing = "prevent_login = TRUE AND canceled = FALSE"
	}
	return s.queryActionLogsOn(ctx, q, `SELECT `+actionLogColumns+` FROM user_action_logs WHERE user_id = $1 AND `+preventing+`
		AND expiry > $2 ORDER BY insert_instant, id`, userID, now)
}

// gateLogin refuses a login that an action in force prevents, inside its
// transaction: the user row is locked by then (RecordLogin updated it), and
// TakeUserAction locks it first, so on PostgreSQL the two serialise and the
// read sees a lock that committed before it (READ COMMITTED takes a new
// snapshot per statement); SQLite has one writer.
func (s *Store) gateLogin(ctx context.Context, q querier, l storage.Login) error {
	actions, err := s.loginPreventionsOn(ctx, q, l.UserID, l.At)
	if err != nil {
		return err
	}
	var prevent []storage.UserActionLog
	for _, a := range actions {
		if a.Prevents(l.Gate.ApplicationID, l.At) {
			prevent = append(prevent, a)
		}
	}
	if len(prevent) > 0 {
		return &storage.LoginPrevented{Actions: prevent}
	}
	return nil
}

// lockUser takes the user row's lock for the rest of the transaction
// (PostgreSQL's FOR UPDATE; SQLite's write transaction excludes every other
// writer already). ErrNotFound when the user does not exist.
func (s *Store) lockUser(ctx context.Context, q querier, userID string) error {
	query := `SELECT id FROM users WHERE id = $1`
	if s.dialect == DialectPostgres {
		query += ` FOR UPDATE`
	}
	var id string
	return q.QueryRowContext(ctx, query, userID).Scan(&id)
}

package sqlstorage

import (
	"context"
	"database/sql"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// sessionSelect is a refresh's one read (issue 13: the token, the user and
// the registrations were three to five round trips): the token family, its
// user's document, whether an action in force at $2 prevents the user's
// login (the partial index of loginPreventionsOn, which holds no row for a
// user never locked), and one row per registration of the user (none: one
// row with a NULL registration), in application id order. The user's
// password columns are not read: a refresh never needs them.
func (s *Store) sessionSelect() string {
	preventing := "a.prevent_login = 1 AND a.canceled = 0"
	if s.dialect == DialectPostgres {
		preventing = "a.prevent_login = TRUE AND a.canceled = FALSE"
	}
	return `SELECT ` + tokenColumnsOf("t") + `, u.doc,
		EXISTS (SELECT 1 FROM user_action_logs a WHERE a.user_id = t.user_id AND ` + preventing + ` AND a.expiry > $2),
		r.doc
	FROM refresh_tokens t
	JOIN users u ON u.id = t.user_id
	LEFT JOIN registrations r ON r.user_id = t.user_id`
}

const sessionOrder = ` ORDER BY r.application_id`

// FindRefreshSession reads the family k names with its user and
// registrations. By hash it looks the current hashes up first and the
// history of superseded ones only when that finds nothing, as
// FindRefreshTokenByHash does.
func (s *Store) FindRefreshSession(ctx context.Context, k storage.SessionKey) (storage.RefreshSession, error) {
	if k.ID != "" && s.reads != nil {
		return s.reads.do(ctx, k.ID, k.At) // batched (pgsession.go, sqlitesession.go)
	}
	sel := s.sessionSelect()
	if k.ID != "" {
		return s.querySession(ctx, sel+` WHERE t.id = $1`+sessionOrder, k.ID, k.At)
	}
	out, err := s.querySession(ctx, sel+` WHERE `+currentByHashOf("t", "$1")+sessionOrder, k.Hash, k.At)
	if err != storage.ErrNotFound {
		return out, err
	}
	return s.querySession(ctx, sel+` WHERE t.id = (SELECT token_id FROM refresh_token_history WHERE hash = $1)`+sessionOrder, k.Hash, k.At)
}

func (s *Store) querySession(ctx context.Context, query string, arg any, at int64) (storage.RefreshSession, error) {
	rows, err := s.r.QueryContext(ctx, query, arg, at)
	if err != nil {
		return storage.RefreshSession{}, s.wrap(err)
	}
	return s.scanRefreshSession(rows)
}

// scanRefreshSession reads one family's rows of the session select and
// closes them. A stored document that does not decode is a badDocument
// error: that family's, not the statement's.
func (s *Store) scanRefreshSession(rows *sql.Rows) (storage.RefreshSession, error) {
	var out storage.RefreshSession
	defer rows.Close()
	var x tokenRow
	var userDoc string
	var regDoc sql.NullString
	first := append(x.dest(), &userDoc, &out.MaybePrevented, &regDoc)
	// Rows after the first repeat the token and the user: scanned without
	// copying (RawBytes), only the registration is kept.
	var skip sql.RawBytes
	again := make([]any, len(first))
	for i := range again {
		again[i] = &skip
	}
	again[len(again)-1] = &regDoc
	n := 0
	for rows.Next() {
		dest := again
		if n == 0 {
			dest = first
		}
		if err := rows.Scan(dest...); err != nil {
			return out, s.wrap(err)
		}
		if n == 0 {
			var err error
			if out.Token, err = x.token(); err != nil {
				return out, badDocument{err}
			}
			if err := decode(userDoc, &out.User); err != nil {
				return out, badDocument{err}
			}
			out.User.Registrations = []storage.Registration{}
		}
		n++
		if regDoc.Valid {
			var r storage.Registration
			if err := decode(regDoc.String, &r); err != nil {
				return out, badDocument{err}
			}
			r.UserID = out.User.ID
			out.User.Registrations = append(out.User.Registrations, r)
		}
	}
	if err := rows.Err(); err != nil {
		return out, s.wrap(err)
	}
	if n == 0 {
		return out, storage.ErrNotFound
	}
	return out, nil
}

// badDocument is a stored document of one family that does not decode.
type badDocument struct{ err error }

func (e badDocument) Error() string { return e.err.Error() }
func (e badDocument) Unwrap() error { return e.err }

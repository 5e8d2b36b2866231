package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateAccount creates a user with their registration, identifiers and
// mail in one transaction (sign-up, user create with verification mail).
func (s *Store) CreateAccount(ctx context.Context, a storage.NewAccount) error {
	u := a.User
	doc, err := userDoc(u)
	if err != nil {
		return err
	}
	var regDoc string
	if a.Registration != nil {
		if regDoc, err = encode(*a.Registration); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc,
			u.Password.Scheme, u.Password.Factor, u.Password.Salt, u.Password.Hash); err != nil {
			return err
		}
		if err := upsertUserSearch(ctx, q, u); err != nil {
			return err
		}
		if r := a.Registration; r != nil {
			if _, err := q.ExecContext(ctx, `INSERT INTO registrations (id, user_id, application_id, doc) VALUES ($1, $2, $3, $4)`,
				r.ID, r.UserID, r.ApplicationID, regDoc); err != nil {
				return err
			}
		}
		if err := insertIdentifiers(ctx, q, a.Issue); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, a.Audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, a.Outbox)
	})
}

// mergeUserDoc is the per-dialect statement that merges a JSON object ($2)
// into a user's document at the top level, leaving other fields as they
// are (SQLite json_patch, RFC 7396; PostgreSQL jsonb ||).
func (s *Store) mergeUserDoc() string {
	if s.dialect == DialectPostgres {
		return `UPDATE users SET doc = (doc::jsonb || CAST($2 AS jsonb))::text, revision = revision + 1 WHERE id = $1`
	}
	return `UPDATE users SET doc = json_patch(doc, $2), revision = revision + 1 WHERE id = $1`
}

// ChangeUser applies a user change and everything that goes with it in one
// transaction; see storage.UserChange.
func (s *Store) ChangeUser(ctx context.Context, c storage.UserChange) error {
	var replaceDoc, fields string
	var err error
	if c.Replace != nil {
		if replaceDoc, err = userDoc(*c.Replace); err != nil {
			return err
		}
	}
	if fields, err = encode(c.Fields); err != nil {
		return err
	}
	var regDoc string
	if c.Register != nil {
		if regDoc, err = encode(*c.Register); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(q querier) error {
		old, rev, err := lockUser(ctx, q, s.dialect, c.UserID)
		if err != nil {
			return err
		}
		if c.IfRevision != 0 && rev != c.IfRevision {
			return storage.ErrStale
		}
		if c.Delete {
			if err := deleteUserTx(ctx, q, c.UserID, c.Now); err != nil {
				return err
			}
			if err := insertAudit(ctx, q, c.Audit); err != nil {
				return err
			}
			return enqueueTx(ctx, q, c.Outbox)
		}
		if r := c.Register; r != nil {
			if _, err := q.ExecContext(ctx, `INSERT INTO registrations (id, user_id, application_id, doc) VALUES ($1, $2, $3, $4)`,
				r.ID, c.UserID, r.ApplicationID, regDoc); err != nil {
				return err
			}
		}
		for _, ref := range []*storage.IdentifierRef{c.Consume, c.ConsumeTrust} {
			if ref == nil {
				continue
			}
			if err := consumeFor(ctx, q, c.UserID, *ref, c.Now); err != nil {
				return err
			}
		}
		if v := c.VerifyRegistration; v != nil {
			if err := s.verifyRegistrationTx(ctx, q, c.UserID, *v); err != nil {
				return err
			}
		}
		next := old
		switch {
		case c.Replace != nil:
			u := c.Replace
			next = u.Password
			if _, err := q.ExecContext(ctx, `UPDATE users SET tenant_id = $2, email_lower = $3, username_lower = $4, doc = $5,
				pw_scheme = $6, pw_factor = $7, pw_salt = $8, pw_hash = $9, revision = revision + 1 WHERE id = $1`,
				c.UserID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), replaceDoc,
				u.Password.Scheme, u.Password.Factor, u.Password.Salt, u.Password.Hash); err != nil {
				return err
			}
			if err := upsertUserSearch(ctx, q, *u); err != nil {
				return err
			}
		case c.Password != nil:
			next = *c.Password
			if _, err := q.ExecContext(ctx, `UPDATE users SET pw_scheme = $2, pw_factor = $3, pw_salt = $4, pw_hash = $5, revision = revision + 1 WHERE id = $1`,
				c.UserID, next.Scheme, next.Factor, next.Salt, next.Hash); err != nil {
				return err
			}
		}
		if fields != "{}" {
			if _, err := q.ExecContext(ctx, s.mergeUserDoc(), c.UserID, fields); err != nil {
				return err
			}
		}
		if c.RememberPasswords > 0 && next != old && old.Hash != "" {
			if err := rememberPassword(ctx, q, c.UserID, old, c.Now, c.RememberPasswords); err != nil {
				return err
			}
		}
		return s.sideEffects(ctx, q, c)
	})
}

// sideEffects runs what a user change causes besides the user row.
func (s *Store) sideEffects(ctx context.Context, q querier, c storage.UserChange) error {
	for _, kind := range c.DropIdentifiers {
		if _, err := q.ExecContext(ctx, `DELETE FROM identifiers WHERE user_id = $1 AND kind = $2`, c.UserID, kind); err != nil {
			return err
		}
	}
	if app := c.DropRegistrationVerifications; app != "" {
		if _, err := q.ExecContext(ctx, `DELETE FROM identifiers WHERE user_id = $1 AND kind = $2 AND `+s.identifierApp()+` = $3`,
			c.UserID, storage.IdentifierRegistrationVerification, app); err != nil {
			return err
		}
	}
	if err := insertIdentifiers(ctx, q, c.Issue); err != nil {
		return err
	}
	if c.RevokeReason != "" {
		// Sessions before tokens (endUserSessions).
		if err := endUserSessions(ctx, q, c.UserID, c.Now); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $1, revoke_reason = $2
			WHERE user_id = $3 AND revoked_at IS NULL`, ms(c.Now), c.RevokeReason, c.UserID); err != nil {
			return err
		}
	}
	if c.ResetFailures {
		if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1`, c.UserID); err != nil {
			return err
		}
	}
	if err := insertAudit(ctx, q, c.Audit); err != nil {
		return err
	}
	return enqueueTx(ctx, q, c.Outbox)
}

// lockUser reads the user's password hash and revision inside the
// transaction, locking the row on PostgreSQL so two changes of one user
// serialise (SQLite has one writer): the revision read is the latest
// committed, and stays so until this transaction ends. ErrNotFound when the
// user is unknown.
func lockUser(ctx context.Context, q querier, dialect, userID string) (storage.PasswordHash, int64, error) {
	lock := ""
	if dialect == DialectPostgres {
		lock = " FOR UPDATE"
	}
	var h storage.PasswordHash
	var rev int64
	err := q.QueryRowContext(ctx, `SELECT pw_scheme, pw_factor, pw_salt, pw_hash, revision FROM users WHERE id = $1`+lock, userID).
		Scan(&h.Scheme, &h.Factor, &h.Salt, &h.Hash, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return h, rev, storage.ErrNotFound
	}
	return h, rev, err
}

// consumeFor deletes a live identifier of userID; ErrNotFound when there is
// none, which rolls the whole change back.
func consumeFor(ctx context.Context, q querier, userID string, ref storage.IdentifierRef, now time.Time) error {
	res, err := q.ExecContext(ctx, `DELETE FROM identifiers WHERE hash = $1 AND kind = $2 AND user_id = $3 AND expires_at > $4`,
		ref.Hash, ref.Kind, userID, ms(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// rememberPassword adds the replaced hash to the history and keeps the
// newest keep entries.
func rememberPassword(ctx context.Context, q querier, userID string, h storage.PasswordHash, at time.Time, keep int) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO password_history (user_id, replaced_at, pw_scheme, pw_factor, pw_salt, pw_hash)
		VALUES ($1, $2, $3, $4, $5, $6)`, userID, ms(at), h.Scheme, h.Factor, h.Salt, h.Hash); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM password_history WHERE user_id = $1 AND id NOT IN
		(SELECT id FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2)`, userID, keep)
	return err
}

func insertIdentifiers(ctx context.Context, q querier, ids []storage.Identifier) error {
	for _, id := range ids {
		if len(id.Hash) == 0 || id.Kind == "" || id.UserID == "" {
			return errors.New("sqlstorage: an identifier needs a hash, a kind and a user")
		}
		data, err := encode(id.Data)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO identifiers (hash, kind, user_id, tenant_id, created_at, expires_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id.Hash, id.Kind, id.UserID, id.TenantID, ms(id.CreatedAt), ms(id.ExpiresAt), data); err != nil {
			return err
		}
	}
	return nil
}

const identifierColumns = `hash, kind, user_id, tenant_id, created_at, expires_at, data`

func scanIdentifier(row interface{ Scan(...any) error }) (storage.Identifier, error) {
	var id storage.Identifier
	var created, expires int64
	var data string
	if err := row.Scan(&id.Hash, &id.Kind, &id.UserID, &id.TenantID, &created, &expires, &data); err != nil {
		return id, err
	}
	id.CreatedAt, id.ExpiresAt = fromMS(created), fromMS(expires)
	return id, decode(data, &id.Data)
}

// GetIdentifier returns a live identifier without consuming it.
func (s *Store) GetIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Identifier, error) {
	id, err := scanIdentifier(s.r.QueryRowContext(ctx, `SELECT `+identifierColumns+` FROM identifiers
		WHERE hash = $1 AND kind = $2 AND expires_at > $3`, hash, kind, ms(now)))
	return id, s.wrap(err)
}

// ConsumeIdentifier deletes and returns a live identifier: the DELETE's own
// row lock makes it single use under any concurrency.
func (s *Store) ConsumeIdentifier(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Identifier, error) {
	var id storage.Identifier
	err := s.tx(ctx, func(q querier) error {
		var err error
		id, err = scanIdentifier(q.QueryRowContext(ctx, `DELETE FROM identifiers WHERE hash = $1 AND kind = $2 AND expires_at > $3
			RETURNING `+identifierColumns, hash, kind, ms(now)))
		return err
	})
	return id, err
}

// ReserveIdentifierAttempt counts an answer before it is checked, in one
// UPDATE whose WHERE refuses an identifier already at max (as
// ReserveChallengeAttempt): the statement orders concurrent answers, so at
// most max are ever counted, on any number of nodes.
func (s *Store) ReserveIdentifierAttempt(ctx context.Context, kind string, hash []byte, now time.Time, max int) (int, error) {
	var n int
	err := s.write1(ctx, func(q querier) error {
		return q.QueryRowContext(ctx, `UPDATE identifiers SET attempts = attempts + 1
			WHERE hash = $1 AND kind = $2 AND expires_at > $3 AND attempts < $4 RETURNING attempts`,
			hash, kind, ms(now), max).Scan(&n)
	})
	return n, err
}

// PasswordHistory returns up to n previous hashes, newest first.
func (s *Store) PasswordHistory(ctx context.Context, userID string, n int) ([]storage.PasswordHash, error) {
	out := []storage.PasswordHash{}
	if n <= 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT pw_scheme, pw_factor, pw_salt, pw_hash FROM password_history
		WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, n)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h storage.PasswordHash
		if err := rows.Scan(&h.Scheme, &h.Factor, &h.Salt, &h.Hash); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, h)
	}
	return out, s.wrap(rows.Err())
}

// DeleteExpiredIdentifiers removes identifiers expired before the instant.
func (s *Store) DeleteExpiredIdentifiers(ctx context.Context, before time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM identifiers WHERE expires_at <= $1`, ms(before))
	return int(n), err
}

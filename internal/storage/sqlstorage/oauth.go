package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

const codeColumns = `hash, client_id, tenant_id, user_id, redirect_uri, scopes, nonce, code_challenge, challenge_method,
	session_id, auth_time, auth_type, grant_id, created_at, expires_at, redeemed_at`

// CreateAuthorizationCode stores a new code (by hash).
func (s *Store) CreateAuthorizationCode(ctx context.Context, c storage.AuthorizationCode) error {
	scopes, err := encode(c.Scopes)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO oauth_codes (`+codeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		c.Hash, c.ClientID, c.TenantID, c.UserID, c.RedirectURI, scopes, c.Nonce, c.CodeChallenge, c.CodeChallengeMethod,
		c.SessionID, ms(c.AuthTime), c.AuthType, c.GrantID, ms(c.CreatedAt), ms(c.ExpiresAt), ms(c.RedeemedAt))
	return err
}

// GetAuthorizationCode returns the code with this hash, used or not.
func (s *Store) GetAuthorizationCode(ctx context.Context, hash []byte) (storage.AuthorizationCode, error) {
	var c storage.AuthorizationCode
	var scopes string
	var authTime, created, expires, redeemed int64
	err := s.r.QueryRowContext(ctx, `SELECT `+codeColumns+` FROM oauth_codes WHERE hash = $1`, hash).Scan(
		&c.Hash, &c.ClientID, &c.TenantID, &c.UserID, &c.RedirectURI, &scopes, &c.Nonce, &c.CodeChallenge,
		&c.CodeChallengeMethod, &c.SessionID, &authTime, &c.AuthType, &c.GrantID, &created, &expires, &redeemed)
	if err != nil {
		return c, s.wrap(err)
	}
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.RedeemedAt = fromMS(authTime), fromMS(created), fromMS(expires), fromMS(redeemed)
	return c, decode(scopes, &c.Scopes)
}

// RedeemAuthorizationCode is a compare-and-swap on redeemed_at: the UPDATE
// matches only an unused code, so of concurrent redemptions exactly one
// changes a row (PostgreSQL re-evaluates the WHERE after the winner
// commits; SQLite has one writer). The grant is inserted in the same
// transaction, so a replay that loses the swap always finds it to revoke.
// A code whose login session ended is refused first (sessionEnded).
func (s *Store) RedeemAuthorizationCode(ctx context.Context, hash []byte, at time.Time, grant *storage.RefreshToken) error {
	return s.tx(ctx, func(q querier) error {
		if err := s.sessionEnded(ctx, q, hash); err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE oauth_codes SET redeemed_at = $1 WHERE hash = $2 AND redeemed_at = 0`, ms(at), hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			return s.insertGrant(ctx, q, hash, grant)
		}
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM oauth_codes WHERE hash = $1`, hash).Scan(&one); err != nil {
			return err // sql.ErrNoRows: unknown code
		}
		return storage.ErrConflict
	})
}

// sessionEnded answers storage.ErrSessionEnded when the login session of
// the unused code hash has ended (a used one is ErrConflict, a replay, as
// without the session). On PostgreSQL it holds the session row FOR SHARE
// until the redemption commits, so it cannot race the end of the session
// (EndLoginSession, endUserSessions), which UPDATEs that row before it
// revokes the session's tokens: either the end committed first (the lock
// waits for it and reads the ended row), or the end waits for this
// transaction and its next statement, the revocation, sees the grant this
// one inserted. SQLite has one writer. A code of no session, or of one no
// longer stored, passes.
//
// The user's row is held first (FOR KEY SHARE, which the grant's foreign
// key takes anyway): the writes that lock it FOR UPDATE and then end the
// sessions (a password change, a lock) take the two rows in that order
// too, so they wait for each other instead of deadlocking.
func (s *Store) sessionEnded(ctx context.Context, q querier, hash []byte) error {
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR SHARE OF ls"
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = (SELECT user_id FROM oauth_codes WHERE hash = $1)
			FOR KEY SHARE`, hash).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	var revoked, redeemed int64
	err := q.QueryRowContext(ctx, `SELECT ls.revoked_at, c.redeemed_at FROM oauth_codes c
		JOIN login_sessions ls ON ls.id = c.session_id WHERE c.hash = $1`+lock, hash).Scan(&revoked, &redeemed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case revoked == 0:
		return nil
	case redeemed != 0:
		return storage.ErrConflict
	}
	return storage.ErrSessionEnded
}

// insertGrant creates the grant of a redeemed code and ties it to the code's
// session.
func (s *Store) insertGrant(ctx context.Context, q querier, hash []byte, grant *storage.RefreshToken) error {
	if grant == nil {
		return nil
	}
	if err := insertToken(ctx, q, *grant); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO session_grants (token_id, session_id)
		SELECT $1, session_id FROM oauth_codes WHERE hash = $2 AND session_id <> ''`, grant.ID, hash)
	return err
}

const sessionColumns = `id, hash, tenant_id, user_id, auth_time, auth_type, created_at, expires_at, revoked_at, second_factor`

// CreateLoginSession stores a new login session.
func (s *Store) CreateLoginSession(ctx context.Context, ls storage.LoginSession) error {
	var hash any
	if len(ls.Hash) > 0 {
		hash = ls.Hash
	}
	_, err := s.exec(ctx, `INSERT INTO login_sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ls.ID, hash, ls.TenantID, ls.UserID, ms(ls.AuthTime), ls.AuthType, ms(ls.CreatedAt), ms(ls.ExpiresAt), ms(ls.RevokedAt), ls.SecondFactor)
	return err
}

// GetLoginSession returns the session by id.
func (s *Store) GetLoginSession(ctx context.Context, id string) (storage.LoginSession, error) {
	return s.scanSession(s.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM login_sessions WHERE id = $1`, id))
}

// FindLoginSessionByHash returns the session whose cookie hashes to hash.
func (s *Store) FindLoginSessionByHash(ctx context.Context, hash []byte) (storage.LoginSession, error) {
	if len(hash) == 0 {
		return storage.LoginSession{}, storage.ErrNotFound
	}
	return s.scanSession(s.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM login_sessions WHERE hash = $1`, hash))
}

// GrantSession returns the login session a code exchange's grant belongs to.
func (s *Store) GrantSession(ctx context.Context, tokenID string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT session_id FROM session_grants WHERE token_id = $1`, tokenID).Scan(&id)
	return id, s.wrap(err)
}

func (s *Store) scanSession(row *sql.Row) (storage.LoginSession, error) {
	var ls storage.LoginSession
	var authTime, created, expires, revoked int64
	err := row.Scan(&ls.ID, &ls.Hash, &ls.TenantID, &ls.UserID, &authTime, &ls.AuthType, &created, &expires, &revoked, &ls.SecondFactor)
	if err != nil {
		return ls, s.wrap(err)
	}
	ls.AuthTime, ls.CreatedAt, ls.ExpiresAt, ls.RevokedAt = fromMS(authTime), fromMS(created), fromMS(expires), fromMS(revoked)
	return ls, nil
}

// EndLoginSession revokes the session and its live grants in one transaction.
func (s *Store) EndLoginSession(ctx context.Context, id string, at time.Time, reason string, notify func([]storage.RefreshToken) ([]storage.OutboxMessage, error)) ([]storage.RefreshToken, error) {
	var out []storage.RefreshToken
	err := s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `UPDATE login_sessions SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END
			WHERE id = $2`, ms(at), id)); err != nil {
			return err
		}
		var err error
		out, err = s.queryTokens(ctx, q, `UPDATE refresh_tokens SET revoked_at = $1, revoke_reason = $2
			WHERE revoked_at IS NULL AND id IN (SELECT token_id FROM session_grants WHERE session_id = $3)
			RETURNING `+tokenColumns, ms(at), reason, id)
		if err != nil || notify == nil {
			return err
		}
		msgs, err := notify(out)
		if err != nil {
			return err
		}
		return enqueueTx(ctx, q, msgs)
	})
	return out, err
}

// endUserSessions ends every live login session of userID at at, in the
// transaction of a revocation of all the user's refresh tokens: FusionAuth's
// SSO session is itself a refresh token, so whatever revokes them all
// (password change, global logout, DELETE /api/jwt/refresh?userId=, a lock
// of every application) ends single sign-on too. A revocation scoped to
// applications does not call it. Callers end the sessions BEFORE they
// revoke the tokens, as EndLoginSession does: a code redemption holds its
// session's row (sessionEnded) until it commits, so the session UPDATE
// waits for it and the token UPDATE that follows sees its grant; the
// other order would revoke the tokens, then wait, and miss the grant.
func endUserSessions(ctx context.Context, q querier, userID string, at time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE login_sessions SET revoked_at = $1
		WHERE user_id = $2 AND revoked_at = 0 AND expires_at > $1`, ms(at), userID)
	return err
}

// PurgeAuthorizationCodes deletes at most limit codes expired before before.
func (s *Store) PurgeAuthorizationCodes(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM oauth_codes WHERE hash IN (
		SELECT hash FROM oauth_codes WHERE expires_at < $1 LIMIT $2)`, ms(before), limit)
}

// PurgeLoginSessions deletes at most limit sessions expired before before
// with no grant left: a grant row goes with its refresh token (ON DELETE
// CASCADE), which the janitor purges once it expired or was revoked long
// enough ago.
func (s *Store) PurgeLoginSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM login_sessions WHERE id IN (
		SELECT id FROM login_sessions l WHERE l.expires_at < $1
		AND NOT EXISTS (SELECT 1 FROM session_grants g WHERE g.session_id = l.id) LIMIT $2)`, ms(before), limit)
}

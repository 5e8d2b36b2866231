package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// storedTokenColumns are the columns a new family is inserted with, in
// tokenRow's order. hash is the family's first hash (for a family created
// ReadByID, its familyKey instead), or the last one a rotation with history
// (or the code before migration 0090) wrote: the
// UNIQUE index on it is what the earlier format's values are looked up by
// (FindRefreshTokenByHash), and a rotation of a value that names its family
// writes the new hash to cur_hash instead, so that it moves no entry of that
// index (migration 0090).
const storedTokenColumns = `id, tenant_id, user_id, application_id, hash, prev_hash, rotated_at, generation, start_instant,
	last_used_at, expires_at, auth_time, scopes, dpop_jkt, device, inserted_at, revoked_at, revoke_reason`

// currentHashOf is the family's current hash, its columns qualified by
// alias ("" for none): the last rotation's when it wrote cur_hash, else
// hash. Every read and every compare-and-swap of the current hash uses it.
func currentHashOf(alias string) string {
	if alias != "" {
		alias += "."
	}
	return "COALESCE(" + alias + "cur_hash, " + alias + "hash)"
}

// currentByHashOf is the by-hash lookup's condition on param: hash holds
// the current hash (nothing in cur_hash beside it), answered from the
// UNIQUE index on hash; alias as in currentHashOf.
func currentByHashOf(alias, param string) string {
	if alias != "" {
		alias += "."
	}
	return alias + "hash = " + param + " AND " + alias + "cur_hash IS NULL"
}

// tokenColumns reads storedTokenColumns back, with the current hash in
// hash's place.
var tokenColumns = tokenColumnsOf("")

// tokenColumnsOf is tokenColumns with every column qualified by alias
// ("t": t.id, ..., COALESCE(t.cur_hash, t.hash), ...), "" for none.
func tokenColumnsOf(alias string) string {
	cols := strings.Split(storedTokenColumns, ",")
	for i, c := range cols {
		switch c = strings.TrimSpace(c); {
		case c == "hash":
			cols[i] = currentHashOf(alias)
		case alias != "":
			cols[i] = alias + "." + c
		default:
			cols[i] = c
		}
	}
	return strings.Join(cols, ", ")
}

// tokenRow receives one row's tokenColumns.
type tokenRow struct {
	t                                                 storage.RefreshToken
	app                                               sql.NullString
	revoked                                           sql.NullInt64
	rotated, start, lastUsed, expires, auth, inserted int64
	scopes, device                                    string
}

// dest lists the scan destinations in tokenColumns' order.
func (x *tokenRow) dest() []any {
	t := &x.t
	return []any{&t.ID, &t.TenantID, &t.UserID, &x.app, &t.Hash, &t.PrevHash, &x.rotated, &t.Generation, &x.start,
		&x.lastUsed, &x.expires, &x.auth, &x.scopes, &t.DPoPJKT, &x.device, &x.inserted, &x.revoked, &t.RevokeReason}
}

// token decodes what was scanned.
func (x *tokenRow) token() (storage.RefreshToken, error) {
	t := x.t
	t.ApplicationID = x.app.String
	t.RotatedAt, t.StartInstant, t.LastUsedAt = fromMS(x.rotated), fromMS(x.start), fromMS(x.lastUsed)
	t.ExpiresAt, t.AuthTime, t.InsertedAt = fromMS(x.expires), fromMS(x.auth), fromMS(x.inserted)
	t.RevokedAt = fromMS(x.revoked.Int64)
	if err := decode(x.scopes, &t.Scopes); err != nil {
		return t, err
	}
	return t, decode(x.device, &t.Device)
}

// scanToken reads one row selected with tokenColumns.
func scanToken(row interface{ Scan(...any) error }) (storage.RefreshToken, error) {
	var x tokenRow
	if err := row.Scan(x.dest()...); err != nil {
		return x.t, err
	}
	return x.token()
}

// CreateRefreshToken stores a new token family (generation as given, no history).
// ErrConflict on a duplicate id or hash (a hash of a family created
// ReadByID is not in the UNIQUE index, so not compared); ErrNotFound when
// the user or application does not exist.
func (s *Store) CreateRefreshToken(ctx context.Context, t storage.RefreshToken) error {
	return s.tx(ctx, func(q querier) error { return insertToken(ctx, q, t) })
}

// insertToken is the INSERT of CreateRefreshToken, on q so RecordLogin can
// run it inside its transaction.
func insertToken(ctx context.Context, q querier, t storage.RefreshToken) error {
	scopes, err := encode(t.Scopes)
	if err != nil {
		return err
	}
	device, err := encode(t.Device)
	if err != nil {
		return err
	}
	var app, revoked any
	if t.ApplicationID != "" {
		app = t.ApplicationID
	}
	if !t.RevokedAt.IsZero() {
		revoked = ms(t.RevokedAt)
	}
	hash, cur := t.Hash, any(nil)
	if t.ReadByID && len(t.Hash) > 0 { // without a hash there is nothing to keep out of the index
		hash, cur = familyKey(t.ID), t.Hash
	}
	_, err = q.ExecContext(ctx, `INSERT INTO refresh_tokens (`+storedTokenColumns+`, cur_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		t.ID, t.TenantID, t.UserID, app, hash, t.PrevHash, ms(t.RotatedAt), t.Generation, ms(t.StartInstant),
		ms(t.LastUsedAt), ms(t.ExpiresAt), ms(t.AuthTime), scopes, t.DPoPJKT, device, ms(t.InsertedAt), revoked, t.RevokeReason, cur)
	return err
}

// familyKey is what the column hash holds for a family created ReadByID,
// whose current hash goes to cur_hash from the start: a value the UNIQUE
// index on hash needs (the column is NOT NULL) and that is never a SHA-256
// hash (20 bytes for a UUID in its canonical form, more than 32 for any
// other id), unique as the id is. A secret's hash would put the new entry
// at a random place in that index, a cold leaf to read, dirty and write
// back at 10,000,000 tokens (issue 13: the rotations stopped moving that
// entry with migration 0090, and a login was the last write to put one
// there). A family id is a UUID of version 7, ordered by time, and the
// four 0xff bytes before it sort it after every hash but those few that
// begin with them: new entries go to the index's last leaves, which stay
// cached (and PostgreSQL splits its rightmost leaf 90/10, not 50/50).
func familyKey(id string) []byte {
	if u, err := uuid.Parse(id); err == nil && u.String() == id {
		return append([]byte{0xff, 0xff, 0xff, 0xff}, u[:]...)
	}
	return []byte("refresh-token-family-id-not-a-hash:" + id) // 35 bytes and more
}

// GetRefreshToken returns the token family by id (revoked or not).
func (s *Store) GetRefreshToken(ctx context.Context, id string) (storage.RefreshToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens WHERE id = $1`, id))
	return t, s.wrap(err)
}

// FindRefreshTokenByHash looks the hash up as the current secret first, then in
// the history of superseded secrets (current=false). Revoked families are
// returned too: the caller decides what a revoked or superseded hash means.
// A current hash is found here when it is in the indexed column hash with
// no cur_hash beside it: the first hash of a family never rotated and not
// created ReadByID, or the last one a rotation with history wrote
// (currentByHash). A hash a rotation without history wrote, and the first
// hash of a family created ReadByID, are their family's by id only.
func (s *Store) FindRefreshTokenByHash(ctx context.Context, hash []byte) (storage.RefreshToken, bool, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens WHERE `+currentByHash, hash))
	if err == nil {
		return t, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t, false, s.wrap(err)
	}
	t, err = scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens
		WHERE id = (SELECT token_id FROM refresh_token_history WHERE hash = $1)`, hash))
	return t, false, s.wrap(err)
}

// ListRefreshTokens lists a user's unrevoked tokens, oldest first.
func (s *Store) ListRefreshTokens(ctx context.Context, userID string) ([]storage.RefreshToken, error) {
	return s.queryTokens(ctx, s.r, `SELECT `+tokenColumns+` FROM refresh_tokens
		WHERE user_id = $1 AND revoked_at IS NULL ORDER BY inserted_at, id`, userID)
}

func (s *Store) queryTokens(ctx context.Context, q querier, query string, args ...any) ([]storage.RefreshToken, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.RefreshToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

// RotateRefreshToken is the compare-and-swap of a rotation: one UPDATE whose
// WHERE clause holds the expected current hash and "not revoked", so of N
// concurrent rotations exactly one matches the row (on PostgreSQL the losers
// re-check the WHERE clause against the winner's row version and match
// nothing). Unless r.NoHistory, the superseded hash goes to the history in
// the same transaction; with it the UPDATE is the whole write, a statement
// that commits on its own on PostgreSQL (no BEGIN and COMMIT round trips).
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.RefreshToken, error) {
	var out storage.RefreshToken
	var err error
	if s.rotations != nil && r.NoHistory && len(r.Outbox) == 0 {
		// PostgreSQL: batched with concurrent rotations (pgrotate.go).
		out, err = s.rotations.do(ctx, r)
	} else {
		out, err = s.rotateOne(ctx, r)
	}
	if errors.Is(err, errNoSwap) {
		var one int
		if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM refresh_tokens WHERE id = $1`, r.ID).Scan(&one); err != nil {
			return out, s.wrap(err) // ErrNotFound: unknown id
		}
		return out, storage.ErrConflict // superseded hash or revoked
	}
	return out, err
}

// rotateOne is one rotation's compare-and-swap on its own: errNoSwap when it
// matched no row.
func (s *Store) rotateOne(ctx context.Context, r storage.Rotation) (storage.RefreshToken, error) {
	var out storage.RefreshToken
	query := rotateSQL
	if !r.NoHistory {
		query = rotateIndexedSQL
	}
	keep := s.keepsExpiry(r.OldExpiresAt, r.ExpiresAt)
	swap := func(q querier) error {
		args := []any{r.ID, r.OldHash, r.NewHash, ms(r.At), ms(r.ExpiresAt)}
		var t storage.RefreshToken
		err := sql.ErrNoRows
		if keep {
			t, err = scanToken(q.QueryRowContext(ctx, query.keep, args...))
		}
		if errors.Is(err, sql.ErrNoRows) {
			// The expiry changes, or the row no longer holds the one the
			// caller read (a concurrent touch; or the swap fails anyway):
			// the statement that writes it.
			t, err = scanToken(q.QueryRowContext(ctx, query.write, args...))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSwap
		}
		if err != nil {
			return err
		}
		if !r.NoHistory {
			if _, err := q.ExecContext(ctx, `INSERT INTO refresh_token_history (hash, token_id, superseded_at) VALUES ($1, $2, $3)`,
				r.OldHash, r.ID, ms(r.At)); err != nil {
				return err
			}
		}
		out = t
		return enqueueTx(ctx, q, r.Outbox)
	}
	if r.NoHistory && len(r.Outbox) == 0 {
		return out, s.write1(ctx, swap)
	}
	return out, s.tx(ctx, swap)
}

// keepsExpiry reports whether a write whose new expiry is next, of a row
// read with expiry old, is tried first without writing expires_at: the
// index refresh_tokens_live_expires (migration 0080) holds that column, and
// SQLite deletes and reinserts the entry of every index whose column a
// statement sets, whether or not the value changes. Under the default Fixed
// expiration policy a rotation's expiry never changes; at 10,000,000 tokens
// the entry it rewrote was in a random, cold leaf of that index (issue 13).
// SQLite only: PostgreSQL compares an indexed column's old and new values
// itself (an unchanged one moves no index entry when the update is HOT), so
// there the keep form would only add a statement to a lost race.
func (s *Store) keepsExpiry(old, next time.Time) bool {
	return s.dialect == DialectSQLite && !old.IsZero() && ms(old) == ms(next)
}

// currentByHash is currentByHashOf on $1, unqualified.
var currentByHash = currentByHashOf("", "$1")

// rotateSQL is the compare-and-swap of a rotation without history: the
// value it replaces and the one it hands out name their family and are read
// by id, so the new hash goes to cur_hash, which no index holds, and hash
// stays put (at 10,000,000 tokens, moving its entry in the UNIQUE index was
// the largest extra cost of a refresh, issue 13).
var rotateSQL = rotationSQL("cur_hash = $3")

// rotateIndexedSQL is the compare-and-swap of a rotation with history: the
// value it replaces is of the earlier format, looked up by hash, and so may
// be the one it hands out (a family whose id is not a UUID keeps that
// format), so the new hash goes to the indexed column hash, where
// currentByHash finds it.
var rotateIndexedSQL = rotationSQL("hash = $3, cur_hash = NULL")

// rotationStatements are a rotation's two forms of its compare-and-swap
// (rotationSQL).
type rotationStatements struct{ keep, write string }

// rotationSQL is the one-row compare-and-swap of a rotation ($1 id, $2 the
// expected current hash, $3 the new one, $4 at, $5 expires), storing the
// new hash as store says. write sets expires_at to $5; keep leaves it
// unwritten and matches only a row whose expires_at already is $5, so
// either, when it matches, leaves the row as write does (keepsExpiry).
func rotationSQL(store string) rotationStatements {
	set := `UPDATE refresh_tokens
	SET prev_hash = ` + currentHashOf("") + `, ` + store + `, rotated_at = $4, last_used_at = $4, generation = generation + 1`
	where := `
	WHERE id = $1 AND ` + currentHashOf("") + ` = $2 AND revoked_at IS NULL`
	returning := `
	RETURNING ` + tokenColumns
	return rotationStatements{
		keep:  set + where + ` AND expires_at = $5` + returning,
		write: set + `, expires_at = $5` + where + returning,
	}
}

// errNoSwap: the rotation's UPDATE matched no row.
var errNoSwap = errors.New("sqlstorage: rotation matched no row")

// TouchRefreshToken records a use without rotation (Reusable policy). An
// expiry that stays what the caller read (readExpiresAt) is left unwritten while the
// row holds it, as a rotation's (keepsExpiry).
func (s *Store) TouchRefreshToken(ctx context.Context, id string, at, expiresAt, readExpiresAt time.Time) error {
	keep := s.keepsExpiry(readExpiresAt, expiresAt)
	return s.write1(ctx, func(q querier) error {
		args := []any{id, ms(at), ms(expiresAt)}
		var res sql.Result
		var err error
		if keep {
			res, err = q.ExecContext(ctx, touchKeepSQL, args...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return nil
			}
		}
		return mustAffectTx(q.ExecContext(ctx, `UPDATE refresh_tokens SET last_used_at = $2, expires_at = $3
			WHERE id = $1 AND revoked_at IS NULL`, args...))
	})
}

// touchKeepSQL is a touch that leaves expires_at as it is ($3), and matches
// only while it is.
const touchKeepSQL = `UPDATE refresh_tokens SET last_used_at = $2
	WHERE id = $1 AND revoked_at IS NULL AND expires_at = $3`

// RevokeRefreshTokens revokes every live token matching f (fields ANDed) and
// returns them as revoked. An empty filter is refused: it would revoke every
// session of every user.
func (s *Store) RevokeRefreshTokens(ctx context.Context, f storage.RefreshTokenFilter, at time.Time, reason string, audit ...storage.AuditEntry) ([]storage.RefreshToken, error) {
	return s.RevokeRefreshTokensWith(ctx, storage.Revocation{Filter: f, At: at, Reason: reason, Audit: audit})
}

// RevokeRefreshTokensWith is RevokeRefreshTokens with the events that
// commit with it (r.Outbox), in one transaction. A filter of a user alone
// also ends the user's login sessions (endUserSessions).
func (s *Store) RevokeRefreshTokensWith(ctx context.Context, r storage.Revocation) ([]storage.RefreshToken, error) {
	f := r.Filter
	args := []any{ms(r.At), r.Reason}
	var where []string
	for _, c := range []struct{ col, val string }{{"id", f.ID}, {"user_id", f.UserID}, {"application_id", f.ApplicationID}} {
		if c.val != "" {
			args = append(args, c.val)
			where = append(where, c.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	if len(where) == 0 {
		return nil, errors.New("sqlstorage: RevokeRefreshTokens needs an id, user id or application id")
	}
	var out []storage.RefreshToken
	err := s.tx(ctx, func(q querier) error {
		// Sessions before tokens (endUserSessions).
		if f.ID == "" && f.ApplicationID == "" {
			if err := endUserSessions(ctx, q, f.UserID, r.At); err != nil {
				return err
			}
		}
		if r.EndTrusts && f.UserID != "" {
			if err := endTrusts(ctx, q, f.UserID); err != nil {
				return err
			}
		}
		var err error
		out, err = s.queryTokens(ctx, q, `UPDATE refresh_tokens SET revoked_at = $1, revoke_reason = $2
			WHERE revoked_at IS NULL AND `+strings.Join(where, " AND ")+` RETURNING `+tokenColumns, args...)
		if err != nil {
			return err
		}
		if err := insertAudit(ctx, q, r.Audit); err != nil {
			return err
		}
		return enqueueTx(ctx, q, r.Outbox)
	})
	return out, err
}

// DeleteExpiredRefreshTokens removes tokens that expired or were revoked
// before the instant; their history goes with them (ON DELETE CASCADE).
// Tombstones revoked before it go too: the caller picks an instant older than
// the longest token lifetime, after which no JWT of the session is valid.
func (s *Store) DeleteExpiredRefreshTokens(ctx context.Context, before time.Time) (int, error) {
	var total int64
	err := s.tx(ctx, func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM refresh_tokens
			WHERE (expires_at > 0 AND expires_at < $1) OR (revoked_at IS NOT NULL AND revoked_at < $1)`, ms(before))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if res, err = q.ExecContext(ctx, `DELETE FROM session_tombstones WHERE revoked_at < $1`, ms(before)); err != nil {
			return err
		}
		m, _ := res.RowsAffected()
		total = n + m
		return nil
	})
	return int(total), err
}

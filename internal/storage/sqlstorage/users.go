package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/latchkeyhq/latchkey/internal/loginid"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// lowerOrNull is the value of the case-insensitive unique columns: NULL when
// the identifier is unset, so that many users may have no username.
func lowerOrNull(s string) any {
	if s == "" {
		return nil
	}
	return loginKey(s)
}

// loginKey is the indexed form of an email or username (email_lower,
// username_lower): normalized (internal/loginid: NFKC, case folding), then
// lower-cased, so a full-width or otherwise compatibility-encoded copy of an
// identifier is the same identifier.
func loginKey(s string) string {
	return strings.ToLower(loginid.Normalize(s))
}

// userDoc is the JSON document of a user: registrations live in their own
// table and the password hash in its own columns.
func userDoc(u storage.User) (string, error) {
	u.Registrations, u.Memberships = nil, nil
	u.Password = storage.PasswordHash{}
	return encode(u)
}

// CreateUser stores a user and its search row (and audit entries) in one
// transaction; ErrConflict on a duplicate id, email or username.
func (s *Store) CreateUser(ctx context.Context, u storage.User, audit ...storage.AuditEntry) error {
	doc, err := userDoc(u)
	if err != nil {
		return err
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
		return insertAudit(ctx, q, audit)
	})
}

const userColumns = `doc, pw_scheme, pw_factor, pw_salt, pw_hash, revision`

func (s *Store) scanUser(row *sql.Row) (storage.User, error) {
	var u storage.User
	var doc string
	var pw storage.PasswordHash
	var rev int64
	if err := row.Scan(&doc, &pw.Scheme, &pw.Factor, &pw.Salt, &pw.Hash, &rev); err != nil {
		return u, s.wrap(err)
	}
	if err := decode(doc, &u); err != nil {
		return u, err
	}
	u.Password, u.Revision = pw, rev
	return u, nil
}

// GetUser returns the user or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	return s.scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// FindUser finds a user by email (preferred when both are set) or username
// within a tenant, case-insensitively.
func (s *Store) FindUser(ctx context.Context, f storage.UserFilter) (storage.User, error) {
	// No stored login id holds a control character (PostgreSQL's text
	// cannot even hold a NUL): such a login id is found nowhere, on either
	// backend, and never reaches a query.
	if strings.ContainsFunc(f.Email+f.Username, unicode.IsControl) {
		return storage.User{}, storage.ErrNotFound
	}
	switch {
	case f.Email != "":
		return s.findBy(ctx, "email_lower", f.TenantID, f.Email)
	case f.Username != "":
		return s.findBy(ctx, "username_lower", f.TenantID, f.Username)
	}
	return storage.User{}, storage.ErrNotFound
}

// findBy looks id up by its normalized key, then, for a row written before
// keys were normalized (issue 15) whose identifier is not in normal form,
// by the key it was stored under then (plain lower case).
func (s *Store) findBy(ctx context.Context, column, tenantID, id string) (storage.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND ` + column + ` = $2`
	key := loginKey(id)
	u, err := s.scanUser(s.r.QueryRowContext(ctx, q, tenantID, key))
	if legacy := strings.ToLower(id); errors.Is(err, storage.ErrNotFound) && legacy != key {
		return s.scanUser(s.r.QueryRowContext(ctx, q, tenantID, legacy))
	}
	return u, err
}

// UpdateUser replaces the user row including the password hash, with its
// search row (and audit entries) in the same transaction.
func (s *Store) UpdateUser(ctx context.Context, u storage.User, audit ...storage.AuditEntry) error {
	doc, err := userDoc(u)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `UPDATE users SET tenant_id = $2, email_lower = $3, username_lower = $4, doc = $5,
			pw_scheme = $6, pw_factor = $7, pw_salt = $8, pw_hash = $9, revision = revision + 1 WHERE id = $1`,
			u.ID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc,
			u.Password.Scheme, u.Password.Factor, u.Password.Salt, u.Password.Hash)); err != nil {
			return err
		}
		if err := upsertUserSearch(ctx, q, u); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// DeleteUser is DeleteUserAt with the wall clock, for callers that undo a
// user they just created (it normally has no session to tombstone).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.DeleteUserAt(ctx, id, time.Now())
}

// DeleteUserAt removes the user; registrations and refresh tokens cascade,
// after the sessions were tombstoned as revoked at at (reason user_deleted).
// The lockout counter (no foreign key: failures may be counted before a user
// row is visible to every node) is deleted in the same transaction.
func (s *Store) DeleteUserAt(ctx context.Context, id string, at time.Time, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := deleteUserTx(ctx, q, id, at); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// deleteUserTx is DeleteUserAt inside a caller's transaction (ChangeUser's
// Delete commits the user's delete events with it).
func deleteUserTx(ctx context.Context, q querier, id string, at time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1`, id); err != nil {
		return err
	}
	if err := tombstone(ctx, q, "user_id", id, at, "user_deleted"); err != nil {
		return err
	}
	if err := deleteUserFamiliesTx(ctx, q, id); err != nil { // their memberships cascade
		return err
	}
	return mustAffectTx(q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id))
}

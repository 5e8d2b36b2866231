package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ListTwoFactorSecrets lists methods whose secret starts with prefix. A
// prefix is a range of byte strings (BLOB and bytea compare bytewise in both
// dialects), so no dialect's substring function is needed: secret >= prefix
// and < the next prefix of the same length.
func (s *Store) ListTwoFactorSecrets(ctx context.Context, prefix []byte, limit int) ([]storage.TwoFactorMethod, error) {
	query := `SELECT user_id, id, method, secret, last_step, last_used, inserted_at, doc FROM two_factor_methods
		WHERE secret >= $1 AND secret < $2 ORDER BY user_id, id LIMIT $3`
	args := []any{prefix, nil, limit}
	if end, ok := prefixEnd(prefix); ok {
		args[1] = end
	} else {
		query = `SELECT user_id, id, method, secret, last_step, last_used, inserted_at, doc FROM two_factor_methods
			WHERE secret >= $1 ORDER BY user_id, id LIMIT $2`
		args = []any{prefix, limit}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.TwoFactorMethod{}
	for rows.Next() {
		var m storage.TwoFactorMethod
		var used, inserted int64
		var doc string
		if err := rows.Scan(&m.UserID, &m.ID, &m.Method, &m.Secret, &m.LastStep, &used, &inserted, &doc); err != nil {
			return nil, s.wrap(err)
		}
		var d methodDoc
		if err := decode(doc, &d); err != nil {
			return nil, err
		}
		m.Email, m.MobilePhone, m.Name = d.Email, d.MobilePhone, d.Name
		m.LastUsedAt, m.InsertedAt = fromMS(used), fromMS(inserted)
		out = append(out, m)
	}
	return out, s.wrap(rows.Err())
}

// prefixEnd is the smallest byte string of len(p) above every string that
// starts with p; false when p is all 0xff (no such string).
func prefixEnd(p []byte) ([]byte, bool) {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}

// ReplaceTwoFactorSecret is a compare-and-swap on the secret: one statement,
// so of a re-seal and a concurrent change only one applies.
func (s *Store) ReplaceTwoFactorSecret(ctx context.Context, userID, id string, prev, next []byte) error {
	n, err := s.exec(ctx, `UPDATE two_factor_methods SET secret = $4 WHERE user_id = $1 AND id = $2 AND secret = $3`,
		userID, id, prev, next)
	if err != nil {
		return err
	}
	if n == 0 {
		var one int
		if err := s.w.QueryRowContext(ctx, `SELECT 1 FROM two_factor_methods WHERE user_id = $1 AND id = $2`, userID, id).Scan(&one); err != nil {
			return s.wrap(err)
		}
		return storage.ErrConflict
	}
	return nil
}

package sqlstorage

import (
	"context"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// methodDoc is the part of a two-factor method kept as JSON: what is never
// queried on.
type methodDoc struct {
	Email       string `json:"email,omitempty"`
	MobilePhone string `json:"mobilePhone,omitempty"`
	Name        string `json:"name,omitempty"`
}

// AddTwoFactorMethod adds the method and, for a user's first method, the
// recovery codes, in one transaction.
func (s *Store) AddTwoFactorMethod(ctx context.Context, m storage.TwoFactorMethod, recovery [][]byte) error {
	doc, err := encode(methodDoc{Email: m.Email, MobilePhone: m.MobilePhone, Name: m.Name})
	if err != nil {
		return err
	}
	return s.tx(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO two_factor_methods (user_id, id, method, secret, last_step, last_used, inserted_at, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.UserID, m.ID, m.Method, m.Secret, m.LastStep, ms(m.LastUsedAt), ms(m.InsertedAt), doc); err != nil {
			return err
		}
		if recovery == nil {
			return nil
		}
		return replaceCodes(ctx, q, m.UserID, recovery)
	})
}

func replaceCodes(ctx context.Context, q querier, userID string, hashes [][]byte) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := q.ExecContext(ctx, `INSERT INTO two_factor_recovery_codes (user_id, hash) VALUES ($1, $2)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// ListTwoFactorMethods lists a user's methods, oldest first.
func (s *Store) ListTwoFactorMethods(ctx context.Context, userID string) ([]storage.TwoFactorMethod, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, method, secret, last_step, last_used, inserted_at, doc
		FROM two_factor_methods WHERE user_id = $1 ORDER BY inserted_at, id`, userID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := []storage.TwoFactorMethod{}
	for rows.Next() {
		m := storage.TwoFactorMethod{UserID: userID}
		var used, inserted int64
		var doc string
		if err := rows.Scan(&m.ID, &m.Method, &m.Secret, &m.LastStep, &used, &inserted, &doc); err != nil {
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

// RenameTwoFactorMethod sets the method's name.
func (s *Store) RenameTwoFactorMethod(ctx context.Context, userID, id, name string) error {
	var doc string
	err := s.w.QueryRowContext(ctx, `SELECT doc FROM two_factor_methods WHERE user_id = $1 AND id = $2`, userID, id).Scan(&doc)
	if err != nil {
		return s.wrap(err)
	}
	var d methodDoc
	if err := decode(doc, &d); err != nil {
		return err
	}
	d.Name = name
	if doc, err = encode(d); err != nil {
		return err
	}
	return s.mustAffect(s.exec(ctx, `UPDATE two_factor_methods SET doc = $3 WHERE user_id = $1 AND id = $2`, userID, id, doc))
}

// RemoveTwoFactorMethod deletes the method, and the recovery codes with the
// last one.
func (s *Store) RemoveTwoFactorMethod(ctx context.Context, userID, id string, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM two_factor_methods WHERE user_id = $1 AND id = $2`, userID, id)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1
			AND NOT EXISTS (SELECT 1 FROM two_factor_methods WHERE user_id = $1)`, userID); err != nil {
			return err
		}
		if err := endTrusts(ctx, q, userID); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// RemoveTwoFactorMethods deletes every method and recovery code of the
// user with the audit entries, in one transaction; ErrNotFound (nothing
// written) when the user has no method.
func (s *Store) RemoveTwoFactorMethods(ctx context.Context, userID string, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM two_factor_methods WHERE user_id = $1`, userID)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if err := endTrusts(ctx, q, userID); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// UseTwoFactorStep is the compare-and-swap on last_step: one statement, so
// its condition is evaluated against the winner's row on PostgreSQL too.
func (s *Store) UseTwoFactorStep(ctx context.Context, userID, id string, step int64, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE two_factor_methods SET last_step = $3, last_used = $4
		WHERE user_id = $1 AND id = $2 AND last_step < $3`, userID, id, step, ms(at))
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

// MarkTwoFactorUsed records the use of a method without a step.
func (s *Store) MarkTwoFactorUsed(ctx context.Context, userID, id string, at time.Time) error {
	return s.mustAffect(s.exec(ctx, `UPDATE two_factor_methods SET last_used = $3 WHERE user_id = $1 AND id = $2`, userID, id, ms(at)))
}

// ReplaceRecoveryCodes replaces the user's recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte) error {
	return s.tx(ctx, func(q querier) error { return replaceCodes(ctx, q, userID, hashes) })
}

// ConsumeRecoveryCode deletes one code; the DELETE decides who wins.
func (s *Store) ConsumeRecoveryCode(ctx context.Context, userID string, hash []byte) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1 AND hash = $2`, userID, hash))
}

// DisableTwoFactor consumes the code and removes every method and code.
func (s *Store) DisableTwoFactor(ctx context.Context, userID string, recoveryHash []byte) error {
	return s.tx(ctx, func(q querier) error {
		if err := mustAffectTx(q.ExecContext(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1 AND hash = $2`, userID, recoveryHash)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM two_factor_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM two_factor_methods WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return endTrusts(ctx, q, userID)
	})
}

// endTrusts deletes the user's twoFactorTrustIds (trusted devices), in the
// caller's transaction: a second factor removed, or every session of the
// user ended, means every device proves itself again.
func endTrusts(ctx context.Context, q querier, userID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM challenges WHERE user_id = $1 AND kind = $2`, userID, storage.ChallengeTwoFactorTrust)
	return err
}

// CountRecoveryCodes counts the user's unused codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM two_factor_recovery_codes WHERE user_id = $1`, userID).Scan(&n)
	return n, s.wrap(err)
}

package sqlstorage

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// verifyRegistrationTx marks the user's registration v.RegistrationID
// verified at v.Instant inside a ChangeUser transaction; ErrNotFound, which
// rolls the change back, when the user has no such registration (it was
// deleted, or deleted and made again, since the verificationId was sent).
func (s *Store) verifyRegistrationTx(ctx context.Context, q querier, userID string, v storage.RegistrationVerified) error {
	patch := fmt.Sprintf(`{"verified":true,"verifiedInstant":%d}`, v.Instant)
	stmt := `UPDATE registrations SET doc = json_patch(doc, $3), revision = revision + 1 WHERE id = $1 AND user_id = $2`
	if s.dialect == DialectPostgres {
		stmt = `UPDATE registrations SET doc = (doc::jsonb || CAST($3 AS jsonb))::text, revision = revision + 1 WHERE id = $1 AND user_id = $2`
	}
	res, err := q.ExecContext(ctx, stmt, v.RegistrationID, userID, patch)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// identifierApp is the per-dialect expression of an identifier's
// data.applicationId.
func (s *Store) identifierApp() string {
	if s.dialect == DialectPostgres {
		return `(data::jsonb ->> 'applicationId')`
	}
	return `json_extract(data, '$.applicationId')`
}

package sqlstorage

import (
	"context"
	"encoding/json"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateIdentityProviderConnectionTest inserts t; the foreign keys make a
// missing provider or tenant ErrNotFound.
func (s *Store) CreateIdentityProviderConnectionTest(ctx context.Context, t storage.IdentityProviderConnectionTest) error {
	return s.write1(ctx, func(q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO identity_provider_connection_tests (id, tenant_id, identity_provider_id, insert_instant, expires_instant)
			VALUES ($1, $2, $3, $4, $5)`, t.ID, t.TenantID, t.IdentityProviderID, t.InsertInstant, t.ExpiresInstant)
		return s.wrap(err)
	})
}

// GetIdentityProviderConnectionTest reads the test with id unexpired at now.
func (s *Store) GetIdentityProviderConnectionTest(ctx context.Context, id string, now int64) (storage.IdentityProviderConnectionTest, error) {
	var t storage.IdentityProviderConnectionTest
	var steps string
	err := s.r.QueryRowContext(ctx, `SELECT id, tenant_id, identity_provider_id, insert_instant, expires_instant, complete_instant,
		steps, identity_provider_user_id, email, username FROM identity_provider_connection_tests WHERE id = $1 AND expires_instant > $2`, id, now).
		Scan(&t.ID, &t.TenantID, &t.IdentityProviderID, &t.InsertInstant, &t.ExpiresInstant, &t.CompleteInstant,
			&steps, &t.IdentityProviderUserID, &t.Email, &t.Username)
	if err != nil {
		return t, s.wrap(err)
	}
	t.Steps = []storage.IdentityProviderTestStep{}
	if err := json.Unmarshal([]byte(steps), &t.Steps); err != nil {
		return t, err
	}
	return t, nil
}

// CountIdentityProviderConnectionTests counts providerID's unexpired tests.
func (s *Store) CountIdentityProviderConnectionTests(ctx context.Context, providerID string, now int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM identity_provider_connection_tests WHERE identity_provider_id = $1 AND expires_instant > $2`,
		providerID, now).Scan(&n)
	return n, s.wrap(err)
}

// CompleteIdentityProviderConnectionTest records r in one conditional
// UPDATE: of two concurrent completions at most one changes the row.
func (s *Store) CompleteIdentityProviderConnectionTest(ctx context.Context, id, providerID string, r storage.IdentityProviderConnectionTest) error {
	steps := r.Steps
	if steps == nil {
		steps = []storage.IdentityProviderTestStep{}
	}
	b, err := json.Marshal(steps)
	if err != nil {
		return err
	}
	return s.write1(ctx, func(q querier) error {
		return s.wrap(mustAffectTx(q.ExecContext(ctx, `UPDATE identity_provider_connection_tests SET complete_instant = $1, steps = $2,
			identity_provider_user_id = $3, email = $4, username = $5
			WHERE id = $6 AND identity_provider_id = $7 AND complete_instant = 0 AND expires_instant > $1`,
			r.CompleteInstant, string(b), r.IdentityProviderUserID, r.Email, r.Username, id, providerID)))
	})
}

// PurgeIdentityProviderConnectionTests deletes a batch of expired tests
// (the expiry index), one short write like the janitor's other purges.
func (s *Store) PurgeIdentityProviderConnectionTests(ctx context.Context, expiredBefore int64, limit int) (int, error) {
	return s.purge(ctx, `DELETE FROM identity_provider_connection_tests WHERE id IN (
		SELECT id FROM identity_provider_connection_tests WHERE expires_instant <= $1 LIMIT $2)`, expiredBefore, limit)
}

package sqlstorage

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateConsent stores c and its audit entries; the unique name_lower
// makes a duplicate name ErrConflict, as a duplicate id is.
func (s *Store) CreateConsent(ctx context.Context, c storage.Consent, audit ...storage.AuditEntry) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO consents (id, name_lower, doc) VALUES ($1, $2, $3)`,
		c.ID, strings.ToLower(c.Name), doc)
	return err
}

// GetConsent returns the consent or ErrNotFound.
func (s *Store) GetConsent(ctx context.Context, id string) (storage.Consent, error) {
	return getRevised(ctx, s, "consents", id, func(c *storage.Consent) *int64 { return &c.Revision })
}

// ListConsents lists every consent ordered by name, then id.
func (s *Store) ListConsents(ctx context.Context) ([]storage.Consent, error) {
	return listDocs[storage.Consent](ctx, s, `SELECT doc FROM consents ORDER BY name_lower, id`)
}

// UpdateConsent replaces the consent on the condition that its revision is
// still c.Revision when that is not 0 (updateRevised).
func (s *Store) UpdateConsent(ctx context.Context, c storage.Consent, audit ...storage.AuditEntry) error {
	doc, err := encode(c)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, audit, "consents", c.ID, c.Revision, `name_lower = $2, doc = $3`, strings.ToLower(c.Name), doc)
}

// DeleteConsent removes the consent; its user consents cascade.
func (s *Store) DeleteConsent(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM consents WHERE id = $1`, id))
}

// CreateUserConsent inserts uc with its user's tenant, read from the user
// row in the same transaction: a user that does not exist (or was deleted
// meanwhile) inserts nothing and is ErrNotFound, and so is an unknown
// consent (the foreign key). The outbox messages commit with it or not at
// all.
func (s *Store) CreateUserConsent(ctx context.Context, uc storage.UserConsent, outbox []storage.OutboxMessage, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		var tenantID string
		if err := q.QueryRowContext(ctx, `SELECT tenant_id FROM users WHERE id = $1`, uc.UserID).Scan(&tenantID); err != nil {
			return err
		}
		uc.TenantID = tenantID
		doc, err := encode(uc)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO user_consents (id, user_id, tenant_id, consent_id, giver_user_id, doc)
			VALUES ($1, $2, $3, $4, $5, $6)`, uc.ID, uc.UserID, tenantID, uc.ConsentID, uc.GiverUserID, doc); err != nil {
			return err
		}
		if err := enqueueTx(ctx, q, outbox); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// GetUserConsent returns the user consent or ErrNotFound.
func (s *Store) GetUserConsent(ctx context.Context, id string) (storage.UserConsent, error) {
	return getRevised(ctx, s, "user_consents", id, func(uc *storage.UserConsent) *int64 { return &uc.Revision })
}

// ListUserConsents lists a user's consents by insertInstant, then id; the
// instant is the document's, read back in Go.
func (s *Store) ListUserConsents(ctx context.Context, userID string) ([]storage.UserConsent, error) {
	list, err := listDocs[storage.UserConsent](ctx, s, `SELECT doc FROM user_consents WHERE user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	sortUserConsents(list)
	return list, nil
}

// UpdateUserConsent rewrites the document of the user consent, keeping the
// columns its user, tenant, consent and giver live in.
func (s *Store) UpdateUserConsent(ctx context.Context, uc storage.UserConsent, audit ...storage.AuditEntry) error {
	doc, err := encode(uc)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, audit, "user_consents", uc.ID, uc.Revision, `doc = $2`, doc)
}

func sortUserConsents(list []storage.UserConsent) {
	slices.SortFunc(list, func(a, b storage.UserConsent) int {
		return cmp.Or(cmp.Compare(a.InsertInstant, b.InsertInstant), strings.Compare(a.ID, b.ID))
	})
}

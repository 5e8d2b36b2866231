package sqlstorage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateIdentityProvider stores a provider; ErrConflict on a duplicate id or name.
func (s *Store) CreateIdentityProvider(ctx context.Context, p storage.IdentityProvider, audit ...storage.AuditEntry) error {
	doc, err := encode(p)
	if err != nil {
		return err
	}
	_, err = s.execAudited(ctx, audit, `INSERT INTO identity_providers (id, type, name, doc) VALUES ($1, $2, $3, $4)`, p.ID, p.Type, p.Name, doc)
	return err
}

// GetIdentityProvider returns the provider or ErrNotFound.
func (s *Store) GetIdentityProvider(ctx context.Context, id string) (storage.IdentityProvider, error) {
	return getRevised(ctx, s, "identity_providers", id, func(p *storage.IdentityProvider) *int64 { return &p.Revision })
}

// ListIdentityProviders lists every provider by name.
func (s *Store) ListIdentityProviders(ctx context.Context) ([]storage.IdentityProvider, error) {
	return listDocs[storage.IdentityProvider](ctx, s, `SELECT doc FROM identity_providers ORDER BY name`)
}

// UpdateIdentityProvider replaces a provider, on the condition that its
// revision is still p.Revision when that is not 0 (updateRevised).
func (s *Store) UpdateIdentityProvider(ctx context.Context, p storage.IdentityProvider, audit ...storage.AuditEntry) error {
	doc, err := encode(p)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, audit, "identity_providers", p.ID, p.Revision, `type = $2, name = $3, doc = $4`, p.Type, p.Name, doc)
}

// DeleteIdentityProvider removes a provider; its links cascade.
func (s *Store) DeleteIdentityProvider(ctx context.Context, id string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM identity_providers WHERE id = $1`, id))
}

// GetIdentityProviderLink finds the link of an upstream account in a
// tenant.
func (s *Store) GetIdentityProviderLink(ctx context.Context, tenantID, providerID, providerUserID string) (storage.IdentityProviderLink, error) {
	var l storage.IdentityProviderLink
	var doc string
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM identity_provider_links
		WHERE tenant_id = $1 AND identity_provider_id = $2 AND identity_provider_user_id = $3`, tenantID, providerID, providerUserID).Scan(&doc)
	if err != nil {
		return l, s.wrap(err)
	}
	return l, decode(doc, &l)
}

// CreateIdentityProviderLink inserts l and its audit entries in one
// transaction: the primary key (tenant, provider, upstream id) makes a
// second link of the upstream account in l's tenant ErrConflict, the
// foreign keys a missing provider or user ErrNotFound, and a link beyond
// maxLinks (when not 0) ErrLinkLimit (insertLink). l.TenantID must be its
// user's tenant.
func (s *Store) CreateIdentityProviderLink(ctx context.Context, l storage.IdentityProviderLink, maxLinks int, audit ...storage.AuditEntry) error {
	return s.tx(ctx, func(q querier) error {
		if err := s.insertLink(ctx, q, l, maxLinks, true); err != nil {
			return err
		}
		return insertAudit(ctx, q, audit)
	})
}

// insertLink inserts l; with maxLinks set, only while its user has at
// most maxLinks links to the provider with it. The count is taken under
// the user's row lock (lockUser is false for a user the transaction
// created: nobody else can link it yet), so of two concurrent links at the
// limit the second counts the first's and is refused; SQLite runs one
// write transaction at a time.
func (s *Store) insertLink(ctx context.Context, q querier, l storage.IdentityProviderLink, maxLinks int, lockUser bool) error {
	if maxLinks > 0 && lockUser {
		if err := s.lockLinkUser(ctx, q, l.UserID); err != nil {
			return err
		}
	}
	doc, err := encode(l)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO identity_provider_links (tenant_id, identity_provider_id, identity_provider_user_id, user_id, doc)
		VALUES ($1, $2, $3, $4, $5)`, l.TenantID, l.IdentityProviderID, l.IdentityProviderUserID, l.UserID, doc); err != nil {
		return err
	}
	if maxLinks <= 0 {
		return nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM identity_provider_links WHERE user_id = $1 AND identity_provider_id = $2`,
		l.UserID, l.IdentityProviderID).Scan(&n); err != nil {
		return err
	}
	if n > maxLinks {
		return storage.ErrLinkLimit // the transaction rolls the insert back
	}
	return nil
}

// lockLinkUser locks the user's row against other link writes for the
// transaction (PostgreSQL's FOR NO KEY UPDATE, which the foreign-key checks
// of the user's other rows do not wait for); ErrNotFound for no such user.
func (s *Store) lockLinkUser(ctx context.Context, q querier, userID string) error {
	query := `SELECT 1 FROM users WHERE id = $1`
	if s.dialect == DialectPostgres {
		query += ` FOR NO KEY UPDATE`
	}
	var one int
	err := q.QueryRowContext(ctx, query, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// ListIdentityProviderLinks returns a user's links (to one provider when
// providerID is set).
func (s *Store) ListIdentityProviderLinks(ctx context.Context, userID, providerID string) ([]storage.IdentityProviderLink, error) {
	if providerID == "" {
		return listDocs[storage.IdentityProviderLink](ctx, s, `SELECT doc FROM identity_provider_links WHERE user_id = $1
			ORDER BY identity_provider_id, identity_provider_user_id`, userID)
	}
	return listDocs[storage.IdentityProviderLink](ctx, s, `SELECT doc FROM identity_provider_links WHERE user_id = $1
		AND identity_provider_id = $2 ORDER BY identity_provider_user_id`, userID, providerID)
}

// DeleteIdentityProviderLink removes the link of an upstream account that
// is userID's.
func (s *Store) DeleteIdentityProviderLink(ctx context.Context, providerID, providerUserID, userID string, audit ...storage.AuditEntry) error {
	return s.mustAffect(s.execAudited(ctx, audit, `DELETE FROM identity_provider_links
		WHERE identity_provider_id = $1 AND identity_provider_user_id = $2 AND user_id = $3`, providerID, providerUserID, userID))
}

// CreateFederatedAccount writes the user, registration and link in one
// transaction.
func (s *Store) CreateFederatedAccount(ctx context.Context, a storage.FederatedAccount) error {
	return s.tx(ctx, func(q querier) error {
		if u := a.User; u != nil {
			doc, err := userDoc(*u)
			if err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO users (id, tenant_id, email_lower, username_lower, doc, pw_scheme, pw_factor, pw_salt, pw_hash)
				VALUES ($1, $2, $3, $4, $5, '', 0, '', '')`, u.ID, u.TenantID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc); err != nil {
				return err
			}
		}
		if r := a.Registration; r != nil {
			doc, err := encode(*r)
			if err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO registrations (id, user_id, application_id, doc) VALUES ($1, $2, $3, $4)`,
				r.ID, r.UserID, r.ApplicationID, doc); err != nil {
				return err
			}
		}
		if err := updateFederated(ctx, q, a); err != nil {
			return err
		}
		if a.Link.IdentityProviderID == "" {
			return nil // a registration only: the user was linked before
		}
		return s.insertLink(ctx, q, a.Link, a.MaxLinks, a.User == nil)
	})
}

// updateFederated writes what a reconcile lambda changed of an existing
// user and registration, each on the condition of its revision as read.
func updateFederated(ctx context.Context, q querier, a storage.FederatedAccount) error {
	if u := a.UpdatedUser; u != nil {
		doc, err := userDoc(*u)
		if err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE users SET email_lower = $2, username_lower = $3, doc = $4, revision = revision + 1
			WHERE id = $1 AND revision = $5`, u.ID, lowerOrNull(u.Email), lowerOrNull(u.Username), doc, u.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrStale
		}
		if err := upsertUserSearch(ctx, q, *u); err != nil {
			return err
		}
	}
	if r := a.UpdatedRegistration; r != nil {
		doc, err := encode(*r)
		if err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, `UPDATE registrations SET doc = $3, revision = revision + 1
			WHERE user_id = $1 AND application_id = $2 AND revision = $4`, r.UserID, r.ApplicationID, doc, r.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrStale
		}
	}
	return nil
}

package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateEmailTemplate stores a template; ErrConflict on a duplicate id or name.
func (s *Store) CreateEmailTemplate(ctx context.Context, t storage.EmailTemplate) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO email_templates (id, name, doc) VALUES ($1, $2, $3)`, t.ID, t.Name, doc)
	return err
}

// GetEmailTemplate returns the template or ErrNotFound.
func (s *Store) GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error) {
	return getRevised(ctx, s, "email_templates", id, func(t *storage.EmailTemplate) *int64 { return &t.Revision })
}

// ListEmailTemplates lists every template ordered by name.
func (s *Store) ListEmailTemplates(ctx context.Context) ([]storage.EmailTemplate, error) {
	return listDocs[storage.EmailTemplate](ctx, s, `SELECT doc FROM email_templates ORDER BY name, id`)
}

// UpdateEmailTemplate replaces the template, on the condition that its
// revision is still t.Revision when that is not 0 (updateRevised);
// ErrNotFound when missing, ErrConflict when the new name belongs to
// another template.
func (s *Store) UpdateEmailTemplate(ctx context.Context, t storage.EmailTemplate) error {
	doc, err := encode(t)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, nil, "email_templates", t.ID, t.Revision, `name = $2, doc = $3`, t.Name, doc)
}

// DeleteEmailTemplate removes the template; ErrNotFound when missing.
func (s *Store) DeleteEmailTemplate(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM email_templates WHERE id = $1`, id))
}

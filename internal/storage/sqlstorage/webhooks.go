package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateWebhook stores a webhook; ErrConflict on a duplicate id.
func (s *Store) CreateWebhook(ctx context.Context, w storage.Webhook) error {
	doc, err := encode(w)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO webhooks (id, doc) VALUES ($1, $2)`, w.ID, doc)
	return err
}

// GetWebhook returns the webhook or ErrNotFound.
func (s *Store) GetWebhook(ctx context.Context, id string) (storage.Webhook, error) {
	var w storage.Webhook
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM webhooks WHERE id = $1`, id).Scan(&doc); err != nil {
		return w, s.wrap(err)
	}
	return w, decode(doc, &w)
}

// ListWebhooks lists every webhook ordered by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]storage.Webhook, error) {
	return listDocs[storage.Webhook](ctx, s, `SELECT doc FROM webhooks ORDER BY id`)
}

// UpdateWebhook replaces the webhook; ErrNotFound when it does not exist.
func (s *Store) UpdateWebhook(ctx context.Context, w storage.Webhook) error {
	doc, err := encode(w)
	if err != nil {
		return err
	}
	return s.mustAffect(s.exec(ctx, `UPDATE webhooks SET doc = $2 WHERE id = $1`, w.ID, doc))
}

// DeleteWebhook removes the webhook; ErrNotFound when it does not exist.
// Deliveries already queued for it are dropped by the worker when it finds
// the webhook gone.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id))
}

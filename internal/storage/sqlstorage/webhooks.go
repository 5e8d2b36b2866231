package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateWebhook stores a webhook; ErrConflict on a duplicate id.
func (s *Store) CreateWebhook(ctx context.Context, w storage.Webhook) error {
	doc, err := encodeWebhook(w)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO webhooks (id, doc) VALUES ($1, $2)`, w.ID, doc)
	return err
}

// GetWebhook returns the webhook or ErrNotFound.
func (s *Store) GetWebhook(ctx context.Context, id string) (storage.Webhook, error) {
	d, err := getRevised(ctx, s, "webhooks", id, func(d *webhookDoc) *int64 { return &d.Revision })
	return d.webhook(), err
}

// ListWebhooks lists every webhook ordered by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]storage.Webhook, error) {
	docs, err := listDocs[webhookDoc](ctx, s, `SELECT doc FROM webhooks ORDER BY id`)
	out := make([]storage.Webhook, len(docs))
	for i, d := range docs {
		out[i] = d.webhook()
	}
	return out, err
}

// UpdateWebhook replaces the webhook, on the condition that its revision
// is still w.Revision when that is not 0 (updateRevised); ErrNotFound when
// it does not exist.
func (s *Store) UpdateWebhook(ctx context.Context, w storage.Webhook) error {
	doc, err := encodeWebhook(w)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, nil, "webhooks", w.ID, w.Revision, `doc = $2`, doc)
}

// DeleteWebhook removes the webhook; ErrNotFound when it does not exist.
// Deliveries already queued for it are dropped by the worker when it finds
// the webhook gone.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id))
}

// webhookDoc is the stored form of a webhook: the record's JSON plus the
// field its JSON form leaves out.
type webhookDoc struct {
	storage.Webhook
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm,omitempty"`
}

func encodeWebhook(w storage.Webhook) (string, error) {
	return encode(webhookDoc{Webhook: w, SigningKeyAlgorithm: w.SignatureConfiguration.SigningKeyAlgorithm})
}

func (d webhookDoc) webhook() storage.Webhook {
	w := d.Webhook
	w.SignatureConfiguration.SigningKeyAlgorithm = d.SigningKeyAlgorithm
	return w
}

package sqlstorage

import (
	"context"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// CreateLambda stores a lambda; ErrConflict on a duplicate id.
func (s *Store) CreateLambda(ctx context.Context, l storage.Lambda) error {
	doc, err := encode(l)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO lambdas (id, name, doc) VALUES ($1, $2, $3)`, l.ID, l.Name, doc)
	return err
}

// GetLambda returns the lambda or ErrNotFound.
func (s *Store) GetLambda(ctx context.Context, id string) (storage.Lambda, error) {
	return getRevised(ctx, s, "lambdas", id, func(l *storage.Lambda) *int64 { return &l.Revision })
}

// ListLambdas lists every lambda ordered by name, then id.
func (s *Store) ListLambdas(ctx context.Context) ([]storage.Lambda, error) {
	return listDocs[storage.Lambda](ctx, s, `SELECT doc FROM lambdas ORDER BY name, id`)
}

// UpdateLambda replaces the lambda, on the condition that its revision is
// still l.Revision when that is not 0 (updateRevised); ErrNotFound when it
// does not exist.
func (s *Store) UpdateLambda(ctx context.Context, l storage.Lambda) error {
	doc, err := encode(l)
	if err != nil {
		return err
	}
	return s.updateRevisedAudited(ctx, nil, "lambdas", l.ID, l.Revision, `name = $2, doc = $3`, l.Name, doc)
}

// DeleteLambda removes the lambda; ErrNotFound when it does not exist.
func (s *Store) DeleteLambda(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM lambdas WHERE id = $1`, id))
}

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
	var l storage.Lambda
	var doc string
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM lambdas WHERE id = $1`, id).Scan(&doc); err != nil {
		return l, s.wrap(err)
	}
	return l, decode(doc, &l)
}

// ListLambdas lists every lambda ordered by name, then id.
func (s *Store) ListLambdas(ctx context.Context) ([]storage.Lambda, error) {
	return listDocs[storage.Lambda](ctx, s, `SELECT doc FROM lambdas ORDER BY name, id`)
}

// UpdateLambda replaces the lambda; ErrNotFound when it does not exist.
func (s *Store) UpdateLambda(ctx context.Context, l storage.Lambda) error {
	doc, err := encode(l)
	if err != nil {
		return err
	}
	return s.mustAffect(s.exec(ctx, `UPDATE lambdas SET name = $2, doc = $3 WHERE id = $1`, l.ID, l.Name, doc))
}

// DeleteLambda removes the lambda; ErrNotFound when it does not exist.
func (s *Store) DeleteLambda(ctx context.Context, id string) error {
	return s.mustAffect(s.exec(ctx, `DELETE FROM lambdas WHERE id = $1`, id))
}

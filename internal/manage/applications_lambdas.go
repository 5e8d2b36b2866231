package manage

import (
	"context"
	"errors"

	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// checkLambdas requires application.lambdaConfiguration's ids, when set, to
// name JWTPopulate lambdas: FusionAuth has no separate id-token type, so
// both take that type (lambdas.json).
func checkLambdas(ctx context.Context, st interface {
	GetLambda(ctx context.Context, id string) (storage.Lambda, error)
}, e *Invalid, c storage.LambdaConfiguration) error {
	for _, f := range []struct{ field, id string }{
		{"application.lambdaConfiguration.accessTokenPopulateId", c.AccessTokenPopulateID},
		{"application.lambdaConfiguration.idTokenPopulateId", c.IDTokenPopulateID},
	} {
		if f.id == "" {
			continue
		}
		l, err := st.GetLambda(ctx, f.id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			e.Field("invalid", f.field, "The lambda ["+truncate(f.id, 64)+"] does not exist.")
		case err != nil:
			return err
		case l.Type != string(lambda.JWTPopulate):
			e.Field("invalid", f.field, "The lambda ["+f.id+"] is of type ["+l.Type+"]; a JWTPopulate lambda is required.")
		}
	}
	return nil
}

// checkReconcileLambda requires identityProvider.lambdaConfiguration.reconcileId,
// when set, to name an OpenIDReconcile lambda (FusionAuth's type for an
// OpenID Connect provider's reconcile lambda).
func checkReconcileLambda(ctx context.Context, st interface {
	GetLambda(ctx context.Context, id string) (storage.Lambda, error)
}, e *Invalid, id string) error {
	const field = "identityProvider.lambdaConfiguration.reconcileId"
	if id == "" {
		return nil
	}
	l, err := st.GetLambda(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		e.Field("invalid", field, "The lambda ["+truncate(id, 64)+"] does not exist.")
	case err != nil:
		return err
	case l.Type != string(lambda.OpenIDReconcile):
		e.Field("invalid", field, "The lambda ["+id+"] is of type ["+l.Type+"]; an OpenIDReconcile lambda is required.")
	}
	return nil
}

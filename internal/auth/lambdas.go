package auth

import (
	"context"
	"encoding/json"

	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// JWT populate lambdas (application.lambdaConfiguration; FusionAuth
// extend/code/lambdas/jwt-populate). mint calls populate for the access
// token and the id token of every issuance: login, refresh, every grant,
// the tokens of a user create. The lambda records are cached like
// applications and forgotten on change (ForgetLambda); the engine, one per
// process, caches their compiled bodies.

// populate runs the lambda id on claims and returns the claims to sign. A
// lambda that cannot be read, throws, times out or hits a limit leaves the
// claims unchanged and the token is issued (FusionAuth's semantics for JWT
// populate lambdas, "Exceptions"); the engine logs its failures with the
// lambda's id, this function the ones before the engine runs.
func (s *Service) populate(ctx context.Context, id string, claims map[string]any, g grant) map[string]any {
	if id == "" || s.cfg.Lambdas == nil {
		return claims
	}
	l, err := s.lambdas.Get(ctx, id)
	if err != nil {
		s.log.WarnContext(ctx, "lambda not available; the token is issued without it", "lambdaId", id, "err", err)
		return claims
	}
	// The user and the registration are encoded only if the body can read
	// them (lambda.Lazy).
	user, reg := g.user, g.reg
	in := lambda.Input{Claims: claims, User: lambda.Lazy(func() any { return jsonView(user) }), Scopes: g.scopes}
	if reg != nil {
		in.Registration = lambda.Lazy(func() any { return jsonView(*reg) })
	}
	return s.cfg.Lambdas.Populate(ctx, engineLambda(l), in).Claims
}

// engineLambda is the stored lambda as the engine takes it.
func engineLambda(l storage.Lambda) lambda.Lambda {
	return lambda.Lambda{ID: l.ID, Name: l.Name, Type: lambda.Type(l.Type), Body: l.Body, Debug: l.Debug,
		Enabled: l.Enabled, EngineType: l.EngineType, InsertInstant: l.InsertInstant, LastUpdateInstant: l.LastUpdateInstant}
}

// jsonView is v as the management API shows it (for a user: never the
// password hash), as JSON for the lambda's read-only copy. The engine
// converts only the members the body reads (lambda.Input); nil, passed as
// undefined, if v cannot be encoded.
func jsonView(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}

// ForgetLambda drops a cached lambda: the lambda API calls it after a
// change, the change feed for changes made on other nodes.
func (s *Service) ForgetLambda(id string) { s.lambdas.Forget(id) }

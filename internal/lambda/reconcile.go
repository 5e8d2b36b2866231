package lambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/dop251/goja"
)

// ReconcileInput is one reconcile call's arguments, as JSON values (those
// Input takes). User and Registration are the management API's views of
// the user and of their registration for the application; a nil
// Registration is passed as undefined (the user has none and the login
// creates none). JWT is the upstream claims the login was decided on,
// IDToken the verified id token's claims (nil: undefined, there was
// none), Tokens the encoded upstream tokens handed to the lambda. The
// lambda gets fresh copies: nothing it does reaches the caller's values.
type ReconcileInput struct {
	User         map[string]any
	Registration map[string]any
	JWT          map[string]any
	IDToken      map[string]any
	Tokens       map[string]any
}

// ReconcileResult is a reconcile call's outcome. On success User and
// Registration are the two objects as the lambda left them, read back as
// claims are (export: members set to null or undefined are absent, each
// object bounded by Config.MaxClaimsBytes); Registration is nil when none
// was passed. The caller decides which of their members it applies. On
// failure both are nil and Err is a *Failure, already logged.
type ReconcileResult struct {
	User         map[string]any
	Registration map[string]any
	Err          error
}

// ReasonUnencodable is a reconcile call that left a member of the user or
// the registration that JSON cannot hold (a function, NaN, a cycle, nesting
// too deep): nothing of the call is applied.
const ReasonUnencodable Reason = "unencodable"

// ErrNotReconcile is Reconcile's error for a lambda of another type.
var ErrNotReconcile = errors.New("lambda: not an OpenIDReconcile lambda")

// Reconcile runs l's reconcile(user, registration, jwt, id_token, tokens)
// (FusionAuth, extend/code/lambdas/openid-connect-response-reconcile) in
// the same sandbox and limits as Populate. Unlike Populate, a failure is
// the caller's to act on: FusionAuth neither creates nor links the user
// when a reconcile lambda throws (extend/code/lambdas "Exceptions"), so
// the login is refused. A failure is logged with the lambda's id (and
// reaches Config.Failures) as Populate's are.
func (e *Engine) Reconcile(ctx context.Context, l Lambda, in ReconcileInput) ReconcileResult {
	if l.Type != OpenIDReconcile {
		return e.reconcileFailed(ctx, l, &Failure{l.ID, ReasonInvalid, ErrNotReconcile.Error()}, nil)
	}
	c, err := e.program(l)
	if err != nil {
		return e.reconcileFailed(ctx, l, &Failure{l.ID, ReasonInvalid, err.Error()}, nil)
	}
	out := e.run(ctx, l, c, &Input{reconcile: &in})
	if out.failure != nil {
		return e.reconcileFailed(ctx, l, out.failure, out.console)
	}
	e.logConsole(ctx, l, out.console)
	return ReconcileResult{User: out.user, Registration: out.registration}
}

// reconcileArguments builds a reconcile call's arguments: mutable copies of
// the user and the registration, and copies of the upstream claims and
// tokens, whose changes nobody reads.
func (sb *sandbox) reconcileArguments(in *ReconcileInput) *args {
	a := &args{reconcile: true, jwt: sb.toJS(orEmpty(in.JWT)), user: sb.toJS(orEmpty(in.User)),
		registration: goja.Undefined(), idToken: goja.Undefined(), tokens: sb.toJS(orEmpty(in.Tokens)), context: goja.Undefined()}
	if in.Registration != nil {
		a.registration = sb.toJS(in.Registration)
	}
	if in.IDToken != nil {
		a.idToken = sb.toJS(in.IDToken)
	}
	return a
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// reconcile calls the body's reconcile and reads the user and the
// registration back.
func (sb *sandbox) reconcile(l Lambda, fn goja.Callable, a *args) outcome {
	if _, err := fn(goja.Undefined(), a.user, a.registration, a.jwt, a.idToken, a.tokens); err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	var out outcome
	for _, o := range []struct {
		v   goja.Value
		dst *map[string]any
	}{{a.user, &out.user}, {a.registration, &out.registration}} {
		if goja.IsUndefined(o.v) {
			continue
		}
		if _, ok := o.v.(*goja.Object); !ok {
			return outcome{failure: &Failure{l.ID, ReasonUnencodable, "not an object"}}
		}
		m, dropped, err := sb.export(o.v)
		if err != nil {
			return outcome{failure: sb.failure(l, err)}
		}
		if len(dropped) > 0 {
			return outcome{failure: &Failure{l.ID, ReasonUnencodable, fmt.Sprint(dropped)}}
		}
		*o.dst = m
	}
	if r, ok := sb.w.stopped(); ok {
		return outcome{failure: &Failure{l.ID, r, ""}}
	}
	return out
}

// reconcileFailed logs a reconcile failure; the login is refused.
func (e *Engine) reconcileFailed(ctx context.Context, l Lambda, f *Failure, console []entry) ReconcileResult {
	e.logFailure(ctx, l, f, console, "reconcile lambda failed; the login is refused and nothing of it is applied", "the login was refused")
	return ReconcileResult{Err: f}
}

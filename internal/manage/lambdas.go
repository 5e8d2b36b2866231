package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// LambdasStore is what Lambdas uses.
type LambdasStore interface {
	storage.LambdaStore
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	ListIdentityProviders(ctx context.Context) ([]storage.IdentityProvider, error)
}

// LambdaCache is the node-local lambda cache a change must clear
// (*auth.Service).
type LambdaCache interface {
	ForgetLambda(id string)
}

// Lambdas is the lambda API (apis/lambdas; spec §3.6.1). Lambdas are
// global, as in FusionAuth.
type Lambdas struct {
	Store  LambdasStore
	Engine *lambda.Engine
	Cache  LambdaCache
	Now    func() time.Time

	updates recordLocks // Update's, by lambda id
}

// LambdaDefaults is what a request's omitted fields become: FusionAuth's
// engine and the deprecated enabled flag on.
func LambdaDefaults() storage.Lambda {
	return storage.Lambda{EngineType: lambda.EngineGraalJS, Enabled: true}
}

// Create stores a new lambda with id ("" generates one) once the engine
// has compiled and loaded its body (lambda.Engine.Validate).
func (ls *Lambdas) Create(ctx context.Context, id string, l storage.Lambda) (storage.Lambda, error) {
	if id == "" {
		id = newID()
	}
	now := ls.Now().UnixMilli()
	l.ID, l.InsertInstant, l.LastUpdateInstant = id, now, now
	if l.EngineType == "" {
		l.EngineType = lambda.EngineGraalJS
	}
	e := ls.validate(l)
	if _, err := ls.Store.GetLambda(ctx, id); err == nil {
		e.Field("duplicate", "lambda.id", "A lambda with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return l, err
	}
	if err := e.Err(); err != nil {
		return l, err
	}
	if err := ls.Store.CreateLambda(ctx, l); errors.Is(err, storage.ErrConflict) {
		return l, invalid("duplicate", "lambda.id", "A lambda with Id ["+id+"] already exists.")
	} else if err != nil {
		return l, err
	}
	return l, nil
}

func (ls *Lambdas) validate(l storage.Lambda) *Invalid {
	e := &Invalid{}
	for _, fe := range ls.Engine.Validate(EngineLambda(l)) {
		e.Field(fe.Kind, fe.Field, fe.Message)
	}
	return e
}

// EngineLambda is l as internal/lambda takes it.
func EngineLambda(l storage.Lambda) lambda.Lambda {
	return lambda.Lambda{ID: l.ID, Name: l.Name, Type: lambda.Type(l.Type), Body: l.Body, Debug: l.Debug,
		Enabled: l.Enabled, EngineType: l.EngineType, InsertInstant: l.InsertInstant, LastUpdateInstant: l.LastUpdateInstant}
}

// Get returns one lambda.
func (ls *Lambdas) Get(ctx context.Context, id string) (storage.Lambda, error) {
	l, err := ls.Store.GetLambda(ctx, id)
	return l, notFound(err)
}

// List returns every lambda, or those of one type (GET /api/lambda?type=).
func (ls *Lambdas) List(ctx context.Context, typ string) ([]storage.Lambda, error) {
	list, err := ls.Store.ListLambdas(ctx)
	if err != nil || typ == "" {
		return list, err
	}
	return slices.DeleteFunc(list, func(l storage.Lambda) bool { return l.Type != typ }), nil
}

// Update replaces lambda id with change's result (a PUT, or a PATCH applied
// to the current one). The type cannot change (FusionAuth ignores it on
// update); the body is validated again. A read-modify-write
// (recordLocks.rewrite): the write holds only while the lambda is as read;
// change runs once per try.
func (ls *Lambdas) Update(ctx context.Context, id string, change func(storage.Lambda) (storage.Lambda, error)) (storage.Lambda, error) {
	var l storage.Lambda
	err := ls.updates.rewrite(id, func() error {
		cur, err := ls.Get(ctx, id)
		if err != nil {
			return err
		}
		if l, err = change(cur); err != nil {
			return err
		}
		l.ID, l.Type, l.InsertInstant, l.LastUpdateInstant, l.Revision = cur.ID, cur.Type, cur.InsertInstant, ls.Now().UnixMilli(), cur.Revision
		if l.EngineType == "" {
			l.EngineType = lambda.EngineGraalJS
		}
		if err := ls.validate(l).Err(); err != nil {
			return err
		}
		return notFound(ls.Store.UpdateLambda(ctx, l))
	})
	if err != nil {
		return l, err
	}
	ls.Cache.ForgetLambda(id)
	return l, nil
}

// Delete removes a lambda no application and no identity provider names;
// one in use is refused with [inUse]lambdaId, which says where.
func (ls *Lambdas) Delete(ctx context.Context, id string) error {
	if _, err := ls.Get(ctx, id); err != nil {
		return err
	}
	var users []string
	for _, inactive := range []bool{false, true} {
		apps, err := ls.Store.ListApplications(ctx, inactive)
		if err != nil {
			return err
		}
		for _, a := range apps {
			if c := a.LambdaConfiguration; c.AccessTokenPopulateID == id || c.IDTokenPopulateID == id {
				users = append(users, a.ID)
			}
		}
	}
	if len(users) > 0 {
		return invalid("inUse", "lambdaId", "The lambda is used by application ["+strings.Join(users, "], [")+"]; point it elsewhere first.")
	}
	ps, err := ls.Store.ListIdentityProviders(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.LambdaConfiguration.ReconcileID == id {
			users = append(users, p.ID)
		}
	}
	if len(users) > 0 {
		return invalid("inUse", "lambdaId", "The lambda is used by identity provider ["+strings.Join(users, "], [")+"]; point it elsewhere first.")
	}
	if err := ls.Store.DeleteLambda(ctx, id); err != nil {
		return notFound(err)
	}
	ls.Cache.ForgetLambda(id)
	return nil
}

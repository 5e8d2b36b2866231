package lambda

import (
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"
)

// call carries one call's arguments, copied so that a call abandoned at its
// deadline never reads memory its caller has reused.
type call struct {
	claims, user, registration []byte
	scopes                     []string
}

// outcome is what the call's goroutine hands back.
type outcome struct {
	claims  map[string]any
	dropped []string
	console []entry
	failure *Failure
}

// findPopulate resolves populate as the body's top level sees it, so that a
// `let` or `const` binding counts as well as a function declaration.
var findPopulate = goja.MustCompile("find populate",
	`typeof populate === "function" ? populate : undefined`, false)

// execute runs one call in a fresh runtime. A fresh runtime per call is what
// keeps calls apart: nothing a body does to globals or builtin prototypes
// survives it (docs/decisions.md, "Lambda isolation"). With args nil it only
// loads the body and looks for populate (Validate).
func (e *Engine) execute(l Lambda, prog *goja.Program, args *call, w *watch, remaining time.Duration) (out outcome) {
	var sb *sandbox
	defer func() {
		if p := recover(); p != nil {
			out = outcome{failure: &Failure{l.ID, ReasonInternal, fmt.Sprint(p)}}
		}
		if sb != nil {
			out.console = sb.console.entries
		}
	}()
	if remaining <= 0 {
		return outcome{failure: &Failure{l.ID, ReasonTimeout, ""}}
	}
	rt := goja.New()
	sb = newSandbox(rt, e.cfg, w, l.Debug)
	w.start(rt, remaining)
	defer w.finish()
	if _, err := rt.RunProgram(prog); err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	v, err := rt.RunProgram(findPopulate)
	if err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	populate, ok := goja.AssertFunction(v)
	if !ok {
		return outcome{failure: &Failure{l.ID, ReasonNoPopulate, ""}}
	}
	if args == nil {
		return outcome{}
	}
	jwt, user, reg, ctx, err := sb.arguments(args)
	if err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	if _, err := populate(goja.Undefined(), jwt, user, reg, ctx); err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	claims, dropped, err := sb.export(jwt)
	if err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	if r, ok := w.stopped(); ok {
		return outcome{failure: &Failure{l.ID, r, ""}}
	}
	return outcome{claims: claims, dropped: dropped}
}

// errTooLarge is export's error for claims past Config.MaxClaimsBytes.
var errTooLarge = errors.New("the claims are larger than the limit")

// failure classifies an error from the runtime. A stop (deadline, memory,
// cancel) wins over whatever error it caused on the way out.
func (sb *sandbox) failure(l Lambda, err error) *Failure {
	if r, ok := sb.w.stopped(); ok {
		return &Failure{l.ID, r, err.Error()}
	}
	var ex *goja.Exception
	var interrupted *goja.InterruptedError
	switch {
	case errors.Is(err, errTooLarge):
		return &Failure{l.ID, ReasonTooLarge, err.Error()}
	case errors.As(err, &interrupted):
		return &Failure{l.ID, ReasonTimeout, err.Error()}
	case errors.As(err, &ex):
		return &Failure{l.ID, ReasonException, ex.Error()}
	default:
		return &Failure{l.ID, ReasonInternal, err.Error()}
	}
}

// arguments builds populate's arguments as plain JavaScript values, parsed
// by the runtime's own JSON.parse before the body can have replaced it.
func (sb *sandbox) arguments(a *call) (jwt, user, reg, ctx goja.Value, err error) {
	if jwt, err = sb.parse(a.claims); err != nil {
		return
	}
	user, reg = goja.Undefined(), goja.Undefined()
	if len(a.user) > 0 {
		if user, err = sb.parse(a.user); err != nil {
			return
		}
	}
	if len(a.registration) > 0 && string(a.registration) != "null" {
		if reg, err = sb.parse(a.registration); err != nil {
			return
		}
	}
	scopes := make([]any, len(a.scopes))
	for i, s := range a.scopes {
		scopes[i] = s
	}
	c := sb.rt.NewObject()
	if err = c.Set("scopes", sb.rt.NewArray(scopes...)); err != nil {
		return
	}
	return jwt, user, reg, c, nil
}

func (sb *sandbox) parse(b []byte) (goja.Value, error) {
	return sb.jsonParse(goja.Undefined(), sb.rt.ToValue(string(b)))
}

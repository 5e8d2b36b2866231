package lambda

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dop251/goja"
)

// outcome is what the call's goroutine hands back.
type outcome struct {
	claims map[string]any
	// user and registration are a reconcile call's objects as it left
	// them (registration nil when it was not passed).
	user, registration map[string]any
	dropped            []string
	console            []entry
	failure            *Failure
}

// job is one call handed to a sandbox's goroutine.
type job struct {
	e    *Engine
	l    Lambda
	c    *compiled
	a    *args
	w    *watch
	done chan outcome // buffered: an abandoned call's outcome is dropped
}

// serve runs the sandbox's calls, one at a time, on a goroutine of its own
// that lives as long as the sandbox: handing a call to a parked goroutine
// costs less than starting one, and its stack, grown by the first calls,
// stays grown. It ends when the sandbox is not reused (jobs closed). It
// keeps no reference to an engine between calls, so an engine nobody uses
// any more is collected, and its idle sandboxes' goroutines end with it
// (New).
func (sb *sandbox) serve() {
	for j := range sb.jobs {
		e := j.e
		out, reusable := e.execute(j.l, j.c, j.a, sb, j.w)
		e.settle(sb, reusable) // before the caller learns the outcome: its next call finds sb idle
		j.done <- out
	}
}

// execute runs one call on sb, which is either fresh or was left clean by
// its previous call. With args nil it only loads the body and looks for
// populate (Validate). It reports whether sb may serve another call: not
// after a stop (deadline, memory, cancel), a fault, or a global it cannot
// remove.
func (e *Engine) execute(l Lambda, c *compiled, a *args, sb *sandbox, w *watch) (out outcome, reusable bool) {
	defer func() {
		if p := recover(); p != nil {
			out, reusable = outcome{failure: &Failure{l.ID, ReasonInternal, fmt.Sprint(p)}}, false
		}
		out.console = sb.console.entries
	}()
	sb.begin(w, l.Debug)
	w.start(sb.rt)
	out = sb.call1(l, c, a)
	w.finish()
	if _, stopped := w.stopped(); stopped {
		return out, false
	}
	if out.failure != nil && out.failure.Reason == ReasonInternal {
		return out, false
	}
	sb.uses++
	return out, sb.uses < maxUses && sb.clean()
}

// maxUses retires a runtime after this many calls: whatever state a call
// can leave outside the global object and the frozen builtins (goja's
// internal stacks keep their largest size; anything this package has not
// found) is then outgrown. A rebuild costs milliseconds, well under a
// microsecond a call at this rate.
const maxUses = 10000

// call1 loads the body and calls populate. A body whose populate may be
// kept (keepable) is loaded once per runtime; the others on every call.
func (sb *sandbox) call1(l Lambda, c *compiled, a *args) outcome {
	rt := sb.rt
	populate, ok := sb.kept[c]
	if !ok || a == nil {
		wrapper, err := rt.RunProgram(c.prog)
		if err != nil {
			return outcome{failure: sb.failure(l, err)}
		}
		v, err := function(wrapper)(rt.GlobalObject())
		if err != nil {
			return outcome{failure: sb.failure(l, err)}
		}
		if populate, ok = goja.AssertFunction(v); !ok {
			return outcome{failure: &Failure{l.ID, ReasonNoPopulate, ""}}
		}
		if c.keep && a != nil {
			sb.keep(c, populate)
		}
	}
	if a == nil {
		return outcome{}
	}
	if a.reconcile {
		return sb.reconcile(l, populate, a)
	}
	if _, err := populate(goja.Undefined(), a.jwt, a.user, a.registration, a.context); err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	claims, dropped, err := sb.export(a.jwt)
	if err != nil {
		return outcome{failure: sb.failure(l, err)}
	}
	if r, ok := sb.w.stopped(); ok {
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
		return &Failure{l.ID, r, message(err)}
	}
	var ex *goja.Exception
	var interrupted *goja.InterruptedError
	var overflow *goja.StackOverflowError
	switch {
	case errors.Is(err, errTooLarge):
		return &Failure{l.ID, ReasonTooLarge, err.Error()}
	case errors.As(err, &interrupted):
		return &Failure{l.ID, ReasonTimeout, err.Error()}
	case errors.As(err, &overflow):
		return &Failure{l.ID, ReasonException, "RangeError: call stack exceeded " + strconv.Itoa(sb.cfg.MaxCallDepth) + " frames"}
	case errors.As(err, &ex):
		return &Failure{l.ID, ReasonException, message(ex)}
	default:
		return &Failure{l.ID, ReasonInternal, message(err)}
	}
}

// message is an error's text. A JavaScript exception's text comes from
// the thrown value's toString, which is JavaScript (the body's own, or a
// builtin's accessor) and may be interrupted or throw here, outside any
// call; that is caught.
func message(err error) (msg string) {
	defer func() {
		if recover() != nil {
			msg = "(the error's message could not be read)"
		}
	}()
	return err.Error()
}

package lambda

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Populate runs l's populate(jwt, user, registration, context) on a copy of
// in.Claims and returns the claims to sign. It never fails the caller: a
// lambda that throws, times out or exceeds a limit leaves the claims as they
// were, as FusionAuth does for JWT populate lambdas (extend/code/lambdas
// "Exceptions"), and the failure is logged with the lambda's id. Whatever
// the body does, Populate returns within Config.Timeout plus a tenth of it
// once the call has a runtime (plus up to one more Timeout during which the
// process was not running at all); before that it waits at most Config.MaxWait
// for a free slot, and builds a runtime if none is idle (milliseconds). A
// body proved bounded runs on the caller's goroutine, and its call may end
// later than that by one step the interrupt cannot split, whose work is
// linear in the input's size or bounded by MaxStringLength (bounded).
//
// Token minting calls it once per token and lambda: with the access token's
// claims for application.lambdaConfiguration.accessTokenPopulateId, with the
// id token's for idTokenPopulateId, after every claim latchkey sets itself
// and before signing, and signs Result.Claims.
func (e *Engine) Populate(ctx context.Context, l Lambda, in Input) Result {
	unchanged := Result{Claims: in.Claims}
	c, err := e.program(l)
	if err != nil {
		return e.failed(ctx, l, unchanged, &Failure{l.ID, ReasonInvalid, err.Error()}, nil)
	}
	out := e.run(ctx, l, c, &in)
	if out.failure != nil {
		return e.failed(ctx, l, unchanged, out.failure, out.console)
	}
	return e.merge(ctx, l, in.Claims, out)
}

// run runs one call. A call of a body that may run anything runs on the
// sandbox's own goroutine (serve), so that a builtin deaf to the interrupt
// cannot hold the caller: past the hard deadline the runtime is abandoned,
// and its slot is freed only when it really returns. A call of a bounded
// body, which has no such builtin to run, runs on the caller's goroutine
// (here), which saves waking another thread twice per call. Waiting for a
// slot is bounded by Config.MaxWait; the call itself by Timeout plus a
// tenth, from when it has a runtime.
func (e *Engine) run(ctx context.Context, l Lambda, c *compiled, in *Input) outcome {
	if f := e.acquire(ctx, l); f != nil {
		return outcome{failure: f}
	}
	sb, err := e.sandbox()
	if err != nil {
		<-e.slots
		return outcome{failure: &Failure{l.ID, ReasonInternal, err.Error()}}
	}
	var a *args
	if in != nil {
		if a, err = sb.arguments(*in, c.unread); err != nil {
			close(sb.jobs) // as a runtime that failed a call, it is not reused
			<-e.slots
			return outcome{failure: &Failure{l.ID, ReasonInternal, err.Error()}}
		}
	}
	w := newWatch(e.cfg.Timeout, e.cfg.MemoryLimit)
	w.arm()
	if c.bounded && a != nil {
		return e.here(ctx, l, c, a, sb, w)
	}
	j := &job{e: e, l: l, c: c, a: a, w: w, done: make(chan outcome, 1)}
	sb.jobs <- j
	select {
	case out := <-j.done:
		return out
	case <-w.abandon:
	case <-ctx.Done():
		w.stop(ReasonCancelled)
	}
	r, _ := w.stopped()
	return outcome{failure: &Failure{l.ID, r, "abandoned while a builtin was running"}}
}

// here runs a call of a bounded body on the caller's goroutine. Its watch
// interrupts it at the deadline, stops it at the memory limit and when ctx
// ends, as on the sandbox's goroutine. Nothing is abandoned: a step of a
// bounded body that the interrupt cannot split is linear in its input.
func (e *Engine) here(ctx context.Context, l Lambda, c *compiled, a *args, sb *sandbox, w *watch) outcome {
	if ctx.Done() != nil {
		defer context.AfterFunc(ctx, func() { w.stop(ReasonCancelled) })()
	}
	out, reusable := e.execute(l, c, a, sb, w)
	e.settle(sb, reusable)
	return out
}

// settle ends a call on sb: a reusable runtime goes back to the pool (or
// ends, if the pool is full), any other one ends; the call's slot is freed.
func (e *Engine) settle(sb *sandbox, reusable bool) {
	if reusable {
		e.release(sb)
	} else {
		close(sb.jobs)
	}
	<-e.slots
}

// acquire takes a slot, waiting at most Config.MaxWait. A free slot is
// taken without arming the wait's timer (the common case).
func (e *Engine) acquire(ctx context.Context, l Lambda) *Failure {
	select {
	case e.slots <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(e.cfg.MaxWait)
	defer wait.Stop()
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-wait.C:
		return &Failure{l.ID, ReasonBusy, ""}
	case <-ctx.Done():
		return &Failure{l.ID, ReasonCancelled, ""}
	}
}

// sandbox takes an idle runtime or builds one.
func (e *Engine) sandbox() (sb *sandbox, err error) {
	select {
	case sb := <-e.idle:
		return sb, nil
	default:
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("lambda: building a runtime: %v", p)
		}
	}()
	sb = newSandbox(e.cfg)
	go sb.serve()
	return sb, nil
}

// release keeps a clean runtime for the next call, and reports whether it
// did; a runtime the pool has no room for ends its goroutine.
func (e *Engine) release(sb *sandbox) bool {
	select {
	case e.idle <- sb:
		return true
	default:
		close(sb.jobs)
		return false
	}
}

// program returns l's compiled body, compiling it once per id and version.
func (e *Engine) program(l Lambda) (*compiled, error) {
	e.mu.Lock()
	c, ok := e.cache[l.ID]
	e.mu.Unlock()
	if ok && c.lastUpdate == l.LastUpdateInstant && c.body == l.Body {
		return c.c, nil
	}
	prog, err := compile(l)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.cache[l.ID]; !ok && len(e.cache) >= maxCached {
		for id := range e.cache {
			delete(e.cache, id)
			break
		}
	}
	e.cache[l.ID] = cached{lastUpdate: l.LastUpdateInstant, body: l.Body, c: prog}
	return prog, nil
}

// failed logs a failure and returns the unchanged claims.
func (e *Engine) failed(ctx context.Context, l Lambda, res Result, f *Failure, console []entry) Result {
	e.logFailure(ctx, l, f, console, "lambda failed; the token is issued without its changes", "the token was issued without its changes")
	res.Err = f
	return res
}

// logFailure logs a failed call (logMsg) and sends its event log text
// (failureMessage with outcome) to Config.Failures.
func (e *Engine) logFailure(ctx context.Context, l Lambda, f *Failure, console []entry, logMsg, outcome string) {
	attrs := []any{"lambdaId", l.ID, "lambdaName", l.Name, "reason", string(f.Reason)}
	if l.Debug && f.Detail != "" {
		attrs = append(attrs, "error", f.Detail)
	}
	e.cfg.Logger.WarnContext(ctx, logMsg, attrs...)
	e.logConsole(ctx, l, console)
	if e.cfg.Failures != nil {
		e.cfg.Failures(ctx, failureMessage(l, f, console, outcome))
	}
}

// failureMessage is the event log text of a failed call: the lambda's name
// and id, the reason, the exception's text only with debug on (as the log
// line), then the call's console output, already bounded by
// Config.MaxConsoleBytes, one line per call (FusionAuth writes a lambda's
// console output to its Event Log).
func failureMessage(l Lambda, f *Failure, console []entry, outcome string) string {
	var b strings.Builder
	b.WriteString("The lambda [" + l.Name + "] with Id [" + l.ID + "] failed (" + string(f.Reason) + "); " + outcome + ".")
	if l.Debug && f.Detail != "" {
		b.WriteString(" " + f.Detail)
	}
	for _, en := range console {
		b.WriteString("\nconsole." + en.level + ": " + en.text)
	}
	return b.String()
}

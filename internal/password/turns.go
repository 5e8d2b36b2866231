package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy: a wait for a hashing turn ended (its context was cancelled or
// its deadline passed) before a turn came, so nothing was hashed. The
// server answers it as its hashing gate answers when busy: 503.
var ErrBusy = errors.New("password: no hashing turn before the wait ended")

// turns bounds how many password hashes this process computes at once, at
// 2×GOMAXPROCS (as many as the CPUs can usefully run, and a little more so
// none idles between two). Every hash and verification takes a turn, so the
// bound holds whoever calls: the server's hashing gate admits requests, and
// a login keeps its place there while its attempt's reservation commits,
// which is no work for the CPUs; the turn is held only while the KDF runs,
// which is what costs CPU and, for argon2id, 19 MiB of memory each.
// Holders wait for nothing, so a wait for a turn always ends; a waiter
// whose context ends first gives up (ErrBusy) and the caller decides what
// a hash that never ran means (a login gives its reservation back).
var turns = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// waiting counts the callers blocked in takeTurn (HeldTurns.Waiting).
var waiting atomic.Int64

// turnWaitKey carries a request's bound on each of its waits for a turn.
type turnWaitKey struct{}

// WithTurnWait returns ctx in which each wait for a hashing turn ends after
// d at most (ErrBusy wrapping context.DeadlineExceeded), besides ending
// with ctx. The server's hashing gate sets its own wait for the requests it
// admits: a request that waited that long for a slot is refused, and one
// that waits that long for a turn, behind hashes that take turns without a
// slot (API-key routes), is refused the same way. Each wait counts from its
// start, so a request admitted late is not refused for the few hashes
// ahead of it.
func WithTurnWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, turnWaitKey{}, d)
}

// takeTurn waits for a turn and returns its release, or ErrBusy (wrapping
// ctx's error, or context.DeadlineExceeded when ctx's WithTurnWait bound
// passed) when the wait ends first. A free turn is taken even when ctx has
// ended already: only a wait is given up, so an idle server hashes exactly
// as it always did, and the bound's timer is made only for a wait.
func takeTurn(ctx context.Context) (release func(), err error) {
	select {
	case turns <- struct{}{}:
		return giveTurn, nil
	default:
	}
	waiting.Add(1)
	defer waiting.Add(-1)
	var bound <-chan time.Time
	if d, ok := ctx.Value(turnWaitKey{}).(time.Duration); ok && d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		bound = t.C
	}
	select {
	case turns <- struct{}{}:
		return giveTurn, nil
	case <-bound:
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.DeadlineExceeded)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

func giveTurn() { <-turns }

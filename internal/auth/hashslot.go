package auth

import (
	"context"
	"time"
)

// hashSlotKey carries the request's hold on a slot of the server's hashing
// gate (internal/server limit.go).
type hashSlotKey struct{}

// hashSlot is a request's hold on a slot of the hashing gate: its release,
// and how long the gate lets a request wait (its wait for a slot, which
// bounds its wait for a hashing turn too).
type hashSlot struct {
	release func()
	wait    time.Duration
}

// WithHashSlot returns ctx carrying release, the caller's hold on a slot of
// the hashing gate, and wait, how long the gate makes a request wait at
// most. A login calls release as soon as its last hash has answered: the
// gate bounds the password hashes that run at once (their CPU and, for
// argon2id, their memory), not the reads, writes and signing that follow,
// so the next login's hash need not wait for this one's commit. A login
// that still has a hash to compute (a rehash after success) keeps the slot
// to the end of the request. release must be safe to call more than once;
// the caller still calls it when the request ends. Each wait of the
// request for a hashing turn (internal/password turns.go) ends after wait
// too (turnContext).
func WithHashSlot(ctx context.Context, release func(), wait time.Duration) context.Context {
	return context.WithValue(ctx, hashSlotKey{}, hashSlot{release: release, wait: wait})
}

// releaseHashSlot gives the request's hashing-gate slot back, if it holds one.
func releaseHashSlot(ctx context.Context) {
	if slot, ok := ctx.Value(hashSlotKey{}).(hashSlot); ok {
		slot.release()
	}
}

// turnContext is ctx for one wait for a hashing turn: ended by the caller
// (a client that went away stops waiting) and, for a request the gate
// admitted, after the gate's wait, counted from now. The gate answers a
// request that waited that long for a slot 503; one that waits that long
// for a turn behind a burst of other hashes (API-key routes take turns
// without a slot) gets the same answer, instead of an unbounded wait.
func turnContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if slot, ok := ctx.Value(hashSlotKey{}).(hashSlot); ok && slot.wait > 0 {
		return context.WithTimeout(ctx, slot.wait)
	}
	return ctx, func() {}
}

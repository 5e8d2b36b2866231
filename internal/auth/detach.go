package auth

import (
	"context"
	"time"
)

// detachedWriteTimeout bounds a write that must not be cancelled by the
// client hanging up (a failure count): it
// outlives the request, but not a database that stopped answering.
const detachedWriteTimeout = 15 * time.Second

// detached returns a context that ignores ctx's cancellation and deadline
// but keeps its values, with its own bound.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), detachedWriteTimeout)
}

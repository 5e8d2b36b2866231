package auth

import "context"

// hashSlotKey carries the request's hold on a slot of the server's hashing
// gate (internal/server limit.go).
type hashSlotKey struct{}

// WithHashSlot returns ctx carrying release, the caller's hold on a slot of
// the hashing gate. A login calls it as soon as its last hash has answered:
// the gate bounds the password hashes that run at once (their CPU and, for
// argon2id, their memory), not the reads, writes and signing that follow, so
// the next login's hash need not wait for this one's commit. A login that
// still has a hash to compute (a rehash after success) keeps the slot to the
// end of the request. release must be safe to call more than once; the
// caller still calls it when the request ends.
func WithHashSlot(ctx context.Context, release func()) context.Context {
	return context.WithValue(ctx, hashSlotKey{}, release)
}

// releaseHashSlot gives the request's hashing-gate slot back, if it holds one.
func releaseHashSlot(ctx context.Context) {
	if release, ok := ctx.Value(hashSlotKey{}).(func()); ok {
		release()
	}
}

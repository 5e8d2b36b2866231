package password

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// countedScheme is argon2id at its cheapest, counting the KDF runs.
type countedScheme struct {
	argon2Scheme
	runs atomic.Int64
}

func (c *countedScheme) verify(plain string, h storage.PasswordHash) (bool, error) {
	c.runs.Add(1)
	return c.argon2Scheme.verify(plain, h)
}

func (c *countedScheme) hash(plain string, factor int) (storage.PasswordHash, error) {
	c.runs.Add(1)
	return c.argon2Scheme.hash(plain, factor)
}

// waitingFor yields until n callers wait for a turn, or fails the test
// when done reports first (the call ended without waiting).
func waitingFor(t *testing.T, held *HeldTurns, n int, done <-chan error) {
	t.Helper()
	for held.Waiting() < n {
		select {
		case err := <-done:
			t.Fatalf("ended before it waited for a turn: %v", err)
		default:
			runtime.Gosched()
		}
	}
}

// TestWaitForATurnEndsWithItsContext: with every hashing turn taken, a
// Verify, a Hash and a DummyVerify whose context ends while they wait
// return ErrBusy (wrapping the context's error) without running the KDF,
// and leave no turn taken; so does a wait whose context's deadline has
// passed, or whose WithTurnWait bound runs out. Before, the wait ignored the context: a login
// whose client had left, or that the gate would have refused long ago,
// still waited and hashed.
func TestWaitForATurnEndsWithItsContext(t *testing.T) {
	c := &countedScheme{}
	const name = "test-counted"
	schemes[name] = c
	t.Cleanup(func() { delete(schemes, name) })
	h := argon2Scheme{}.dummyHash(1)
	h.Scheme = name
	calls := map[string]func(ctx context.Context) error{
		"verify":       func(ctx context.Context) error { _, err := Verify(ctx, "pw", h); return err },
		"hash":         func(ctx context.Context) error { _, err := Hash(ctx, "pw", name, 1); return err },
		"dummy verify": func(ctx context.Context) error { return DummyVerify(ctx, "pw", name, 1) },
	}
	for what, call := range calls {
		t.Run(what, func(t *testing.T) {
			held := HoldTurnsForTest()
			defer held.Release()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- call(ctx) }()
			waitingFor(t, held, 1, done)
			cancel()
			err := <-done
			if !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want ErrBusy wrapping context.Canceled", err)
			}
			if n := c.runs.Load(); n != 0 {
				t.Fatalf("the KDF ran %d times", n)
			}
			if held.Waiting() != 0 || len(turns) != cap(turns) {
				t.Fatalf("%d waiting, %d of %d turns taken: want none waiting and only the test's", held.Waiting(), len(turns), cap(turns))
			}
		})
	}
	past, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	for what, ctx := range map[string]context.Context{
		"deadline passed": past,
		// The gate's bound (server guard.go): a nanosecond here, so the
		// wait surely ends while the turns are held.
		"turn wait bound": WithTurnWait(context.Background(), time.Nanosecond),
	} {
		t.Run(what, func(t *testing.T) {
			held := HoldTurnsForTest()
			defer held.Release()
			if _, err := Verify(ctx, "pw", h); !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want ErrBusy wrapping context.DeadlineExceeded", err)
			}
			if n := c.runs.Load(); n != 0 {
				t.Fatalf("the KDF ran %d times", n)
			}
		})
	}
}

// TestFreeTurnIsTakenWhateverTheContext: only a wait is given up. With a
// turn free, a verification hashes and answers even when its context has
// ended, so an idle server behaves exactly as before.
func TestFreeTurnIsTakenWhateverTheContext(t *testing.T) {
	h, err := Hash(context.Background(), "pw", PBKDF2SHA256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := Verify(ctx, "pw", h); !ok || err != nil {
		t.Fatalf("Verify with a free turn and an ended context = %v, %v; want true, nil", ok, err)
	}
}

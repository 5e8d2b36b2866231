package password

import (
	"context"
	"errors"
	"runtime"
	"strings"
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

// TestBusyHistoryCheckIsNoPass: a password change's history check whose
// verifications never got a turn judged nothing, so Check returns ErrBusy
// and no field errors; it must not read as "not reused", after which the
// change would go on to store a remembered password once a turn came free.
// The same holds when an unusable remembered hash comes first (its error
// must not hide ErrBusy).
func TestBusyHistoryCheckIsNoPass(t *testing.T) {
	reusedPw := "Ribbon-anchor-velvet-88"
	prev := []storage.PasswordHash{mustHash(t, reusedPw, PBKDF2SHA256, 1)}
	r := DefaultRules()
	r.RememberPreviousPasswords = RememberPrevious{Enabled: true, Count: 3}
	for name, p := range map[string][]storage.PasswordHash{
		"busy first":         prev,
		"unusable then busy": append([]storage.PasswordHash{{Scheme: "no-such-scheme"}}, prev...),
	} {
		t.Run(name, func(t *testing.T) {
			held := HoldTurnsForTest()
			defer held.Release()
			ctx := WithTurnWait(context.Background(), time.Nanosecond)
			errs, err := r.Check(ctx, reusedPw, Change{Field: "password", Previous: p})
			if !errors.Is(err, ErrBusy) || errs != nil {
				t.Fatalf("Check of a reused password while busy = %v, %v; want nil, ErrBusy", errs, err)
			}
			if reused, err := Reused(ctx, reusedPw, p, 3); reused || !errors.Is(err, ErrBusy) {
				t.Fatalf("Reused while busy = %v, %v; want false, ErrBusy", reused, err)
			}
		})
	}
}

// TestTooLongPasswordWaitsForATurnLikeAnyOther: a password longer than the
// stored hash's scheme accepts (bcrypt's 72 bytes) never matches, but only
// after a turn: an unknown login id's dummy verification at a tenant's
// PBKDF2 waits for one, so on a busy server both must answer ErrBusy, not
// "wrong password" for the account and "busy" for the unknown id.
func TestTooLongPasswordWaitsForATurnLikeAnyOther(t *testing.T) {
	long := strings.Repeat("x", 100)
	h := mustHash(t, "short enough", Bcrypt, 4)
	if ok, err := Verify(context.Background(), long, h); ok || err != nil {
		t.Fatalf("idle: %v, %v; want no match and no error", ok, err)
	}
	held := HoldTurnsForTest()
	defer held.Release()
	ctx := WithTurnWait(context.Background(), time.Nanosecond)
	_, accountErr := Verify(ctx, long, h)
	unknownErr := DummyVerify(ctx, long, PBKDF2SHA256, 0)
	if !errors.Is(accountErr, ErrBusy) || !errors.Is(unknownErr, ErrBusy) {
		t.Errorf("busy: the account's verification %v, the unknown id's %v; want ErrBusy for both", accountErr, unknownErr)
	}
}

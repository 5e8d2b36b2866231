package password

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// gatedScheme is a verification that reports each call's start on entered
// and returns only when the test lets one through on proceed, counting how
// many run at once.
type gatedScheme struct {
	argon2Scheme
	entered      chan struct{}
	proceed      chan struct{}
	running, max atomic.Int64
}

func (g *gatedScheme) verify(string, storage.PasswordHash) (bool, error) {
	n := g.running.Add(1)
	for m := g.max.Load(); n > m && !g.max.CompareAndSwap(m, n); m = g.max.Load() {
	}
	g.entered <- struct{}{}
	<-g.proceed
	g.running.Add(-1)
	return false, nil
}

// TestVerificationsAtOnceNeverExceedTheTurns: however many requests the
// server's gate admits (4×GOMAXPROCS, so that logins waiting for their
// reservation's commit leave the CPUs to others), no more than the turns'
// bound (2×GOMAXPROCS) compute a hash at once: the CPU and, for argon2id,
// the memory stay bounded. Three times as many verifications as turns are
// started; each is let through only after one has entered.
func TestVerificationsAtOnceNeverExceedTheTurns(t *testing.T) {
	g := &gatedScheme{entered: make(chan struct{}), proceed: make(chan struct{})}
	const name = "test-gated"
	schemes[name] = g
	t.Cleanup(func() { delete(schemes, name) })
	h := argon2Scheme{}.dummyHash(1)
	h.Scheme = name
	n := 3 * cap(turns)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _, _ = Verify(context.Background(), "pw", h) })
	}
	for range n {
		<-g.entered
		g.proceed <- struct{}{}
	}
	wg.Wait()
	if got := g.max.Load(); got > int64(cap(turns)) {
		t.Errorf("%d verifications ran at once, want at most %d", got, cap(turns))
	}
	if len(turns) != 0 {
		t.Errorf("%d turns still taken after every verification returned", len(turns))
	}
}

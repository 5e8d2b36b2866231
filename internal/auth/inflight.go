package auth

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// inflight bounds, per lockout counter, how many of this node's login
// attempts hold a reservation that is not yet settled. A success gives its
// reservation back only in its one write after the hash (RecordLogin), so
// while N correct logins of one account are between reservation and write,
// the counter holds N pending charges. The store refuses a charge that
// finds a counter full of pending charges as in flight, never as locked,
// and the attempt waits for them to settle (chargeCounters), on whatever
// node they are; only settled failures lock. This bound is this node's
// queue in front of that: at most threshold−1 attempts per counter at
// once, the rest waiting here, before their reservation, in arrival order
// and without asking the database again and again. They hold their
// hashing slot meanwhile, and the holders they wait for hold none or make
// progress with theirs, so the wait always ends.
type inflight struct {
	mu   sync.Mutex
	keys map[string]*inflightKey
}

// inflightKey is one counter's places: how many are taken, and the
// attempts waiting for one, first come first served.
type inflightKey struct {
	taken   int
	waiting []*placeWaiter
}

// placeWaiter is an attempt waiting for a place; ready is closed when it
// has one. Each waiter brings its own bound (its counter's threshold as it
// is now), so a threshold lowered while attempts are in flight applies at
// once.
type placeWaiter struct {
	bound int
	ready chan struct{}
}

// hold waits until each of counters has a free place (one less than its
// threshold, at least one) and takes them. The places are taken from the
// most specific counter to the account-wide one (placeOrder): a consistent
// order, so two attempts sharing counters cannot each hold what the other
// waits for, and one in which an attempt waits for its own address's
// places before it takes one of the ceiling every address shares. It
// returns the release of all of them, or ctx's error when ctx ends first
// (nothing is then held).
func (f *inflight) hold(ctx context.Context, counters []storage.LoginCounter) (func(), error) {
	sorted := slices.SortedFunc(slices.Values(counters), placeOrder)
	held := make([]string, 0, len(sorted))
	release := func() {
		for _, key := range held {
			f.give(key)
		}
	}
	for _, c := range sorted {
		if err := f.take(ctx, c.Key, max(c.Policy.Threshold-1, 1)); err != nil {
			release()
			return nil, err
		}
		held = append(held, c.Key)
	}
	return release, nil
}

// placeOrder orders an attempt's counters: the tenant's counter of the
// account and address, then the address's hourly share, then the account's
// ceiling, each kind by key. A key is always of one kind (a ceiling's key
// is its account; only the tenant's counter resets on success), so every
// attempt takes the places it shares with another in the same order.
func placeOrder(a, b storage.LoginCounter) int {
	rank := func(c storage.LoginCounter) int {
		switch {
		case c.ResetOnSuccess:
			return 0
		case c.Key != c.Account:
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Key, b.Key))
}

// take waits for a place of key, where at most bound may be taken, behind
// the attempts that asked first; ctx's error when ctx ends first.
func (f *inflight) take(ctx context.Context, key string, bound int) error {
	f.mu.Lock()
	if f.keys == nil {
		f.keys = map[string]*inflightKey{}
	}
	k := f.keys[key]
	if k == nil {
		k = &inflightKey{}
		f.keys[key] = k
	}
	if len(k.waiting) == 0 && k.taken < bound {
		k.taken++
		f.mu.Unlock()
		return nil
	}
	w := &placeWaiter{bound: bound, ready: make(chan struct{})}
	k.waiting = append(k.waiting, w)
	f.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	f.mu.Lock()
	select {
	case <-w.ready: // given a place just now: give it back
		f.mu.Unlock()
		f.give(key)
		return ctx.Err()
	default:
	}
	k.waiting = slices.DeleteFunc(k.waiting, func(x *placeWaiter) bool { return x == w })
	f.settle(key, k) // the next in line may fit now
	f.mu.Unlock()
	return ctx.Err()
}

// give frees a place of key.
func (f *inflight) give(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keys[key]
	k.taken--
	f.settle(key, k)
}

// settle hands free places to the waiters in order, and drops key's entry
// once nobody holds or waits for a place. Called with f.mu held.
func (f *inflight) settle(key string, k *inflightKey) {
	for len(k.waiting) > 0 && k.taken < k.waiting[0].bound {
		k.taken++
		close(k.waiting[0].ready)
		k.waiting[0] = nil
		k.waiting = k.waiting[1:]
	}
	if k.taken == 0 && len(k.waiting) == 0 {
		delete(f.keys, key)
	}
}

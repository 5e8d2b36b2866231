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
// the counter holds N charges: N reaching the threshold would lock the
// account against its own correct password. The hashing gate used to bound
// N by holding its slot to the end of the request; a login now frees that
// slot once its hash has answered (hashslot.go), and this bound takes over
// the part that concerned the counters: at most threshold−1 attempts per
// counter at once (per node, as the gate's bound was). Further
// attempts on the same counter wait here, before their reservation; they
// hold their hashing slot meanwhile, and the holders they wait for hold
// none or make progress with theirs, so the wait always ends.
type inflight struct {
	mu   sync.Mutex
	keys map[string]*inflightKey
}

type inflightKey struct {
	slots chan struct{}
	users int // attempts holding or waiting for a slot; the entry goes at 0
}

// hold waits until each of counters has a free slot (one less than its
// threshold, at least one) and takes them, in key order so that two
// attempts sharing counters cannot each hold what the other waits for. It
// returns the release of all of them, or ctx's error when ctx ends first
// (nothing is then held).
func (f *inflight) hold(ctx context.Context, counters []storage.LoginCounter) (func(), error) {
	sorted := slices.SortedFunc(slices.Values(counters), func(a, b storage.LoginCounter) int { return cmp.Compare(a.Key, b.Key) })
	held := make([]*inflightKey, 0, len(sorted))
	release := func() {
		for i, k := range held {
			<-k.slots
			f.leave(sorted[i].Key, k)
		}
	}
	for _, c := range sorted {
		k := f.enter(c.Key, max(c.Policy.Threshold-1, 1))
		select {
		case k.slots <- struct{}{}:
			held = append(held, k)
		case <-ctx.Done():
			f.leave(c.Key, k)
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// enter returns key's entry, made with bound slots if it has none, counted
// as used until leave.
func (f *inflight) enter(key string, bound int) *inflightKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string]*inflightKey{}
	}
	k := f.keys[key]
	if k == nil {
		k = &inflightKey{slots: make(chan struct{}, bound)}
		f.keys[key] = k
	}
	k.users++
	return k
}

func (f *inflight) leave(key string, k *inflightKey) {
	f.mu.Lock()
	if k.users--; k.users == 0 {
		delete(f.keys, key)
	}
	f.mu.Unlock()
}

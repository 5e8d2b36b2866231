package manage

import (
	"strings"
	"sync"
)

// recordLocks queue this node's read-modify-writes of one record (a user,
// a registration) one behind the other. Optimistic revisions alone keep
// every acknowledged write (retryStale), but n requests of one record in
// lockstep each lose up to n-1 tries: 30 concurrent PATCHes of one user
// exhausted staleTries. Queued, a try loses only to a write from elsewhere
// (another node, a login), which the revision catches. The lock is this
// process's only; nothing is held in the database (docs/decisions.md,
// "optimistic revisions").
type recordLocks struct {
	mu sync.Mutex
	m  map[string]*recordLock
}

type recordLock struct {
	sync.Mutex
	waiters int // holders and waiters; the entry goes when it drops to 0
}

// lock takes key's lock and returns its release.
func (l *recordLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*recordLock{}
	}
	rl := l.m[key]
	if rl == nil {
		rl = &recordLock{}
		l.m[key] = rl
	}
	rl.waiters++
	l.mu.Unlock()
	rl.Lock()
	return func() {
		rl.Unlock()
		l.mu.Lock()
		if rl.waiters--; rl.waiters == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

// rewrite runs try, a read-modify-write of the record id (a PUT or PATCH
// of a whole document), behind this node's other rewrites of it and again
// while its conditional write loses to one from elsewhere (retryStale):
// ErrContended when every try lost.
func (l *recordLocks) rewrite(id string, try func() error) error {
	defer l.lock(strings.ToLower(id))()
	return retryStale(try)
}

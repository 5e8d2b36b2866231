package dpop

import (
	"sync"
	"time"
)

// DefaultMaxEntries bounds the process-wide replay cache: about 100 bytes an
// entry, so some 10 MB at most.
const DefaultMaxEntries = 100_000

// Default is the process-wide replay cache VerifyProof uses when a
// ProofCheck names none.
var Default = NewReplayCache(DefaultMaxEntries)

// ReplayCache remembers proof jti values until the proof could no longer
// pass the iat check (RFC 9449 §11.1). It is in memory and per process: two
// latchkey nodes, or two resource servers, do not share it, so a proof
// replayed to a different process within the window is not caught here
// (docs/dpop.md). Memory is capped: when full, the entry that expires first
// is forgotten, so an attacker flooding it with its own fresh proofs can at
// worst reopen replay of the oldest proofs, never grow memory.
type ReplayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	order []entry // insertion order ≈ expiry order (same window for all)
	head  int
}

type entry struct {
	key string
	exp time.Time
}

// NewReplayCache returns a cache holding at most limit entries (at least 1).
func NewReplayCache(limit int) *ReplayCache {
	return &ReplayCache{max: max(limit, 1), seen: map[string]time.Time{}}
}

// Add records key until exp and reports whether it was new. now drives
// expiry, so tests need no sleeping.
func (c *ReplayCache) Add(key string, exp, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purge(now)
	if e, ok := c.seen[key]; ok && now.Before(e) {
		return false
	}
	for len(c.seen) >= c.max && c.head < len(c.order) {
		c.dropOldest()
	}
	c.seen[key] = exp
	c.order = append(c.order, entry{key, exp})
	return true
}

// Len is the number of remembered proofs.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// Prune forgets every proof that expired by now and reports how many are
// left. Add prunes too; a janitor calls Prune so that an idle process does
// not keep a burst's entries until the next proof arrives.
func (c *ReplayCache) Prune(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purge(now)
	return len(c.seen)
}

func (c *ReplayCache) purge(now time.Time) {
	for c.head < len(c.order) && !now.Before(c.order[c.head].exp) {
		c.dropOldest()
	}
	// Compact once the consumed prefix dominates, so order stays O(entries).
	if c.head > 1024 && c.head*2 > len(c.order) {
		c.order = append([]entry(nil), c.order[c.head:]...)
		c.head = 0
	}
}

func (c *ReplayCache) dropOldest() {
	if c.head >= len(c.order) {
		return
	}
	e := c.order[c.head]
	c.order[c.head] = entry{}
	c.head++
	if cur, ok := c.seen[e.key]; ok && cur.Equal(e.exp) {
		delete(c.seen, e.key)
	}
}

package jwtverify

import (
	"container/heap"
	"sync"
	"time"
)

// revocationSet remembers revoked sessions (sid) until no access token of
// theirs can still be valid. Memory is capped at max entries, and it fails
// closed: when full, the entry that expires first is evicted and its
// revokedAt raises floor, and from then on every token issued at or before
// floor is refused (the client refreshes and gets a token issued after it).
// Otherwise a flood of an attacker's own logouts would push a victim's
// revoked session out and make its stolen token valid again.
//
// Entries sit in a min-heap by expiry, so forgetting expired ones and
// evicting cost O(log n) each under the mutex, never a scan of the map.
type revocationSet struct {
	mu     sync.Mutex
	max    int
	bySID  map[string]*revocation
	heap   revocationHeap
	floor  time.Time // newest revokedAt ever evicted; zero while none was
	cursor string
}

type revocation struct {
	sid       string
	revokedAt time.Time
	until     time.Time // revokedAt + MaxTokenLifetime
	index     int       // position in the heap
}

func newRevocationSet(limit int) *revocationSet {
	return &revocationSet{max: max(limit, 1), bySID: map[string]*revocation{}}
}

// revoked reports whether a token of session sid issued at iat must be
// refused: its session is remembered as revoked, or it was issued no later
// than a revocation that had to be evicted (a token without iat counts as
// issued at the beginning of time).
func (s *revocationSet) revoked(sid string, iat time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bySID[sid]; ok {
		return true
	}
	return !s.floor.IsZero() && !iat.After(s.floor)
}

func (s *revocationSet) add(sid string, revokedAt, until, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !now.Before(until) {
		return // every token of that session has expired already
	}
	if r, ok := s.bySID[sid]; ok {
		if until.After(r.until) {
			r.revokedAt, r.until = revokedAt, until
			heap.Fix(&s.heap, r.index)
		}
		return
	}
	if len(s.bySID) >= s.max {
		s.forget(now)
	}
	for len(s.bySID) >= s.max {
		r := heap.Pop(&s.heap).(*revocation)
		delete(s.bySID, r.sid)
		if r.revokedAt.After(s.floor) {
			s.floor = r.revokedAt
		}
	}
	r := &revocation{sid: sid, revokedAt: revokedAt, until: until}
	s.bySID[sid] = r
	heap.Push(&s.heap, r)
}

// forget drops expired entries, soonest first; called with mu held. They
// do not raise floor: no token of theirs can be valid any more.
func (s *revocationSet) forget(now time.Time) {
	for len(s.heap) > 0 && !now.Before(s.heap[0].until) {
		r := heap.Pop(&s.heap).(*revocation)
		delete(s.bySID, r.sid)
	}
}

func (s *revocationSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bySID)
}

// revocationHeap is a container/heap of entries, soonest expiry first.
type revocationHeap []*revocation

func (h revocationHeap) Len() int           { return len(h) }
func (h revocationHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h revocationHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *revocationHeap) Push(x any) {
	r := x.(*revocation)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *revocationHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}

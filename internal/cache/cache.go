package cache

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultLoadTimeout bounds one load when Options.LoadTimeout is zero. A
// load runs detached from the callers' contexts (they share it), so it needs
// a bound of its own; this one is the HTTP layer's request deadline (15 s),
// the longest any caller could have waited anyway.
const DefaultLoadTimeout = 15 * time.Second

// Options configures a Cache. The zero value caches nothing.
type Options struct {
	// TTL is how long a loaded value is served without asking the loader
	// again, measured from the moment its load started. Zero or negative:
	// nothing is cached, every Get loads (and concurrent Gets do not share).
	TTL time.Duration
	// KeepLastGood is how long past its TTL a value is still served while
	// every reload fails with an error Transient accepts: a value is never
	// served older than TTL + KeepLastGood. Zero: errors are returned as soon
	// as the TTL has passed.
	KeepLastGood time.Duration
	// Transient picks the load errors that KeepLastGood applies to (a
	// database that does not answer). Any other error (the record is gone)
	// drops the value and is returned. Nil: no error is transient.
	Transient func(error) bool
	// LoadTimeout bounds one load (default DefaultLoadTimeout).
	LoadTimeout time.Duration
	// Now is the clock ages are measured on (default time.Now, whose
	// monotonic reading makes ages immune to wall-clock steps). Tests pass a
	// clock they move; it must never be a frozen request clock.
	Now func() time.Time
}

// Cache keeps values by key, loaded on demand. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	load func(context.Context, K) (V, error)
	opts Options

	mu sync.Mutex
	m  map[K]*entry[V]
}

// entry is a key's state: a value (when ok), the load in flight (when call
// is not nil), or both while a stale value is being replaced.
type entry[V any] struct {
	v     V
	ok    bool
	at    time.Time // when the load that produced v started
	stale bool      // Expire: reload on the next Get, v is only a last good value
	call  *call[V]
}

// call is one load shared by every Get that arrives while it runs.
type call[V any] struct {
	done    chan struct{}
	v       V
	err     error
	kept    error // the load failed and v is the last good value (Reload reports it)
	waiters int   // Gets that joined after the first (guarded by Cache.mu)
}

// New returns a cache that reads missing or expired values with load.
func New[K comparable, V any](load func(context.Context, K) (V, error), opts Options) *Cache[K, V] {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LoadTimeout <= 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	return &Cache[K, V]{load: load, opts: opts, m: map[K]*entry[V]{}}
}

// Get returns k's value: the cached one while younger than the TTL, else
// the result of a load that every concurrent Get of k shares (single
// flight). Errors are never cached. When ctx ends first, Get returns its
// error and the load goes on for the others.
func (c *Cache[K, V]) Get(ctx context.Context, k K) (V, error) {
	v, _, err := c.get(ctx, k)
	return v, err
}

// Reload loads k now, as Get does after Expire (a load in flight is
// joined, and a transient failure keeps the last good value in the cache
// for later Gets), but it reports a failed load as an error even when a last
// good value was kept: for callers that need to know whether the value is
// current, such as a lookup that found nothing in the last good value.
func (c *Cache[K, V]) Reload(ctx context.Context, k K) (V, error) {
	c.Expire(k)
	v, kept, err := c.get(ctx, k)
	if err == nil && kept != nil {
		var zero V
		return zero, kept
	}
	return v, err
}

// get is Get, also returning the load error hidden by a last good value.
func (c *Cache[K, V]) get(ctx context.Context, k K) (V, error, error) {
	if c.opts.TTL <= 0 {
		v, err := c.load(ctx, k)
		return v, nil, err
	}
	now := c.opts.Now()
	c.mu.Lock()
	e := c.m[k]
	if e != nil && e.ok && !e.stale && c.young(e, now, c.opts.TTL) {
		v := e.v
		c.mu.Unlock()
		return v, nil, nil
	}
	if e == nil {
		e = &entry[V]{}
		c.m[k] = e
	}
	cl := e.call
	if cl == nil {
		cl = &call[V]{done: make(chan struct{})}
		e.call = cl
		go c.run(context.WithoutCancel(ctx), k, e, cl, now)
	} else {
		cl.waiters++
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.v, cl.kept, cl.err
	case <-ctx.Done():
		var zero V
		return zero, nil, ctx.Err()
	}
}

// young reports whether e's value is less than max old at now. A value from
// the future (a test clock moved back) is not young.
func (c *Cache[K, V]) young(e *entry[V], now time.Time, max time.Duration) bool {
	age := now.Sub(e.at)
	return age >= 0 && age < max
}

// run performs one load and settles it: the value is stored only while the
// entry still waits for this very call, so a Forget or Expire that happened
// during the load (a change was committed meanwhile) is never undone by a
// value read before it.
func (c *Cache[K, V]) run(ctx context.Context, k K, e *entry[V], cl *call[V], started time.Time) {
	defer close(cl.done)
	ctx, cancel := context.WithTimeout(ctx, c.opts.LoadTimeout)
	defer cancel()
	v, err := c.safeLoad(ctx, k)
	c.mu.Lock()
	defer c.mu.Unlock()
	current := c.m[k] == e && e.call == cl
	if current {
		e.call = nil
	}
	switch {
	case err == nil:
		cl.v = v
		if current {
			e.v, e.ok, e.at, e.stale = v, true, started, false
		}
	case c.m[k] == e && e.ok && c.opts.Transient != nil && c.opts.Transient(err) &&
		c.young(e, c.opts.Now(), c.opts.TTL+c.opts.KeepLastGood):
		// Keep the last good value (not after a Forget: c.m[k] != e); the
		// next Get tries again.
		cl.v, cl.kept = e.v, err
	default:
		cl.err = err
		if current {
			delete(c.m, k) // gone, or never loaded: nothing to keep
		}
	}
}

// safeLoad turns a panicking loader into an error: the load runs on its own
// goroutine, where a panic would end the whole process.
func (c *Cache[K, V]) safeLoad(ctx context.Context, k K) (v V, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cache: load panicked: %v", r)
		}
	}()
	return c.load(ctx, k)
}

// Forget drops k's value: the next Get loads, and a load already running is
// not stored. Use it when k is known to have changed; nothing of the old
// value is served again, not even as a last good value.
func (c *Cache[K, V]) Forget(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// ForgetAll is Forget for every key (changes may have been missed).
func (c *Cache[K, V]) ForgetAll() {
	c.mu.Lock()
	c.m = map[K]*entry[V]{}
	c.mu.Unlock()
}

// Expire makes the next Get of k load again, like Forget, but keeps the
// value as the last good one for KeepLastGood (for values that stay usable
// when a reload fails, such as a key set whose old keys remain valid).
func (c *Cache[K, V]) Expire(k K) {
	c.mu.Lock()
	if e := c.m[k]; e != nil {
		e.stale, e.call = true, nil
		if !e.ok {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

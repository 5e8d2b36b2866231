package sqlstorage

import (
	"context"
	"fmt"
	"sync"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// batcher is the one loop that forms the groups of SQLite's group commit
// (groupcommit.go), of PostgreSQL's rotation batches (pgrotate.go) and of
// the refresh-read batches of both (pgsession.go, sqlitesession.go); each
// of those says only what running a group means. Callers queue members;
// the loop takes the first, adds whatever else is queued by then, up to
// maxGroup, without waiting, answers the members whose context ended while
// queued, and hands the others to run, one group at a time, in queue order.
// Nothing waits on a timer: a member with no company is a group of one.
// When the store closes, a running group finishes; each member still
// queued is answered exactly once: errStoreClosed, or by a last group run
// with it.
type batcher[M member] struct {
	in      chan M
	quit    chan struct{}
	stopped chan struct{} // closed once the loop has returned
	wg      sync.WaitGroup

	// key, when set, keeps members of the same key out of one group: a
	// member whose key the group already has is held for the next group,
	// ahead of the members queued after it.
	key  func(M) string
	seen map[string]bool
	held []M
}

// member is one queued request.
type member interface {
	caller() context.Context // the caller's context
	fail(err error)          // answers the caller err (never blocks)
}

// maxGroup bounds one group, so one commit covers at most this many
// members and a caller that queued behind a very long queue waits for at
// most one group before its own.
const maxGroup = 256

// errStoreClosed answers members queued when the store closes.
var errStoreClosed = fmt.Errorf("%w: sqlstorage: store closed", storage.ErrUnavailable)

// start starts the loop, which calls run with each group's live members
// (never none). run answers each of them before it returns.
func (b *batcher[M]) start(run func(live []M)) {
	b.in, b.quit, b.stopped = make(chan M, maxGroup), make(chan struct{}), make(chan struct{})
	if b.key != nil {
		b.seen = map[string]bool{}
	}
	b.wg.Add(1)
	go b.loop(run)
}

// call queues m and returns its answer from out (buffered, written once by
// the loop). err is set only when m got no answer: ctx ended before it was
// queued, the store closed, or, with leave (for a read: nothing to wait
// for), ctx ended while it waited. Without leave, once queued the caller
// waits for what happened to its member (bounded by one group).
func call[M member, T any](b *batcher[M], ctx context.Context, m M, out <-chan T, leave bool) (res T, err error) {
	select {
	case b.in <- m:
	case <-ctx.Done():
		return res, ctx.Err()
	case <-b.quit:
		return res, errStoreClosed
	}
	var gaveUp <-chan struct{}
	if leave {
		gaveUp = ctx.Done()
	}
	select {
	case res = <-out:
		return res, nil
	case <-gaveUp:
		return res, ctx.Err()
	case <-b.stopped:
		// Queued just as the store closed: answered by the loop's last
		// group, or never run.
		select {
		case res = <-out:
			return res, nil
		default:
			return res, errStoreClosed
		}
	}
}

func (b *batcher[M]) loop(run func([]M)) {
	defer b.wg.Done()
	defer close(b.stopped)
	group := make([]M, 0, maxGroup)
	for {
		group = group[:0]
		if len(b.held) == 0 {
			select {
			case m := <-b.in:
				b.admits(m) // records its key: a group's first is always admitted
				group = append(group, m)
			case <-b.quit:
				b.drain()
				return
			}
		}
		group = b.collect(group)
		if live := answerGoneCallers(group); len(live) > 0 {
			run(live)
		}
		clear(group) // drop the references until the next group
		clear(b.seen)
	}
}

// collect adds to group the held members it can take, then what is queued,
// without waiting, up to maxGroup.
func (b *batcher[M]) collect(group []M) []M {
	if len(b.held) > 0 {
		rest := b.held[:0]
		for _, m := range b.held {
			if len(group) == maxGroup || !b.admits(m) {
				rest = append(rest, m)
				continue
			}
			group = append(group, m)
		}
		clear(b.held[len(rest):])
		b.held = rest
	}
	for len(group) < maxGroup {
		select {
		case m := <-b.in:
			if !b.admits(m) {
				b.held = append(b.held, m)
				continue
			}
			group = append(group, m)
		default:
			return group
		}
	}
	return group
}

// admits reports whether m may join the group being collected (and, if so,
// records its key).
func (b *batcher[M]) admits(m M) bool {
	if b.key == nil {
		return true
	}
	k := b.key(m)
	if b.seen[k] {
		return false
	}
	b.seen[k] = true
	return true
}

// answerGoneCallers answers the members whose context ended while queued
// (they never run) and returns the others, in order, in group's array.
func answerGoneCallers[M member](group []M) []M {
	live := group[:0]
	for _, m := range group {
		if err := m.caller().Err(); err != nil {
			m.fail(err)
			continue
		}
		live = append(live, m)
	}
	return live
}

// drain answers what is still queued once the store closes.
func (b *batcher[M]) drain() {
	for {
		select {
		case m := <-b.in:
			m.fail(errStoreClosed)
		default:
			return
		}
	}
}

// stop ends the loop once its running group is done; queued members are
// answered errStoreClosed or run in a last group, each exactly once.
func (b *batcher[M]) stop() {
	close(b.quit)
	b.wg.Wait()
}

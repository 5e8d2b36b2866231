package sqlstorage

import (
	"context"
	"sync"
	"sync/atomic"
)

// readAhead reads a SQLite read batch's later members ahead of the batch,
// on connections of the reader pool, while the file's pages are coming
// from the disk (issue 13: sessions spread over a file the page cache does
// not hold).
//
// Why: a batch reads its members one after another on the batcher's one
// connection (sqlitesession.go). With the file in the page cache a member
// costs tens of microseconds, and one connection is the cheapest way. With
// the file not in it, each member waits for three or four random reads of
// the disk in turn, and a node held about 800 refreshes/s at 10,000,000
// tokens when a warm one does 4,000 (docs/performance.md). A disk serves
// several reads at once: the helpers here run each later member's read on
// its own pooled connection and throw the rows away, so its pages are in
// the page cache by the time the batch reads it. The batch's answers are
// still its own reads, in its own snapshot, with its user cache: a read
// ahead changes nothing, answers nobody, and its failure is nobody's.
//
// It runs only while the process reads from the disk: the batch before
// counted block reads (getrusage's ru_inblock, blockReads) over its span.
// Reading ahead a page already cached costs a read's CPU for nothing, so
// it is not done on CPU load alone, only after a span in which the process
// went to the disk: for refresh reads that missed the page cache, or for
// anything else of the process (the janitor's reads, pages evicted and
// read again); the batch after a span without any does not read ahead.
// Not while the prewarm (prewarm.go) is submitting its reads: those count
// too, and it brings in the whole file in file order faster than random
// reads would. Where the count is not kept (another operating system, or
// no I/O accounting), it never runs.
type readAhead struct {
	s    *Store
	q    chan readAheadReq
	wg   sync.WaitGroup
	sql  string
	once sync.Once
	// blocks is the process's block reads so far (blockReads; tests set
	// their own); ok false: not counted here.
	blocks func() (n int64, ok bool)
	// cold says the last batch saw block reads; next numbers the members
	// handed to begin, base is the number of the current batch's first.
	// The batcher's loop alone reads and writes them.
	cold       bool
	next, base int64
	// reached is the number of the last member the batch has read: a read
	// ahead of it or of an earlier one is not run.
	reached atomic.Int64
	// queued counts the reads ahead handed to the helpers, read those
	// that ran and found their family's rows, skipped those not run (the
	// batch had read the member, or the batch or its caller had ended):
	// for tests and metrics.
	queued, read, skipped atomic.Int64
	// beforeRead, when set (by tests, before the first batch), is called
	// by a helper before it looks at each read ahead it takes.
	beforeRead func()
}

type readAheadReq struct {
	ctx context.Context // the batch's: ends when the batch does
	r   *readReq
	n   int64 // the member's number (readAhead.next)
}

// readAheadConns is how many reads ahead run at once: the disk's
// concurrent reads, bounded so that other reads keep connections of the
// pool. It is also the least the pool must have beyond the batcher's
// minimum for reads ahead to run at all.
const readAheadConns = 4

// newReadAhead returns the read-ahead of a reader pool of poolSize
// connections, or nil when the pool leaves no room for it.
func newReadAhead(s *Store, poolSize int) *readAhead {
	if poolSize < minBatchedSQLitePool+readAheadConns {
		return nil
	}
	return &readAhead{s: s, q: make(chan readAheadReq, maxGroup), blocks: blockReads,
		sql: s.sessionSelect() + ` WHERE t.id = $1` + sessionOrder}
}

// begin is called at the start of each batch with its members, before the
// first is read. When the batch before read from the disk, it hands every
// member after the first to the helpers (the batch reads the first itself
// at once). It returns what end needs.
func (a *readAhead) begin(ctx context.Context, live []*readReq) (before int64) {
	before, _ = a.blocks()
	a.base = a.next
	a.next += int64(len(live))
	if !a.cold || len(live) < 2 || a.prewarming() {
		return before
	}
	a.once.Do(a.start)
	for i, r := range live[1:] {
		select {
		case a.q <- readAheadReq{ctx: ctx, r: r, n: a.base + 1 + int64(i)}:
			a.queued.Add(1)
		default:
			return before // full: the batch reads the rest itself
		}
	}
	return before
}

// prewarming reports whether the store's prewarm is still submitting its
// reads.
func (a *readAhead) prewarming() bool {
	p := a.s.prewarm // set before Open returns, so before any batch
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// done is called once the batch has read its member i.
func (a *readAhead) done(i int) { a.reached.Store(a.base + int64(i)) }

// end is called when the batch is done: the next batch reads ahead when
// this one saw block reads.
func (a *readAhead) end(before int64) {
	after, ok := a.blocks()
	a.cold = ok && after > before
}

func (a *readAhead) start() {
	a.wg.Add(readAheadConns)
	for range readAheadConns {
		go a.loop()
	}
}

// loop runs reads ahead until the queue is closed. A member already
// answered, or whose batch or caller has ended, is skipped.
func (a *readAhead) loop() {
	defer a.wg.Done()
	for req := range a.q {
		if a.beforeRead != nil {
			a.beforeRead()
		}
		if req.ctx.Err() != nil || req.r.ctx.Err() != nil || req.n <= a.reached.Load() {
			a.skipped.Add(1)
			continue
		}
		rows, err := a.s.r.QueryContext(req.ctx, a.sql, req.r.id, req.r.at)
		if err != nil {
			continue
		}
		n := 0
		for rows.Next() { // each row's columns are read: its pages, overflow included
			n++
		}
		if rows.Err() == nil && n > 0 {
			a.read.Add(1)
		}
		_ = rows.Close()
	}
}

// stop ends the helpers once the batcher's loop has returned (nothing
// queues any more); the reads they run end with the batch's context.
func (a *readAhead) stop() {
	close(a.q)
	a.wg.Wait()
}

package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
)

// committer is SQLite's group commit. Every write of a SQLite store runs on
// its one writer connection (open.go), and under synchronous=FULL every
// commit waits for an fsync of the WAL, the largest part of a refresh's or a
// login's write (issue 13). The committer takes the write transactions that
// queued while the previous commit was in flight and runs them in ONE
// transaction, each inside its own savepoint, with one commit and one fsync
// for all of them. Each caller is answered only after that commit, with its
// own outcome: a member whose function fails is rolled back to its savepoint
// and gets its error, the others commit. Nothing waits on a timer: with no
// concurrent writers a transaction is alone in its group and costs what it
// cost before. The members of a group see each other's writes in queue
// order, as if run one after another, which is what the single writer did
// anyway.
//
// A group whose savepoint handling, or whose commit, fails (a full disk, an
// I/O error that rolled the transaction back) is not half-applied: it is
// rolled back and each member is run again in a transaction of its own, so
// every caller gets the outcome of its own function (the functions given to
// tx are safe to run more than once).
type committer struct {
	batcher[*commitReq] // batch.go
	w                   *pool

	// The savepoint statements, prepared once on the writer (nil when
	// preparing failed: they then run unprepared).
	savepoint, release, rollbackTo *sql.Stmt

	// commits counts the transactions committed (a group counts once), for
	// tests and the benchmark's report.
	commits atomic.Int64
	// afterCommit is called after each commit (the checkpointer's count;
	// it never blocks).
	afterCommit func()
}

// commitReq is one write transaction waiting for a group.
type commitReq struct {
	ctx context.Context
	fn  func(q querier) error
	out chan error // buffered: the committer never blocks on a caller
}

func (r *commitReq) caller() context.Context { return r.ctx }
func (r *commitReq) fail(err error)          { r.out <- err }

func newCommitter(w *pool, afterCommit func()) *committer {
	c := &committer{w: w, afterCommit: afterCommit}
	c.prepare()
	c.start(c.run)
	return c
}

// prepare prepares the savepoint statements on the writer connection. The
// writer is idle at this point (Open has not returned).
func (c *committer) prepare() {
	ctx := context.Background()
	var err error
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{{&c.savepoint, `SAVEPOINT member`}, {&c.release, `RELEASE member`}, {&c.rollbackTo, `ROLLBACK TO member`}} {
		if *p.st, err = c.w.DB.PrepareContext(ctx, p.sql); err != nil {
			*p.st = nil
		}
	}
}

// do runs fn in a write transaction, possibly shared with others, and
// returns its outcome once that transaction committed (or failed). A caller
// whose ctx ends while queued is answered ctx's error and fn never runs;
// once its group started, the caller waits for the group's commit (bounded
// by one group), so its answer is always what happened to its write.
func (c *committer) do(ctx context.Context, fn func(q querier) error) error {
	r := &commitReq{ctx: ctx, fn: fn, out: make(chan error, 1)}
	err, unanswered := call(&c.batcher, ctx, r, r.out, false)
	if unanswered != nil {
		return unanswered
	}
	return err
}

// run commits one group (batch.go calls it with the live members).
func (c *committer) run(live []*commitReq) {
	if len(live) == 1 {
		live[0].out <- c.alone(live[0])
		return
	}
	errs, ok := c.together(live)
	for i, r := range live {
		if ok {
			r.out <- errs[i]
		} else {
			r.out <- c.alone(r)
		}
	}
}

// alone runs one member in a transaction of its own. Like a group's, its
// statements run on a context that cannot end (the caller's values, not its
// cancellation): once a write started, its caller waits for its outcome
// (do), so a caller that gives up cannot interrupt it, and the driver
// starts no goroutine per statement to watch for that (modernc.org/sqlite
// does, for a context that can end; docs/performance.md "Lone writes on a
// context that cannot end"). What bounds it is what bounds a group: the
// writer's busy_timeout on a lock held by another process (open.go), and
// nothing else waits.
func (c *committer) alone(r *commitReq) (err error) {
	ctx := context.WithoutCancel(r.ctx)
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = r.fn(txq{tx: tx, p: c.w, ctx: ctx}); err != nil {
		return err
	}
	if err = tx.Commit(); err == nil {
		c.committed()
	}
	return err
}

// together runs the members in one transaction, one savepoint each, and
// commits once. ok is false when the group could not be committed as a
// whole; nothing of it is then applied.
func (c *committer) together(live []*commitReq) (errs []error, ok bool) {
	// The group's statements do not follow any one caller's cancellation:
	// SQLite answers an interrupt inside an explicit transaction by rolling
	// back the whole transaction, the other members' writes included.
	ctx := context.Background()
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, false
	}
	errs = make([]error, len(live))
	for i, r := range live {
		if c.step(ctx, tx, c.savepoint, `SAVEPOINT member`) != nil {
			_ = tx.Rollback()
			return nil, false
		}
		errs[i] = r.fn(txq{tx: tx, p: c.w, ctx: context.WithoutCancel(r.ctx)})
		if errs[i] != nil && c.step(ctx, tx, c.rollbackTo, `ROLLBACK TO member`) != nil {
			_ = tx.Rollback()
			return nil, false
		}
		if c.step(ctx, tx, c.release, `RELEASE member`) != nil {
			_ = tx.Rollback()
			return nil, false
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, false
	}
	c.committed()
	return errs, true
}

func (c *committer) committed() {
	c.commits.Add(1)
	if c.afterCommit != nil {
		c.afterCommit()
	}
}

// step runs one savepoint statement, prepared when it could be.
func (c *committer) step(ctx context.Context, tx *sql.Tx, st *sql.Stmt, query string) error {
	var err error
	if st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx)
	} else {
		_, err = tx.ExecContext(ctx, query)
	}
	return err
}

// close stops the loop; queued writes are answered errStoreClosed or run
// in a last group, each exactly once. Writes in a running group finish first.
func (c *committer) close() error {
	c.stop()
	var errs []error
	for _, st := range []*sql.Stmt{c.savepoint, c.release, c.rollbackTo} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

package sqlstorage

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
)

// SQLite's WAL grows with every commit and is copied back into the database
// file by a checkpoint. By default the connection whose commit takes the WAL
// past 1,000 pages runs that checkpoint itself, before its COMMIT returns:
// on the single writer (open.go) that is a group commit that copies about
// 4 MB into the database file and fsyncs it, with every write queued behind
// it waiting (issue 13's p99 at 2,000 refreshes/s; docs/decisions.md
// "SQLite checkpoints off the commit path").
//
// The writer's automatic checkpoint is therefore raised to walBackstopPages
// and a checkpointer on a connection of its own runs a PASSIVE checkpoint
// every checkpointEvery commits. A PASSIVE checkpoint takes no lock a writer
// or a reader waits for: it copies the frames no reader still needs, and
// the writer restarts the WAL from its beginning once everything was copied
// (https://www.sqlite.org/wal.html#checkpointing). Durability is unchanged:
// a commit is acknowledged after its WAL frames are fsynced
// (synchronous=FULL); a checkpoint fsyncs the WAL before it copies and the
// database file after, whichever connection runs it.
//
// If the checkpointer falls behind, stops or fails, the writer's own
// checkpoint at walBackstopPages still bounds the WAL as before, just less
// often. Closing the store checkpoints and removes the WAL, as SQLite does
// when its last connection closes (sqlite3_close).
const (
	walBackstopPages = 4000
	checkpointEvery  = 64
)

// checkpointer runs PASSIVE checkpoints off the commit path.
type checkpointer struct {
	db     *sql.DB // one connection of its own, never the writer's
	logger *slog.Logger
	since  atomic.Int64  // commits since the last kick
	kick   chan struct{} // buffered: a kick never blocks a commit
	quit   chan struct{}
	done   chan struct{}

	// runs and failures count checkpoints finished and failed (tests; the
	// 1st, 2nd, 4th… failure is logged, and the next kick tries again).
	runs, failures atomic.Int64
}

func newCheckpointer(dsn string, logger *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, logger: logger,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// committed counts one commit of the writer and wakes the loop every
// checkpointEvery commits. It never blocks.
func (c *checkpointer) committed() {
	if c.since.Add(1) < checkpointEvery {
		return
	}
	c.since.Store(0)
	select {
	case c.kick <- struct{}{}:
	default: // a checkpoint is already due
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
		}
		_, _, _ = c.checkpoint(context.Background())
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the WAL's frames and
// how many of them are now in the database file (fewer when a reader still
// needs older ones; the next checkpoint copies them).
func (c *checkpointer) checkpoint(ctx context.Context) (frames, copied int, err error) {
	defer c.runs.Add(1)
	var busy int
	err = c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	if err != nil {
		// A checkpointer that keeps failing (a broken connection, I/O
		// errors) would otherwise warn every checkpointEvery commits, tens
		// of times a second under load: the 1st, 2nd, 4th, 8th… failure
		// is logged, with the count.
		if n := c.failures.Add(1); n&(n-1) == 0 {
			c.logger.Warn("sqlstorage: background WAL checkpoint failed; it is tried again after the next commits, "+
				"and the writer checkpoints itself once the WAL passes its bound",
				"err", err, "boundPages", walBackstopPages, "failures", n)
		}
	}
	return frames, copied, err
}

// close stops the loop and closes its connection (not the last one: the
// pools close after it and the last of them checkpoints).
func (c *checkpointer) close() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}

package sqlstorage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// A server started on a SQLite file the operating system has not read yet
// (after a reboot, a failover, a restored backup) reads each refresh's pages
// from disk one pread at a time on the read batcher's connection
// (sqlitesession.go): at 1M users and 10M tokens, about 800 refreshes/s
// against about 4,000 once the pages are cached, and random sessions keep
// meeting unread pages for hours (docs/performance.md, "Refreshes of random
// seeded sessions at 10,000,000 tokens").
//
// Prewarm (Options.Prewarm, on for `latchkey serve` unless
// LATCHKEY_SQLITE_PREWARM=off) asks the operating system, once at open and in
// the background, to read the whole database file into its page cache, in
// file order: the disk's sequential speed instead of its random one (an
// 8.15 GB file in about 5 s on the machine of docs/performance.md, for half
// a second of CPU). It reads nothing into this process: the pages stay the
// operating system's, which evicts them as it would any other file's. It is
// the idea of PostgreSQL's pg_prewarm and of InnoDB's buffer pool load at
// startup (on by default since MySQL 5.7), for a database whose cache is the
// operating system's.
//
// It runs only when the file takes at most half of the memory available
// (MemAvailable, and the cgroup's limit when there is one), so that it never
// pushes out a larger working set than it brings in; otherwise it logs why
// not and does nothing. Requests are served from the start: the prewarm only
// competes with them for the disk while it runs. Closing the store stops
// it. Only on Linux (posix_fadvise); elsewhere it logs that it is not
// supported.

// prewarmChunk is how much one request asks for: Linux reads at most the
// device's readahead size per POSIX_FADV_WILLNEED call, whatever the length
// asked, so the file is asked for in pieces.
const prewarmChunk = 1 << 20

// prewarmer is the background prewarm of one store.
type prewarmer struct {
	cancel context.CancelFunc
	done   chan struct{}
	// result is the prewarm's outcome once done is closed (for tests).
	result prewarmResult
}

// prewarmResult says what a prewarm did.
type prewarmResult struct {
	size, budget int64 // the file's size, the memory it could take
	asked        int64 // bytes asked to be read (the whole file, or less when stopped)
	skipped      string
	err          error
}

// startPrewarm begins the prewarm of the file at path in the background.
func startPrewarm(path string, logger *slog.Logger) *prewarmer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prewarmer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		begun := time.Now()
		p.result = prewarmFile(ctx, path, availableMemory)
		r := p.result
		switch {
		case r.err != nil:
			logger.Warn("sqlite prewarm failed: the database file is read from disk as requests need it", "path", path, "error", r.err.Error())
		case r.skipped != "":
			logger.Info("sqlite prewarm skipped", "path", path, "reason", r.skipped)
		case r.asked < r.size:
			logger.Info("sqlite prewarm stopped", "path", path, "asked_bytes", r.asked, "size_bytes", r.size)
		default:
			logger.Info("sqlite prewarm: the database file was asked into the page cache", "path", path, "size_bytes", r.size, "took", time.Since(begun).Round(time.Millisecond).String())
		}
	}()
	return p
}

// stop ends the prewarm and waits for it.
func (p *prewarmer) stop() {
	p.cancel()
	<-p.done
}

// prewarmFile asks the operating system to read the file at path into its
// page cache when the file takes at most half of what available reports.
func prewarmFile(ctx context.Context, path string, available func() (int64, error)) prewarmResult {
	f, err := os.Open(path)
	if err != nil {
		return prewarmResult{err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return prewarmResult{err: err}
	}
	r := prewarmResult{size: fi.Size()}
	if !prewarmSupported {
		r.skipped = "not supported on this operating system"
		return r
	}
	avail, err := available()
	if err != nil {
		r.skipped = "the memory available is unknown: " + err.Error()
		return r
	}
	r.budget = avail / 2
	if r.size > r.budget {
		r.skipped = fmt.Sprintf("the file (%d bytes) is larger than half of the memory available (%d bytes)", r.size, avail)
		return r
	}
	for r.asked < r.size {
		if ctx.Err() != nil {
			return r
		}
		n := min(int64(prewarmChunk), r.size-r.asked)
		if err := willNeed(f, r.asked, n); err != nil {
			r.err = err
			return r
		}
		r.asked += n
	}
	return r
}

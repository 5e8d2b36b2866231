package sqlstorage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"
)

// A server started on a SQLite file the operating system has not read yet
// (after a reboot, a failover, a restored backup) reads each refresh's pages
// from disk one pread at a time on the read batcher's connection
// (sqlitesession.go): at 1M users and 10M tokens, about 800 refreshes/s
// against about 4,000 once the pages are cached, and random sessions keep
// meeting unread pages for as long as unread pages are left
// (docs/performance.md, "A server started on a cold file").
//
// Prewarm (Options.Prewarm, on for `latchkey serve` unless
// LATCHKEY_SQLITE_PREWARM=off) asks the operating system, once at open and in
// the background, to read the whole database file into its page cache, in
// file order: the disk's sequential speed instead of its random one. It reads
// nothing into this process: the pages stay the operating system's, which
// evicts them as it would any other file's. It is the idea of PostgreSQL's
// pg_prewarm and of InnoDB's buffer pool load at startup, for a database
// whose cache is the operating system's.
//
// It runs only when the file takes at most half of the memory available
// (MemAvailable, and what the cgroup's limits leave when there are any), so
// that it does not push out a larger working set than it brings in;
// otherwise it logs why not and does nothing. Requests are served from the
// start: the prewarm only competes with them for the disk while it runs.
// Closing the store stops it. Only on Linux (posix_fadvise); elsewhere it
// logs that it is not supported.
//
// Its descriptor is closed only after every connection of the store is
// closed: closing any descriptor of a file releases every POSIX lock this
// process holds on it, SQLite's included, after which another process could
// take the file's exclusive lock, checkpoint and delete the WAL the store
// still writes to (https://www.sqlite.org/howtocorrupt.html, section 2.2).
// Two stores of one process on the same file would still meet this when the
// prewarmed one closes first; `latchkey serve` opens one.

// prewarmChunk is how much one request asks for: Linux reads at most the
// larger of the device's readahead size and its largest request per
// POSIX_FADV_WILLNEED call, whatever the length asked, and 128 KiB is the
// kernel's default readahead, so the file is asked for in pieces no larger.
const prewarmChunk = 128 << 10

// prewarmer is the background prewarm of one store.
type prewarmer struct {
	f      *os.File
	cancel context.CancelFunc
	done   chan struct{}
	// result is the prewarm's outcome once done is closed (for tests).
	result prewarmResult
}

// prewarmResult says what a prewarm did.
type prewarmResult struct {
	size, budget int64   // the file's size, the memory it could take
	asked        int64   // bytes asked to be read (the whole file, or less when stopped)
	resident     float64 // the share of the file in the page cache once asked (-1: unknown)
	skipped      string
	err          error
}

// startPrewarm begins the prewarm of the file at path in the background,
// or logs why it cannot and returns nil.
func startPrewarm(path string, logger *slog.Logger) *prewarmer {
	if !prewarmSupported {
		logger.Info("sqlite prewarm skipped", "path", path, "reason", "not supported on this operating system")
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		logger.Warn("sqlite prewarm failed: the database file is read from disk as requests need it", "path", path, "error", err.Error())
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &prewarmer{f: f, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		begun := time.Now()
		p.result = prewarmFile(ctx, f, availableMemory)
		r := p.result
		switch {
		case r.err != nil:
			logger.Warn("sqlite prewarm failed: the database file is read from disk as requests need it", "path", path, "error", r.err.Error())
		case r.skipped != "":
			logger.Info("sqlite prewarm skipped", "path", path, "reason", r.skipped)
		case r.asked < r.size:
			logger.Info("sqlite prewarm stopped", "path", path, "asked_bytes", r.asked, "size_bytes", r.size)
		default:
			resident := "unknown"
			if r.resident >= 0 {
				resident = strconv.Itoa(int(100 * r.resident))
			}
			logger.Info("sqlite prewarm: the database file was asked into the page cache", "path", path, "size_bytes", r.size,
				"resident_percent", resident, "took", time.Since(begun).Round(time.Millisecond).String())
		}
	}()
	return p
}

// stop ends the prewarm and waits for it. Its descriptor stays open.
func (p *prewarmer) stop() {
	p.cancel()
	<-p.done
}

// release closes the prewarm's descriptor: only once the store's own
// connections are closed (the POSIX locks, above).
func (p *prewarmer) release() {
	_ = p.f.Close()
}

// prewarmFile asks the operating system to read the file f into its page
// cache when the file takes at most half of what available reports.
func prewarmFile(ctx context.Context, f *os.File, available func() (int64, error)) prewarmResult {
	fi, err := f.Stat()
	if err != nil {
		return prewarmResult{err: err}
	}
	r := prewarmResult{size: fi.Size(), resident: -1}
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
	if share, err := residentShare(f, r.size); err == nil {
		r.resident = share
	}
	return r
}

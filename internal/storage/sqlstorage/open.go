package sqlstorage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Dialect names returned by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Options tune Open. The zero value works.
type Options struct {
	Logger *slog.Logger
	// MaxOpenConns bounds the connection pool (readers, on SQLite). 0 picks a default.
	MaxOpenConns int
	// Tracer, when set, puts a span per statement under the request's
	// (instrument.go); QueryMetrics, when set, records query latency
	// (querytime.go).
	Tracer       trace.TracerProvider
	QueryMetrics *QueryMetrics
	// Throwaway opens SQLite with synchronous=OFF: commits are not flushed,
	// so a crash may lose or corrupt the file. Only for a database deleted
	// after use and never read again (the Kickstart dry run's scratch copy,
	// whose fsyncs were a good part of a fresh start: issue 13).
	Throwaway bool
	// Prewarm asks the operating system, in the background, to read the
	// SQLite file into its page cache when it fits in half of the memory
	// available (prewarm.go). Ignored on PostgreSQL.
	Prewarm bool
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Store implements storage.Storage on SQLite or PostgreSQL.
type Store struct {
	dialect string
	// closeOnce makes Close idempotent (its second call returns the first's
	// error): the batchers' channels must be closed once.
	closeOnce sync.Once
	closeErr  error
	// w runs writes, r runs reads. On PostgreSQL both are the same pool. On
	// SQLite w is a single connection whose transactions BEGIN IMMEDIATE, so
	// writers queue in Go instead of failing with SQLITE_BUSY (see
	// BenchmarkRotateRefreshToken and the decision in the report).
	w, r *pool // prepared.go
	// commits is SQLite's group commit on the single writer
	// (groupcommit.go); nil on PostgreSQL, where each pooled connection
	// commits on its own and the server groups the WAL flushes.
	commits *committer
	// checkpoints copies SQLite's WAL into the database file off the
	// commit path (checkpoint.go); nil on PostgreSQL.
	checkpoints *checkpointer
	// rotations batches concurrent refresh-token rotations into one
	// statement on PostgreSQL (pgrotate.go); nil on SQLite, whose
	// committer groups them.
	rotations *rotations
	// reads batches concurrent refresh reads by family id: into one
	// statement on PostgreSQL (pgsession.go), into one read transaction
	// on SQLite (sqlitesession.go); nil on SQLite without the split
	// writer or with fewer than minBatchedSQLitePool reader connections.
	reads  *sessionReads
	logger *slog.Logger
	feed   *changeFeed // PostgreSQL only (changes.go)
	path   string      // the SQLite file (absolute); "" on PostgreSQL
	// prewarm reads the SQLite file into the page cache in the background
	// (prewarm.go); nil unless Options.Prewarm.
	prewarm *prewarmer
}

var _ storage.Storage = (*Store)(nil)

// Dialect reports "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Open connects to the database named by url and applies pending migrations.
// Accepted forms: a plain file path, sqlite:path, sqlite://path, file:path
// (SQLite, created when missing); postgres:// or postgresql:// (PostgreSQL).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	dialect, target, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	var s *Store
	switch dialect {
	case DialectPostgres:
		s, err = openPostgres(ctx, target, opts)
	default:
		s, err = openSQLite(ctx, target, opts, true)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.warnUnindexedSearch(ctx)
	s.checkUsersLog(ctx)
	return s, nil
}

// SQLitePath is the file a SQLite database URL names (ok false for
// PostgreSQL or a URL Open would refuse), so that files kept next to the
// database (the server secret) can be found.
func SQLitePath(url string) (path string, ok bool) {
	dialect, target, err := parseURL(url)
	return target, err == nil && dialect == DialectSQLite
}

// parseURL splits a database URL into its dialect and the driver's target
// (a file path for SQLite, the URL itself for PostgreSQL).
func parseURL(raw string) (dialect, target string, err error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", "", errors.New("sqlstorage: empty database URL (want a file path, sqlite:path or postgres://...)")
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return DialectPostgres, raw, nil
	case strings.HasPrefix(raw, "sqlite://"):
		target = strings.TrimPrefix(raw, "sqlite://")
	case strings.HasPrefix(raw, "sqlite:"):
		target = strings.TrimPrefix(raw, "sqlite:")
	case strings.HasPrefix(raw, "file:"):
		target = strings.TrimPrefix(raw, "file:")
	case strings.Contains(raw, "://"):
		scheme, _, _ := strings.Cut(raw, "://")
		return "", "", fmt.Errorf("sqlstorage: unsupported database URL scheme %q (want sqlite: or postgres://)", scheme)
	default:
		target = raw
	}
	// Query strings would be taken as driver parameters and silently override
	// the durability settings below; refuse them rather than guess.
	if strings.ContainsAny(target, "?#") {
		return "", "", fmt.Errorf("sqlstorage: SQLite path %q must not contain '?' or '#'", target)
	}
	if target == "" {
		return "", "", errors.New("sqlstorage: SQLite URL has an empty path")
	}
	return DialectSQLite, target, nil
}

// sqliteDSN names the file and the settings every connection applies:
// WAL so readers never block the writer, synchronous=FULL so an acknowledged
// commit survives power loss (https://www.sqlite.org/pragma.html#pragma_synchronous),
// foreign keys for the cascades, and a busy timeout as a backstop.
func sqliteDSN(path string, immediate bool) string {
	return sqliteDSNSync(path, immediate, "FULL")
}

// sqliteDSNSync is sqliteDSN with another synchronous setting
// (Options.Throwaway).
func sqliteDSNSync(path string, immediate bool, synchronous string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Add("_pragma", "foreign_keys(1)")
	if immediate {
		q.Set("_txlock", "immediate")
		// temp_store stays SQLite's default (files) on the writer: a
		// group-commit member's savepoint sub-journal holds the original of
		// every page the member changes, and in memory (temp_store=MEMORY)
		// nothing bounds it: an application's delete cascading over its
		// refresh tokens, or a migration's index build, would need the
		// whole write's size in RAM at once (docs/decisions.md "SQLite
		// sub-journals spill at SQLite's default";
		// TestLargeCascadeKeepsTheWriterMemoryBounded).
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openSQLite opens path. With splitWriter, writes go through one dedicated
// connection and reads through a pool; without it, one pool serves both and
// every transaction is BEGIN IMMEDIATE (kept for the benchmark comparison).
func openSQLite(ctx context.Context, path string, opts Options, splitWriter bool) (*Store, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlstorage: SQLite path %q: %w", path, err)
	}
	privateSQLiteFile(abs, opts.Logger)
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	sync := "FULL"
	if opts.Throwaway {
		sync = "OFF"
	}
	wdsn := sqliteDSNSync(abs, true, sync)
	if splitWriter {
		// The checkpointer below copies the WAL back; the writer's own
		// checkpoint is only the bound (checkpoint.go).
		wdsn += "&" + url.Values{"_pragma": {fmt.Sprintf("wal_autocheckpoint(%d)", walBackstopPages)}}.Encode()
	}
	w, err := openSQLiteDB(wdsn, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlstorage: open SQLite %s: %w", abs, err)
	}
	s := &Store{dialect: DialectSQLite, w: newPool(w, true), logger: opts.Logger, path: abs}
	s.r = s.w
	if splitWriter {
		w.SetMaxOpenConns(1)
		r, err := openSQLiteDB(sqliteDSNSync(abs, false, sync), opts)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlstorage: open SQLite %s: %w", abs, err)
		}
		r.SetMaxOpenConns(n)
		// As many kept idle as may be open: database/sql keeps 2 by
		// default, so under more concurrent reads than that every
		// request closed a connection and opened another (its pragmas,
		// its prepared statements again): 17 % of a refresh's CPU at 16
		// clients (docs/performance.md).
		r.SetMaxIdleConns(n)
		s.r = newPool(r, true)
		if s.checkpoints, err = newCheckpointer(sqliteDSNSync(abs, false, sync), opts.Logger); err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlstorage: open SQLite %s: %w", abs, err)
		}
		s.commits = newCommitter(s.w, s.checkpoints.committed)
		if n >= minBatchedSQLitePool {
			s.reads = newSessionReads(s, n) // refresh reads batched (sqlitesession.go)
		}
	} else {
		w.SetMaxOpenConns(n)
		w.SetMaxIdleConns(n)
	}
	// Connections are cheap to keep and costly to reopen (pragmas run per connection).
	s.w.SetConnMaxIdleTime(0)
	if err := firstPing(ctx, s.w.DB); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstorage: cannot open SQLite database %s: %w", abs, err)
	}
	if opts.Prewarm {
		s.prewarm = startPrewarm(abs, opts.Logger)
	}
	return s, nil
}

// openPostgres opens a pgx-backed database/sql pool and checks that the server
// answers. The error names the host and database, never the password.
func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can echo the DSN; keep only what is safe.
		return nil, errors.New("sqlstorage: invalid PostgreSQL URL (check its syntax)")
	}
	db := openConnector(stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(widenBackendHeap)), opts)
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		msg := err.Error()
		if cfg.Password != "" {
			msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
		}
		return nil, fmt.Errorf("%w: cannot reach PostgreSQL at %s:%d (database %q, user %q): %s",
			storage.ErrUnavailable, cfg.Host, cfg.Port, cfg.Database, cfg.User, msg)
	}
	p := newPool(db, false)
	s := &Store{dialect: DialectPostgres, w: p, r: p, logger: opts.Logger, feed: newChangeFeed(cfg, opts.Logger)}
	s.rotations = newRotations(s)
	s.reads = newSessionReads(s, n)
	return s, nil
}

// firstPing opens the first connection, which applies the pragmas. When
// several opens of a brand-new file race, the first connection's pragmas
// (the switch to WAL) failed once with SQLITE_BUSY despite busy_timeout, in
// TestKickstartConcurrentNodesSeedOnceAndWait on a loaded machine. BUSY is
// retried for up to five seconds; any other error is returned at once.
func firstPing(ctx context.Context, db *sql.DB) error {
	var err error
	for range 50 {
		if err = db.PingContext(ctx); err == nil || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Ping answers nil while the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return s.wrap(err)
	}
	return nil
}

// Close stops the change feed and closes the pools. Calling it again
// returns the first call's error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	if s.prewarm != nil {
		s.prewarm.stop()
	}
	if s.feed != nil {
		s.feed.close()
	}
	var err error
	if s.rotations != nil {
		s.rotations.close()
	}
	if s.reads != nil {
		s.reads.close()
	}
	if s.commits != nil {
		err = s.commits.close()
	}
	if s.checkpoints != nil {
		err = errors.Join(err, s.checkpoints.close())
	}
	err = errors.Join(err, s.w.close())
	if s.r != s.w {
		err = errors.Join(err, s.r.close())
	}
	if s.prewarm != nil {
		s.prewarm.release() // after every connection: prewarm.go
	}
	return err
}

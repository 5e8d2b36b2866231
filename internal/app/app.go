package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/backchannel"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/dbclock"
	"github.com/latchkeyhq/latchkey/internal/events/sender"
	"github.com/latchkeyhq/latchkey/internal/janitor"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/kickstart"
	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// Options are what tests (and the demo) inject; the zero value is production.
type Options struct {
	// Store is a pre-opened storage; App does not close it. Nil: open
	// cfg.DatabaseURL.
	Store storage.Storage
	// Now is the clock. Default: the database's clock, followed by
	// internal/dbclock, so that every node of a deployment agrees.
	Now func() time.Time
	// Logger (default: cfg's format and level on stderr).
	Logger *slog.Logger
	// Listener to serve on (default: listen on cfg.Addr).
	Listener net.Listener
	// HTTP overrides the http.Server bounds; zero fields keep the defaults
	// (DefaultHTTPLimits). Tests use it to shorten a timeout.
	HTTP HTTPLimits
	// Limits bound concurrent password verification (zero: server's
	// defaults: 4×GOMAXPROCS requests at once, of which 2×GOMAXPROCS hash).
	Limits server.Limits
	// JanitorInterval overrides the janitor's pass interval (default
	// janitor.DefaultInterval, 5 min); tests shorten it.
	JanitorInterval time.Duration
	// KickstartWait and KickstartStaleAfter override kickstart.Options'
	// defaults (60 s wait for another node's Kickstart, 30 s until an
	// unrenewed claim is taken over).
	KickstartWait, KickstartStaleAfter time.Duration
	// Webhooks tunes the webhook queue's worker beyond the configuration
	// (tests: a short poll interval, backoff or attempt count); zero fields
	// keep cfg's settings and the outbox defaults.
	Webhooks outbox.Config
	// Tracing replaces the tracing cfg asks for (tests trace into memory).
	Tracing *observe.Tracing
	// MetricsListener serves /metrics (default: listen on cfg.MetricsAddr
	// when set).
	MetricsListener net.Listener
	// ReadyProbeEvery spaces the readiness write probe (default 10 s).
	ReadyProbeEvery time.Duration
}

// HTTPLimits are the http.Server bounds against slow or oversized clients
// (security-bar.md §4.4, L13; gosec G112).
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxHeaderBytes bounds the request line and headers as accepted: a
	// request whose head is longer gets 431 (Run subtracts net/http's
	// slack; TestHeaderBytesBound).
	MaxHeaderBytes int
	// RequestTimeout bounds one request's work from the moment its headers
	// are read (server.Config.RequestTimeout; zero:
	// server.DefaultRequestTimeout).
	RequestTimeout time.Duration
}

// DefaultHTTPLimits: 5s to send the headers (slowloris), 30s for a whole
// request body or response (a login body is under 1 KiB; the largest
// management bodies are 64 KiB), 2 min idle keep-alive, 32 KiB of headers
// (a session cookie plus a JWT is under 8 KiB; Go's default is 1 MiB).
var DefaultHTTPLimits = HTTPLimits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    32 << 10,
}

func (l HTTPLimits) withDefaults() HTTPLimits {
	d := DefaultHTTPLimits
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&l.ReadHeaderTimeout, d.ReadHeaderTimeout}, {&l.ReadTimeout, d.ReadTimeout},
		{&l.WriteTimeout, d.WriteTimeout}, {&l.IdleTimeout, d.IdleTimeout}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	return l
}

// App is one running latchkey identity server.
type App struct {
	cfg       config.Config
	log       *slog.Logger
	store     storage.Storage
	ownsStore bool
	ln        net.Listener
	handler   http.Handler
	gate      *server.Gate
	limits    HTTPLimits
	Server    *server.Server
	metrics   *observe.Metrics
	tracing   *observe.Tracing
	metricsLn net.Listener
	unfollow  func() // stops the caches following the store's change feed
	clock     *dbclock.Clock
	workers   *workers
	// lambdaFailures writes failed lambda calls to the event log.
	lambdaFailures *lambdaFailures
	janitor        *janitor.Janitor

	closeOnce sync.Once
	closeErr  error
}

// Open wires the application and starts listening, but does not serve yet.
// Any failing step stops start-up with an error naming the step.
func Open(ctx context.Context, cfg config.Config, opts Options) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	followDB := opts.Now == nil
	if followDB {
		opts.Now = localClock(cfg)
	}
	if opts.Logger == nil {
		opts.Logger = NewLogger(cfg, os.Stderr)
	}
	// Every line logged with a request's context names its request id
	// (and trace id when traced).
	opts.Logger = slog.New(observe.LogHandler(opts.Logger.Handler()))
	opts.Limits = configRates(opts.Limits, cfg)
	a = &App{cfg: cfg, log: opts.Logger, store: opts.Store, gate: server.NewGate(opts.Limits), limits: opts.HTTP.withDefaults()}
	defer func() {
		if err != nil {
			_ = a.Close()
			a = nil
		}
	}()
	if err := a.openObservability(ctx, opts); err != nil {
		return a, err
	}
	var schemaCopy string // the dry run's start: a copy of the fresh database's schema
	if a.store == nil {
		fresh := mayBeFresh(cfg.DatabaseURL)
		if fresh {
			// The RS256 key the node will make, made on the spare core
			// while the database migrates (keys.PrepareRSA; issue 13).
			keys.PrepareRSA()
		}
		st, err := a.openStore(ctx)
		if err != nil {
			return a, fmt.Errorf("open database: %w", err)
		}
		a.store, a.ownsStore = st, true
		if fresh && cfg.Kickstart != "" {
			var remove func()
			schemaCopy, remove = copySchema(ctx, st, a.log)
			defer remove()
		}
	}
	a.watch(opts)
	if followDB {
		// One clock for every node: the database's (internal/dbclock).
		if a.clock, err = dbclock.Start(ctx, a.store.DatabaseTime, dbclock.Options{Local: opts.Now, Logger: a.log}); err != nil {
			return a, fmt.Errorf("read the database's clock: %w", err)
		}
		opts.Now = a.clock.Now
	}
	sec, err := serverSecret(cfg, opts, a.log)
	if err != nil {
		return a, fmt.Errorf("server secret: %w", err)
	}
	if err := manage.EnsureDefaults(ctx, a.store, cfg.Issuer, opts.Now()); err != nil {
		return a, err
	}
	// One lambda engine per process; its failures go to the event log
	// through a.lambdaFailures. The Kickstart dry run has its own, which
	// logs failures but writes no event log entry: the real run makes the
	// same calls and reports them.
	a.lambdaFailures = newLambdaFailures(a.log)
	engine := lambda.New(lambda.Config{Logger: a.log, Failures: a.lambdaFailures.add})
	poster := sender.New(sender.Options{DenyPrivate: cfg.WebhookPrivateAddresses == "deny"})
	if a.Server, a.unfollow, err = newServer(ctx, a.store, cfg, opts, a.log, a.gate,
		wiring{metrics: a.metrics, secret: sec, engine: engine, poster: poster}); err != nil {
		return a, err
	}
	a.lambdaFailures.el = a.Server.Manage.EventLogs
	a.Server.Tracing = a.tracing
	a.Server.Ready = &server.Readiness{Store: a.store, Now: opts.Now, Logger: a.log, ProbeEvery: opts.ReadyProbeEvery}
	a.handler = a.Server.Handler()
	if a.workers, err = newWorkers(a.store, a.Server.Manage, a.Server.Events, cfg, opts, a.log, a.metrics); err != nil {
		return a, fmt.Errorf("outbox workers: %w", err)
	}
	if err := a.startBackchannel(opts); err != nil {
		return a, fmt.Errorf("back-channel logout: %w", err)
	}
	if err := a.startPasswordlessJobs(opts); err != nil {
		return a, fmt.Errorf("passwordless jobs: %w", err)
	}
	a.janitor = newJanitor(a.store, a.Server.Auth, a.Server.Manage, opts.Now, opts.JanitorInterval, a.log)
	if cfg.Kickstart != "" {
		err := kickstart.Run(ctx, kickstart.Options{
			Path: cfg.Kickstart, Store: a.store, Handler: a.handler, Now: opts.Now, Logger: a.log,
			Scratch: scratch(cfg, opts, a.log, lambda.New(lambda.Config{Logger: a.log.With("kickstart_dry_run", true)}), schemaCopy), Wait: opts.KickstartWait, StaleAfter: opts.KickstartStaleAfter,
		})
		if err != nil {
			return a, err
		}
	}
	a.ln = opts.Listener
	if a.ln == nil {
		if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return a, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
	}
	a.metricsLn = opts.MetricsListener
	if a.metricsLn == nil && cfg.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return a, fmt.Errorf("listen on %s (metrics): %w", cfg.MetricsAddr, err)
		}
	}
	return a, nil
}

// mayBeFresh reports whether the database may have no signing keys yet: a
// SQLite file that does not exist, or a PostgreSQL database (which cannot be
// told without a round trip). Then an RSA key is worth making in advance.
func mayBeFresh(url string) bool {
	path, ok := sqlstorage.SQLitePath(url)
	if !ok {
		return true
	}
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// copySchema copies a SQLite database that Open has just created and
// migrated, before anything else is written to it, into a temporary file:
// the Kickstart dry run starts from that copy instead of migrating a second
// database from nothing (half the migration time of a fresh start, issue
// 13). It holds the schema only (no keys, no secret). remove deletes the
// file's directory. A failure is logged and costs only that time: the dry
// run then migrates its own database. PostgreSQL: none.
func copySchema(ctx context.Context, st storage.Storage, log *slog.Logger) (path string, remove func()) {
	c, ok := st.(interface {
		Dialect() string
		CopyInto(ctx context.Context, dest string) error
	})
	if !ok || c.Dialect() != sqlstorage.DialectSQLite {
		return "", func() {}
	}
	dir, err := os.MkdirTemp("", "latchkey-kickstart-")
	if err != nil {
		log.Warn("kickstart: no copy of the schema for the dry run", "error", err.Error())
		return "", func() {}
	}
	path = filepath.Join(dir, "dry-run.db")
	if err := c.CopyInto(ctx, path); err != nil {
		log.Warn("kickstart: no copy of the schema for the dry run", "error", err.Error())
		os.RemoveAll(dir)
		return "", func() {}
	}
	return path, func() { os.RemoveAll(dir) }
}

// localClock is this process's clock, shifted by the test-only
// config.ClockOffset. Adding to time.Now keeps its monotonic reading.
func localClock(cfg config.Config) func() time.Time {
	if off := cfg.ClockOffset; off != 0 {
		return func() time.Time { return time.Now().Add(off) }
	}
	return time.Now
}

// Handler is the complete HTTP handler (for in-process use).
func (a *App) Handler() http.Handler { return a.handler }

// Store is the storage the App uses.
func (a *App) Store() storage.Storage { return a.store }

// Addr is the address the App listens on (the real port when cfg.Addr
// asked for port 0).
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the base URL to reach the listener.
func (a *App) URL() string { return "http://" + a.Addr() }

// Run serves until ctx is done, then drains in-flight requests for at most
// the configured shutdown timeout: /api/status turns 503 at once, then
// http.Server.Shutdown closes the listener (new connections are refused)
// and waits for in-flight requests to finish (security-bar.md §5.8, D8).
// It returns nil after a complete drain; past the timeout it closes the
// remaining connections and returns an error.
func (a *App) Run(ctx context.Context) error {
	l := a.limits
	srv := &http.Server{
		Handler: a.handler,
		// Slowloris and slow-body bounds (security-bar.md §4.4).
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    serverHeaderBytes(l.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// The outbox workers (mail, account jobs) run for as long as the server
	// and stop after it has drained, so mail queued by the last requests
	// is still sent.
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	waitWorkers := a.workers.start(wctx)
	// The janitor purges what would grow forever (internal/janitor); a
	// pass in progress ends at its next statement once stopped.
	janitorDone := make(chan struct{})
	go func() { _ = a.janitor.Run(wctx); close(janitorDone) }()
	// The dashboard's event counts are flushed every few seconds and once
	// more after the drain (internal/tally), so the last requests count.
	tallyDone := make(chan struct{})
	go func() { a.Server.Tally.Run(wctx, 0); close(tallyDone) }()
	lambdaFailuresDone := make(chan struct{})
	go func() { a.lambdaFailures.run(wctx); close(lambdaFailuresDone) }()
	defer func() {
		stopWorkers()
		<-janitorDone
		<-tallyDone
		<-lambdaFailuresDone
		waitWorkers(a.cfg.ShutdownTimeout)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(a.ln) }()
	a.log.Info("latchkey listening", "url", a.URL(), "issuer", a.cfg.Issuer)
	stopMetrics := a.serveMetrics(ctx)
	defer stopMetrics()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.gate.Drain()
	a.log.Info("latchkey stopping", "drain_timeout", a.cfg.ShutdownTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain did not finish within %s: %w", a.cfg.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// netHTTPHeaderSlack is what net/http reads beyond http.Server.
// MaxHeaderBytes before it answers 431 (its "bufio slop",
// Server.initialReadLimitSize): set as is, 32 KiB would accept 36 KiB.
const netHTTPHeaderSlack = 4096

// serverHeaderBytes is the http.Server.MaxHeaderBytes that makes limit the
// bytes of request line and headers really accepted; at least 1, since 0
// means net/http's default of 1 MiB.
func serverHeaderBytes(limit int) int {
	return max(limit-netHTTPHeaderSlack, 1)
}

// Close releases the listener (if Run never took it) and the storage the App
// opened itself. It is safe to call more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		if a.unfollow != nil {
			a.unfollow()
		}
		if a.Server != nil && a.Server.Keys != nil {
			// A start's RS256 key still being stored (keys.Manager.Start)
			// is stopped before the storage closes.
			a.Server.Keys.Close()
		}
		if a.clock != nil {
			a.clock.Stop()
		}
		var errs []error
		if a.ln != nil {
			if err := a.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		if a.metricsLn != nil {
			if err := a.metricsLn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		if a.ownsStore && a.store != nil {
			errs = append(errs, a.store.Close())
		}
		if a.tracing != nil {
			// Flush buffered spans, bounded: a dead collector must not
			// hold up a stop.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := a.tracing.Shutdown(ctx); err != nil {
				a.log.Warn("flushing traces failed", "error", err.Error())
			}
			cancel()
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// startPasswordlessJobs adds the worker of keyless passwordless starts
// (mfa.PasswordlessQueue: the lookup, the code and its mail, off the
// request path) to the outbox workers, woken by a start on this node.
func (a *App) startPasswordlessJobs(opts Options) error {
	svc, mailer := a.Server.MFA, a.Server.Mailer
	w, err := outbox.New(outbox.Config{Store: a.store, Queue: mfa.PasswordlessQueue,
		Deliver: func(ctx context.Context, m storage.OutboxMessage) error {
			return svc.RunPasswordlessJob(ctx, mailer, m)
		},
		Now: opts.Now, Logger: a.log.With("queue", mfa.PasswordlessQueue), Observe: counted(a.metrics, nil),
		Failed: failedToEventLog(a.Server.Manage.EventLogs, jobFailureMessage, a.log)})
	if err != nil {
		return err
	}
	a.workers.extra = append(a.workers.extra, w)
	svc.Notify = w.Notify
	return nil
}

// NewLogger builds the operator's logger: text or JSON at the configured
// level.
func NewLogger(cfg config.Config, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	o := &slog.HandlerOptions{Level: cfg.Level()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// startBackchannel adds the back-channel logout queue's worker
// (internal/backchannel) to the outbox workers, woken by the server right
// after a logout queued a notice.
func (a *App) startBackchannel(opts Options) error {
	sender := &backchannel.Sender{Keys: a.Server.Keys, Now: opts.Now}
	w, err := outbox.New(outbox.Config{Store: a.store, Queue: auth.BackchannelQueue, Deliver: sender.Deliver,
		Now: opts.Now, Logger: a.log.With("queue", auth.BackchannelQueue), AttemptTimeout: 30 * time.Second,
		Observe: counted(a.metrics, nil), Failed: failedToEventLog(a.Server.Manage.EventLogs, backchannel.FailureMessage, a.log)})
	if err != nil {
		return err
	}
	a.workers.extra = append(a.workers.extra, w)
	a.Server.NotifyOutbox = func(queue string) {
		if queue == auth.BackchannelQueue {
			w.Notify()
		}
	}
	return nil
}

// configRates adds the operator's rate-limit overrides (LATCHKEY_RATE_LIMITS)
// to l; overrides already in l (a test's) win.
func configRates(l server.Limits, cfg config.Config) server.Limits {
	rates := map[string]server.Rate{}
	for name, r := range cfg.Rates() {
		rates[name] = server.Rate{Limit: r.Limit, Window: r.Window}
	}
	for name, r := range l.Rates {
		rates[name] = r
	}
	l.Rates = rates
	return l
}

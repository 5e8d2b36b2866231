package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// openObservability makes the process's metrics registry and its tracing
// (off unless cfg or opts ask; docs/deploy.md "Watching it").
func (a *App) openObservability(ctx context.Context, opts Options) error {
	a.metrics = observe.NewMetrics()
	a.tracing = opts.Tracing
	if a.tracing == nil {
		t, err := observe.NewTracing(ctx, observe.TracingConfig{
			Exporter: a.cfg.TracesExporter, Endpoint: a.cfg.OTLPEndpoint, Version: Version()})
		if err != nil {
			return err
		}
		a.tracing = t
		if t.Enabled {
			// The exporter reports failures (a collector that is down)
			// through OpenTelemetry's global handler, which would print to
			// stderr with the log package: send them to the operator's log,
			// once a minute per distinct failure.
			failures := observe.NewThrottle(time.Minute, nil)
			otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
				if ok, n := failures.Allow(err.Error()); ok {
					a.log.Warn("opentelemetry", "error", err.Error(), "repeated", n)
				}
			}))
		}
	}
	return nil
}

// openStore opens cfg's database with its pools instrumented: query latency
// into the registry, and a span per statement when tracing is on.
func (a *App) openStore(ctx context.Context) (storage.Storage, error) {
	o := sqlstorage.Options{Logger: a.log, MaxOpenConns: a.cfg.DatabaseMaxConns, Prewarm: a.cfg.SQLitePrewarm != "off"}
	qm, err := sqlstorage.NewQueryMetrics(a.metrics.Registry())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	o.QueryMetrics = qm
	if a.tracing.Enabled {
		o.Tracer = a.tracing.Provider
	}
	return sqlstorage.Open(ctx, a.cfg.DatabaseURL, o)
}

// watch registers the collectors read at scrape time: the hashing gate, the
// database pools (when the store exposes them), the outbox queues and the
// SQLite user cache (when the store has one).
func (a *App) watch(opts Options) {
	a.metrics.WatchGate(a.gate)
	if p, ok := a.store.(interface{ Pools() map[string]*sql.DB }); ok {
		a.metrics.WatchPools(p.Pools())
	}
	a.metrics.WatchOutbox(a.store, opts.Now, "mail", events.Queue)
	if c, ok := a.store.(interface {
		UserCacheStats() (sqlstorage.UserCacheStats, bool)
	}); ok {
		if _, has := c.UserCacheStats(); has {
			a.metrics.WatchUserCache(func() observe.UserCacheStats {
				st, _ := c.UserCacheStats()
				return observe.UserCacheStats{Hits: st.Hits, Misses: st.Misses, Resets: st.Resets, Users: st.Users, Bytes: st.Bytes, Off: st.Off, ReadAhead: st.ReadAhead}
			})
		}
	}
}

// Metrics is the App's registry (tests scrape it in process).
func (a *App) Metrics() *observe.Metrics { return a.metrics }

// MetricsURL is the base URL of the metrics listener, or "" when off.
func (a *App) MetricsURL() string {
	if a.metricsLn == nil {
		return ""
	}
	return "http://" + a.metricsLn.Addr().String()
}

// serveMetrics serves GET /metrics on the metrics listener, if any, until
// the returned stop is called.
func (a *App) serveMetrics(ctx context.Context) (stop func()) {
	if a.metricsLn == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	// The public listener's header bound and idle timeout hold here too: a
	// scrape needs a few hundred bytes of headers, and Go's default (1 MiB)
	// would let any client that reaches this port hold that much per
	// connection.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: serverHeaderBytes(a.limits.MaxHeaderBytes), IdleTimeout: a.limits.IdleTimeout,
		ErrorLog:    slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	go func() {
		if err := srv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			a.log.Warn("metrics listener stopped", "error", err.Error())
		}
	}()
	a.log.Info("metrics listening", "url", a.MetricsURL()+"/metrics")
	return func() { _ = srv.Close() }
}

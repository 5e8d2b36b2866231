package sqlstorage

import (
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"modernc.org/sqlite"
)

// Instrumentation of the pools. Query latency (Options.QueryMetrics) is
// timed by the thin driver wrapper of querytime.go. Spans (Options.Tracer,
// only when tracing is on) come from otelsql (github.com/XSAM/otelsql), the
// OpenTelemetry database/sql wrapper, layered above it: a span per
// statement and transaction step under the request's span. With tracing
// off otelsql is not in the path at all: even with a noop tracer it built
// an attribute set and recorded into the metric SDK on every driver call
// (issue 13; docs/decisions.md). With neither set the pools use the
// drivers directly.

func (o Options) otelOptions(system string) []otelsql.Option {
	return []otelsql.Option{
		otelsql.WithTracerProvider(o.Tracer),
		// Latency is the wrapper's (querytime.go), not otelsql's.
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", system)),
		// Statement text has only placeholders, never a value; rows and
		// session resets would double the span count for no insight.
		otelsql.WithSpanOptions(otelsql.SpanOptions{OmitRows: true, OmitConnResetSession: true, DisableErrSkip: true}),
	}
}

// openSQLiteDB opens the modernc driver, instrumented as o asks.
func openSQLiteDB(dsn string, o Options) (*sql.DB, error) {
	if o.Tracer == nil && o.QueryMetrics == nil {
		return sql.Open("sqlite", dsn)
	}
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return openInstrumented(c, "sqlite", o), nil
}

// openConnector opens a pool on c (pgx's connector), instrumented as o asks.
func openConnector(c driver.Connector, o Options) *sql.DB {
	if o.Tracer == nil && o.QueryMetrics == nil {
		return sql.OpenDB(c)
	}
	return openInstrumented(c, "postgresql", o)
}

func openInstrumented(c driver.Connector, system string, o Options) *sql.DB {
	if o.QueryMetrics != nil {
		c = timedConnector{c: c, t: o.QueryMetrics.timer(system)}
	}
	if o.Tracer == nil {
		return sql.OpenDB(c)
	}
	return otelsql.OpenDB(c, o.otelOptions(system)...)
}

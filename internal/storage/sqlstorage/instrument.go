package sqlstorage

import (
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
)

// Instrumentation of the pools with otelsql (github.com/XSAM/otelsql), the
// OpenTelemetry database/sql wrapper: a span per statement and transaction
// step under the request's span, and the db.client.operation.duration
// histogram (query latency) recorded into Meter. With neither set the pools
// use the drivers directly.

// instrumented reports whether o asks for spans or query metrics.
func (o Options) instrumented() bool { return o.Tracer != nil || o.Meter != nil }

func (o Options) otelOptions(system string) []otelsql.Option {
	var opts []otelsql.Option
	if o.Tracer != nil {
		opts = append(opts, otelsql.WithTracerProvider(o.Tracer))
	}
	if o.Meter != nil {
		opts = append(opts, otelsql.WithMeterProvider(o.Meter))
	}
	return append(opts,
		otelsql.WithAttributes(attribute.String("db.system.name", system)),
		// Statement text has only placeholders, never a value; rows and
		// session resets would double the span count for no insight.
		otelsql.WithSpanOptions(otelsql.SpanOptions{OmitRows: true, OmitConnResetSession: true, DisableErrSkip: true}))
}

// openSQLiteDB opens the modernc driver, instrumented when o asks.
func openSQLiteDB(dsn string, o Options) (*sql.DB, error) {
	if !o.instrumented() {
		return sql.Open("sqlite", dsn)
	}
	return otelsql.Open("sqlite", dsn, o.otelOptions("sqlite")...)
}

// openConnector opens a pool on c (pgx's connector), instrumented when o asks.
func openConnector(c driver.Connector, o Options) *sql.DB {
	if !o.instrumented() {
		return sql.OpenDB(c)
	}
	return otelsql.OpenDB(c, o.otelOptions("postgresql")...)
}

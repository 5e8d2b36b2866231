package observe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracingConfig says whether and where spans go. Tracing is off unless
// Exporter is "otlp"; the OTLP/HTTP exporter then reads the standard
// OTEL_EXPORTER_OTLP_* variables (endpoint, headers, timeout, TLS,
// compression) itself, and the SDK reads OTEL_TRACES_SAMPLER(_ARG),
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
type TracingConfig struct {
	// Exporter is "none" (or empty) or "otlp".
	Exporter string
	// Endpoint, when set, is the OTLP/HTTP base URL (e.g.
	// http://127.0.0.1:4318); traces go to its /v1/traces. Empty: the
	// exporter's environment variables or its default
	// (https://localhost:4318).
	Endpoint string
	// Version is reported as service.version.
	Version string
}

// Tracing is the process's tracer and how to stop it.
type Tracing struct {
	// Provider makes tracers; a no-op one when tracing is off, so callers
	// never check.
	Provider trace.TracerProvider
	// Propagator reads and writes W3C traceparent/tracestate.
	Propagator propagation.TextMapPropagator
	// Shutdown flushes buffered spans (bounded by ctx).
	Shutdown func(ctx context.Context) error
	// Enabled is false for the no-op provider.
	Enabled bool
}

// Disabled is the zero-cost tracing of the default configuration.
func Disabled() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider(), Propagator: propagation.TraceContext{},
		Shutdown: func(context.Context) error { return nil }}
}

// NewTracing builds the tracing that c asks for.
func NewTracing(ctx context.Context, c TracingConfig) (*Tracing, error) {
	switch strings.ToLower(c.Exporter) {
	case "", "none":
		return Disabled(), nil
	case "otlp":
	default:
		return nil, fmt.Errorf("traces exporter %q: use none or otlp", c.Exporter)
	}
	var opts []otlptracehttp.Option
	if c.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(c.Endpoint, "/")+"/v1/traces"))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	return NewTracingWith(sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBatchTimeout(2*time.Second)), c.Version)
}

// NewTracingWith traces into sp (tests pass a SimpleSpanProcessor around an
// in-memory exporter).
func NewTracingWith(sp sdktrace.SpanProcessor, version string) (*Tracing, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName("latchkey"), semconv.ServiceVersion(version)))
	if err != nil {
		return nil, err
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults.
	if env, err := resource.New(context.Background(), resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp), sdktrace.WithResource(res))
	return &Tracing{Provider: tp, Propagator: propagation.TraceContext{}, Shutdown: tp.Shutdown, Enabled: true}, nil
}

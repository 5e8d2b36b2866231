package server

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/latchkeyhq/latchkey/internal/server"

// startSpan starts the request's server span, continuing a W3C traceparent
// the client sent (https://www.w3.org/TR/trace-context/). The span is named
// once the route is known (endSpan). With tracing off it returns ctx and a
// no-op end.
func (s *Server) startSpan(ctx context.Context, r *http.Request, id string) (context.Context, func(rec *statusRecorder)) {
	if s.Tracing == nil || !s.Tracing.Enabled {
		return ctx, func(*statusRecorder) {}
	}
	ctx = s.Tracing.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	ctx, span := s.Tracing.Provider.Tracer(tracerName).Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("latchkey.request_id", id)))
	return ctx, func(rec *statusRecorder) {
		route := routeLabel(rec.route)
		span.SetName(route)
		span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
		span.End()
	}
}

// childSpan starts a span under the request's for one step of guard (the
// hashing gate's wait, authentication). No-op when tracing is off.
func (s *Server) childSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	if s.Tracing == nil || !s.Tracing.Enabled {
		return ctx, trace.SpanFromContext(context.Background()) // a no-op span
	}
	return s.Tracing.Provider.Tracer(tracerName).Start(ctx, name)
}

// routeLabel is the route-table pattern that served a request, the one name
// metrics, traces and logs use for it: a bounded set, never the raw path
// (which an attacker chooses, and whose segments can be secrets: a
// changePasswordId, a twoFactorTrustId).
func routeLabel(rt *route) string {
	if rt == nil {
		return "unmatched"
	}
	return rt.pattern
}

// requestRoute is routeLabel for a log line written under guard, from the
// request the route table's mux matched (its Pattern is the row's).
func requestRoute(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}

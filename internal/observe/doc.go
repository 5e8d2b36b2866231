// Package observe owns what an operator watches: the Prometheus registry and
// latchkey's metrics (requests by route, security events, the hashing gate,
// database pools and query latency, outbox depth), OpenTelemetry tracing
// with the OTLP exporter, the request id carried through a context, and the
// log handler that puts that id and the trace id on every log line.
//
// The use cases never import it: internal/auth reports its events through
// a plain function (auth.Config.Count) that app connects to Metrics, so auth
// stays free of net/http. Only app wires it; server reads it per request.
package observe

package observe

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Metrics is one process's Prometheus registry and the instruments latchkey
// records into it. Each App has its own (tests start several in one
// process); nothing registers in the client library's global registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	inFlight prometheus.Gauge
	events   *prometheus.CounterVec
	outbox   *prometheus.CounterVec

	// eventCounters caches the counter of each (event, outcome) pair so the
	// auth hot path pays one sync.Map load and an atomic add.
	eventCounters sync.Map // [2]string -> prometheus.Counter
}

// requestBuckets span a cached JWKS read (well under a millisecond) to a
// login under a loaded hashing gate (seconds); Prometheus' defaults stop at
// 10 s and lack the sub-millisecond range.
var requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns a registry with the Go runtime and process collectors
// and latchkey's request and security-event instruments.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "latchkey_http_request_duration_seconds",
		Help:    "HTTP requests by route-table pattern (\"unmatched\" for unknown paths) and status code; _count is the number of requests.",
		Buckets: requestBuckets,
	}, []string{"route", "code"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "latchkey_http_requests_in_flight", Help: "HTTP requests being served now.",
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latchkey_auth_events_total",
		Help: "Security events of internal/auth by event (login_success, login_failure, account_locked, refresh, refresh_failure, refresh_token_reuse, logout) and outcome.",
	}, []string{"event", "outcome"})
	m.outbox = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "latchkey_outbox_deliveries_total",
		Help: "Outbox delivery attempts by queue (mail, account, webhook) and result: sent, retry (failed, retried after a backoff), dead (failed its last attempt or refused for good), lost (its lease was taken over).",
	}, []string{"queue", "result"})
	m.reg.MustRegister(m.requests, m.inFlight, m.events, m.outbox,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where other collectors (pools, gate, outbox, the storage's
// query latency) register.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus' text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RequestStarted counts a request in flight; the returned function records
// its route, status and duration when it ends. route is a route-table
// pattern (a bounded set), never the raw path.
func (m *Metrics) RequestStarted() func(route string, status int, d time.Duration) {
	if m == nil {
		return func(string, int, time.Duration) {}
	}
	m.inFlight.Inc()
	return func(route string, status int, d time.Duration) {
		m.inFlight.Dec()
		m.requests.WithLabelValues(route, statusLabel(status)).Observe(d.Seconds())
	}
}

// statusLabel avoids strconv's allocation for the codes latchkey answers.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 400:
		return "400"
	case 401:
		return "401"
	case 404:
		return "404"
	}
	return strconv.Itoa(code)
}

// Count is auth.Config.Count: one security event. It adds to the event's
// counter and, when the request is traced, puts the event on its span. Both
// are cheap enough for the login and refresh paths (no allocation once the
// pair has been seen; a span event only on a sampled trace).
func (m *Metrics) Count(ctx context.Context, event, outcome string) {
	if m == nil {
		return
	}
	key := [2]string{event, outcome}
	c, ok := m.eventCounters.Load(key)
	if !ok {
		c, _ = m.eventCounters.LoadOrStore(key, m.events.WithLabelValues(event, outcome))
	}
	c.(prometheus.Counter).Inc()
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(event, trace.WithAttributes(attribute.String("outcome", outcome)))
	}
}

// OutboxAttempt counts one outbox delivery attempt of queue by its result
// (outbox.Outcome.Result); it is an outbox.Config.Observe. The pending and
// dead gauges say how much is waiting, this says how often receivers fail.
func (m *Metrics) OutboxAttempt(queue, result string) {
	if m == nil {
		return
	}
	m.outbox.WithLabelValues(queue, result).Inc()
}

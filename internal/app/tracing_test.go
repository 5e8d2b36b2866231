package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/observe"
)

const (
	traceKey   = "trace-test-key-0123456789abcdef0123456789ab"
	traceEmail = "traced@example.com"
	tracePass  = "traced-user-password"
	// A W3C traceparent (https://www.w3.org/TR/trace-context/#traceparent-header).
	parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent = "00-" + parentTrace + "-00f067aa0ba902b7-01"
)

// openTraced opens an App on its own SQLite file with a Kickstart that
// creates traceEmail, configured by edit and opts.
func openTraced(t *testing.T, edit func(*config.Config), opts app.Options) *app.App {
	t.Helper()
	dir := t.TempDir()
	ks := filepath.Join(dir, "kickstart.json")
	if err := os.WriteFile(ks, []byte(`{"apiKeys":[{"key":"`+traceKey+`"}],"requests":[
	  {"method":"POST","url":"/api/user","body":{"user":{"email":"`+traceEmail+`","password":"`+tracePass+`"}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL, cfg.Kickstart = "127.0.0.1:0", filepath.Join(dir, "latchkey.db"), ks
	if edit != nil {
		edit(&cfg)
	}
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	a, err := app.Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func runApp(t *testing.T, a *app.App) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done; a.Close() }) }
	t.Cleanup(stop)
	return stop
}

func tracedLogin(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/login", strings.NewReader(`{"loginId":"`+traceEmail+`","password":"`+tracePass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", traceparent)
	req.Header.Set("Authorization", traceKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	return res
}

// TestTracingFollowsARequestThroughAuthAndStorage: with tracing on, a login
// that carries a traceparent is one trace: the server span named by its
// route, continuing the caller's trace and carrying the request id of
// X-Request-Id; under it the hashing gate's wait, and a span per SQL
// statement; the login_success event on the server span. The security log
// line of that login names the same request id and trace id, and query
// latency is still recorded.
func TestTracingFollowsARequestThroughAuthAndStorage(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := observe.NewTracingWith(sdktrace.NewSimpleSpanProcessor(exp), "test")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	a := openTraced(t, nil, app.Options{Tracing: tr, Logger: logger})
	runApp(t, a)
	exp.Reset() // the Kickstart's own requests
	res := tracedLogin(t, a.URL())
	reqID := res.Header.Get("X-Request-Id")

	var server sdktrace.ReadOnlySpan
	spans := exp.GetSpans().Snapshots()
	for _, s := range spans {
		if s.Name() == "POST /api/login" {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no span named by the route among %d spans", len(spans))
	}
	if got := server.SpanContext().TraceID().String(); got != parentTrace {
		t.Errorf("server span trace %s, want the caller's %s", got, parentTrace)
	}
	attrs := map[string]string{}
	for _, kv := range server.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["latchkey.request_id"] != reqID || attrs["http.response.status_code"] != "200" || attrs["http.route"] != "POST /api/login" {
		t.Errorf("server span attributes %v, want request id %s, status 200, route", attrs, reqID)
	}
	events := map[string]bool{}
	for _, e := range server.Events() {
		events[e.Name] = true
	}
	if !events["login_success"] {
		t.Errorf("no login_success event on the server span: %v", server.Events())
	}
	children := map[string]int{}
	for _, s := range spans {
		if s.Parent().SpanID() == server.SpanContext().SpanID() {
			children[s.Name()]++
		}
	}
	if children["hash gate"] != 1 || children["sql.conn.query"]+children["sql.conn.exec"]+children["sql.conn.begin_tx"] == 0 {
		t.Errorf("children of the server span: %v; want the hash gate and SQL statements", children)
	}

	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"event":"login_success"`) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line == nil || line["request_id"] != reqID || line["trace_id"] != parentTrace {
		t.Errorf("login_success log line %v, want request_id %s and trace_id %s", line, reqID, parentTrace)
	}

	// With tracing on, query latency still reaches the metrics (the spans'
	// wrapper sits above the timing one).
	fams, err := a.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var timed uint64
	for _, f := range fams {
		if f.GetName() == "db_client_operation_duration_seconds" {
			for _, m := range f.Metric {
				timed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if timed == 0 {
		t.Error("tracing on: no query latency recorded")
	}
}

// TestTracingExportsOverOTLPHTTP: LATCHKEY_TRACES_EXPORTER=otlp and
// LATCHKEY_OTLP_ENDPOINT send the spans to a real OTLP/HTTP receiver
// (protobuf on /v1/traces), flushed when latchkey stops, with the service
// name latchkey.
func TestTracingExportsOverOTLPHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req collectortrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "not an OTLP trace export", 400)
			return
		}
		mu.Lock()
		got = append(got, &req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	defer recv.Close()

	a := openTraced(t, func(c *config.Config) { c.TracesExporter, c.OTLPEndpoint = "otlp", recv.URL }, app.Options{})
	stop := runApp(t, a)
	tracedLogin(t, a.URL())
	stop() // flushes the batch

	mu.Lock()
	defer mu.Unlock()
	found, service := false, ""
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					if s.Name == "POST /api/login" && bytes.Equal(s.TraceId, mustHex(t, parentTrace)) {
						found = true
					}
				}
			}
		}
	}
	if !found || service != "latchkey" {
		t.Fatalf("receiver got %d exports; login span in the caller's trace: %v; service.name %q", len(got), found, service)
	}
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

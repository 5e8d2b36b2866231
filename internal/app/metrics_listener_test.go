package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestMetricsListener: LATCHKEY_METRICS_ADDR serves /metrics on its own
// listener without a key; the scrape parses and holds the query-latency
// histogram of the SQL layer and the pool statistics of both SQLite pools.
// The public listener has no /metrics.
func TestMetricsListener(t *testing.T) {
	a := openTraced(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }, app.Options{})
	runApp(t, a)
	tracedLogin(t, a.URL())
	if a.MetricsURL() == "" {
		t.Fatal("no metrics listener")
	}
	res, err := http.Get(a.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	var queries uint64
	for _, m := range fams["db_client_operation_duration_seconds"].GetMetric() {
		system, op := "", ""
		for _, l := range m.Label {
			switch l.GetName() {
			case "db_system_name":
				system = l.GetValue()
			case "db_operation_name":
				op = l.GetValue()
			}
		}
		if system == "sqlite" && (op == "sql.stmt.query" || op == "sql.conn.query") {
			queries += m.GetHistogram().GetSampleCount()
		}
	}
	if queries == 0 {
		t.Errorf("no query latency recorded: %v", fams["db_client_operation_duration_seconds"])
	}
	pools := map[string]bool{}
	for _, m := range fams["go_sql_open_connections"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "db_name" {
				pools[l.GetValue()] = true
			}
		}
	}
	if !pools["writer"] || !pools["reader"] {
		t.Errorf("pool statistics for %v, want writer and reader", pools)
	}
	r2, err := http.Get(a.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 404 {
		t.Errorf("/metrics on the public listener: %d, want 404", r2.StatusCode)
	}
}

// TestMetricsListenerHeaderBound: the metrics listener holds the public
// listener's header bound (32 KiB), not Go's default of 1 MiB: a scrape
// at the bound is served, one byte more and 64 KiB are answered 431.
func TestMetricsListenerHeaderBound(t *testing.T) {
	a := openTraced(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }, app.Options{})
	runApp(t, a)
	addr := strings.TrimPrefix(a.MetricsURL(), "http://")
	limit := app.DefaultHTTPLimits.MaxHeaderBytes
	for _, tc := range []struct {
		size int
		want int
	}{{limit, http.StatusOK}, {limit + 1, http.StatusRequestHeaderFieldsTooLarge}, {64 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		if got := statusOfHead(t, addr, headOfSizeFor(t, "/metrics", tc.size)); got != tc.want {
			t.Errorf("%d bytes of headers: %d, want %d", tc.size, got, tc.want)
		}
	}
}

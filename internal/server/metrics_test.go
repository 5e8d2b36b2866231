package server_test

import (
	"bytes"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /api/prometheus/metrics with the API key and parses it with
// Prometheus' own text parser.
func (s *stack) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	res := s.do(call{method: "GET", path: "/api/prometheus/metrics", hdr: map[string]string{"Authorization": apiKey, "Accept": "text/plain"}})
	if res.status != 200 {
		t.Fatalf("scrape: %d %s", res.status, res.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(res.body))
	if err != nil {
		t.Fatalf("the scrape does not parse as Prometheus text: %v", err)
	}
	return fams
}

// value is the counter, gauge or histogram count of the series of family
// name whose labels include want; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetricsCountLoginsAndRefreshes: a scrape parses, and after a login, a
// wrong password, a refresh and a reuse the counters of each moved by one,
// as did the request histogram of each route, labelled by its route-table
// pattern and status.
func TestMetricsCountLoginsAndRefreshes(t *testing.T) {
	s := newStack(t)
	before := s.scrape(t)
	first := s.login(storeApp, nil).json(t)["refreshToken"].(string)
	if res := s.do(call{method: "POST", path: "/api/login",
		body: `{"loginId":"` + aliceEmail + `","password":"wrong","applicationId":"` + storeApp + `"}`}); res.status != 404 {
		t.Fatalf("wrong password: %d", res.status)
	}
	if res := s.do(refreshCall("refresh_token="+first, "", storeSite)); res.status != 200 {
		t.Fatalf("refresh: %d %s", res.status, res.body)
	}
	after := s.scrape(t)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"latchkey_auth_events_total", map[string]string{"event": "login_success", "outcome": "success"}},
		{"latchkey_auth_events_total", map[string]string{"event": "login_failure", "outcome": "wrong_password"}},
		{"latchkey_auth_events_total", map[string]string{"event": "refresh", "outcome": "success"}},
		{"latchkey_http_request_duration_seconds", map[string]string{"route": "POST /api/login", "code": "200"}},
		{"latchkey_http_request_duration_seconds", map[string]string{"route": "POST /api/login", "code": "404"}},
		{"latchkey_http_request_duration_seconds", map[string]string{"route": "POST /api/jwt/refresh", "code": "200"}},
	} {
		b, a := max(0, value(before, c.name, c.labels)), value(after, c.name, c.labels)
		if a-b != 1 {
			t.Errorf("%s%v went from %v to %v, want +1", c.name, c.labels, b, a)
		}
	}
	for _, name := range []string{"latchkey_hash_gate_capacity", "latchkey_outbox_pending", "go_sql_open_connections", "latchkey_http_requests_in_flight"} {
		if _, ok := after[name]; !ok {
			t.Errorf("the scrape has no %s", name)
		}
	}
	if v := value(after, "latchkey_outbox_scrape_ok", map[string]string{"queue": "mail"}); v != 1 {
		t.Errorf("outbox depth not read: latchkey_outbox_scrape_ok = %v", v)
	}
}

// TestMetricsRouteLabelsAreBounded: a scan of made-up paths adds one
// "unmatched" series, not one per path, and no path appears in any label.
func TestMetricsRouteLabelsAreBounded(t *testing.T) {
	s := newStack(t)
	for i := range 30 {
		s.do(call{method: "GET", path: "/scan/" + strings.Repeat("x", i+1)})
		s.do(call{method: "BREW", path: "/api/user/" + strings.Repeat("y", i+1)})
	}
	fams := s.scrape(t)
	f := fams["latchkey_http_request_duration_seconds"]
	if f == nil {
		t.Fatal("no request histogram")
	}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if strings.Contains(l.GetValue(), "xx") || strings.Contains(l.GetValue(), "yy") {
				t.Fatalf("a raw path reached a label: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
	if v := value(fams, "latchkey_http_request_duration_seconds", map[string]string{"route": "unmatched", "code": "404"}); v < 30 {
		t.Errorf("unknown paths counted %v times under route=unmatched, want >= 30", v)
	}
}

// TestMetricsNeedAnAPIKey: the FusionAuth path of the metrics is not public.
func TestMetricsNeedAnAPIKey(t *testing.T) {
	s := newStack(t)
	for _, key := range []string{"", "not-a-key"} {
		res := s.do(call{method: "GET", path: "/api/prometheus/metrics", hdr: map[string]string{"Authorization": key}})
		if res.status != 401 || bytes.Contains(res.body, []byte("latchkey_")) {
			t.Errorf("key %q: %d %.80s, want an empty 401", key, res.status, res.body)
		}
	}
	if res := s.do(call{method: "GET", path: "/metrics"}); res.status != 404 {
		t.Errorf("/metrics on the public listener: %d, want 404", res.status)
	}
}

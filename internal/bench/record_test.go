package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	d := make([]time.Duration, 1000)
	for i := range d {
		d[len(d)-1-i] = time.Duration(i+1) * time.Millisecond // 1..1000 ms, reversed
	}
	got := percentiles(d)
	want := Latency{P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000, Mean: 500.5}
	if got != want {
		t.Fatalf("percentiles = %+v, want %+v", got, want)
	}
	if one := percentiles([]time.Duration{3 * time.Millisecond}); one.P50 != 3 || one.P999 != 3 {
		t.Fatalf("one sample: %+v", one)
	}
	if (percentiles(nil) != Latency{}) {
		t.Fatal("no samples: want zeros")
	}
}

func TestRecorderCountsByStatus(t *testing.T) {
	r := newRecorder()
	r.add(OpRefreshCookie, outcome{status: 200}, true, time.Millisecond)
	r.add(OpRefreshCookie, outcome{status: 200}, false, time.Millisecond)
	r.add(OpRefreshCookie, outcome{status: 404, err: errors.New("POST /api/jwt/refresh: 404")}, false, time.Millisecond)
	r.add(OpRefreshCookie, outcome{status: 202}, false, time.Millisecond) // 2xx but not 200: misconfigured
	r.add(OpValidate, outcome{err: context.DeadlineExceeded}, false, time.Millisecond)
	r.add(OpValidate, outcome{err: errors.New("connection refused")}, false, time.Millisecond)
	total, ops := summarize(r, time.Second)
	if total.Requests != 6 || total.OK != 2 || total.Rotations != 1 || total.Throughput != 2 {
		t.Fatalf("total = %+v", total)
	}
	want := map[string]int{"404": 1, "202": 1, "timeout": 1, "transport": 1}
	for k, v := range want {
		if total.Errors[k] != v {
			t.Errorf("errors[%s] = %d, want %d (all: %v)", k, total.Errors[k], v, total.Errors)
		}
	}
	if len(total.Errors) != len(want) || total.ErrorSamples["404"] == "" {
		t.Errorf("errors %v, samples %v", total.Errors, total.ErrorSamples)
	}
	if ops[OpValidate].Requests != 2 || ops[OpRefreshCookie].OK != 2 {
		t.Errorf("per operation: %+v", ops)
	}
	if n, failed := r.total(); n != 6 || failed != 4 {
		t.Errorf("total() = %d, %d", n, failed)
	}
}

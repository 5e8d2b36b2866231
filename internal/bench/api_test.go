package bench

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryAfter: only a busy answer (503, 429) with a Retry-After the
// bench can read is sent again, after the delay it names, in seconds or
// as a date.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		status int
		header string
		wait   time.Duration
		busy   bool
	}{
		{503, "1", time.Second, true},
		{429, "30", 30 * time.Second, true},
		{503, now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{503, now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{503, "", 0, false},
		{503, "soon", 0, false},
		{503, "-1", 0, false},
		{500, "1", 0, false},
		{200, "1", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		wait, busy := retryAfter(outcome{status: tt.status}, h, now)
		if wait != tt.wait || busy != tt.busy {
			t.Errorf("%d Retry-After %q: wait %s busy %v; want %s %v", tt.status, tt.header, wait, busy, tt.wait, tt.busy)
		}
	}
}

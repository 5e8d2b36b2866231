package storage

import (
	"math"
	"testing"
	"time"
)

// TestLifetimeSaturates: a configured count converts exactly while the
// Duration holds it and saturates beyond, either way, never wrapping.
func TestLifetimeSaturates(t *testing.T) {
	for _, tt := range []struct {
		n    int
		unit time.Duration
		want time.Duration
	}{
		{3600, time.Second, time.Hour},
		{0, time.Minute, 0},
		{-5, time.Second, -5 * time.Second},
		{153722867, time.Minute, 153722867 * time.Minute},
		{153722868, time.Minute, math.MaxInt64},
		{2147483647, time.Minute, math.MaxInt64},
		{20_000_000_000, time.Second, math.MaxInt64},
		{math.MaxInt64, time.Millisecond, math.MaxInt64},
		{math.MinInt64, time.Second, math.MinInt64},
		{2, 365 * 24 * time.Hour, 2 * 365 * 24 * time.Hour},
		{293, 365 * 24 * time.Hour, math.MaxInt64},
	} {
		if got := Lifetime(tt.n, tt.unit); got != tt.want {
			t.Errorf("Lifetime(%d, %v) = %v, want %v", tt.n, tt.unit, got, tt.want)
		}
	}
}

// TestSettingFits: FusionAuth's Integer bound, and a Duration's.
func TestSettingFits(t *testing.T) {
	for _, tt := range []struct {
		n    int
		unit time.Duration
		want bool
	}{
		{2147483647, time.Second, true},
		{2147483648, time.Second, false},
		{153722867, time.Minute, true},
		{153722868, time.Minute, false},
		{292, 365 * 24 * time.Hour, true},
		{293, 365 * 24 * time.Hour, false},
		{2147483647, 0, true},
		{2147483648, 0, false},
	} {
		if got := SettingFits(tt.n, tt.unit); got != tt.want {
			t.Errorf("SettingFits(%d, %v) = %v, want %v", tt.n, tt.unit, got, tt.want)
		}
	}
}

package lambda

import (
	"math"
	"testing"
)

// TestSameJSONNumbers: whether a reserved integer claim counts as changed
// (Result.Restored, and a logged warning) is decided as if both values were
// encoded to JSON, including where int64 and float64 part ways.
func TestSameJSONNumbers(t *testing.T) {
	for _, c := range []struct {
		a, b any
		want bool
	}{
		{int64(1900000000), int64(1900000000), true},
		{int64(1900000000), int64(1900000001), false},
		{int64(1900000000), float64(1900000000), true},
		{int64(1900000000), 1900000000.5, false},
		{int64(0), math.Copysign(0, -1), false}, // -0 is written "-0"
		{int64(0), float64(0), true},
		{int64(1<<53 + 1), float64(1 << 53), false},
		{int64(1 << 60), float64(1 << 60), false}, // written 1152921504606847000
		{int64(5), "5", false},
	} {
		if got := sameJSON(c.a, c.b); got != c.want {
			t.Errorf("sameJSON(%#v, %#v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

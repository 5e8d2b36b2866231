package bench

import "testing"

// TestCeilingRatios: logins/s over hashes/s, and a hash's CPU over the
// server's CPU per login; an unmeasured divisor gives 0, not Inf or NaN.
func TestCeilingRatios(t *testing.T) {
	tests := []struct {
		name                             string
		logins, serverMs, hashes, hashMs float64
		wantThroughput, wantCPU          float64
	}{
		{"at the ceiling", 200, 10, 200, 10, 1, 1},
		{"90 percent", 180, 12.5, 200, 10, 0.9, 0.8},
		{"server CPU not measured", 150, 0, 200, 10, 0.75, 0},
		{"no hashes", 150, 10, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		th, cpu := ceilingRatios(tt.logins, tt.serverMs, tt.hashes, tt.hashMs)
		if th != tt.wantThroughput || cpu != tt.wantCPU {
			t.Errorf("%s: ratios %v, %v; want %v, %v", tt.name, th, cpu, tt.wantThroughput, tt.wantCPU)
		}
	}
}

package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

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

// TestCeilingDividesByTheSuccessfulLogins: logins refused 503 by a busy
// hashing gate cost the server almost nothing; counted as logins they
// lowered the server's CPU per login and raised the CPU ratio (argon2id
// runs refused 4–12 of 150–228). The ratio divides by the successful ones.
func TestCeilingDividesByTheSuccessfulLogins(t *testing.T) {
	rep := Report{OpReport: OpReport{Requests: 150, OK: 120}, Server: &ServerReport{CPUSeconds: 6}}
	if got := serverCPUMsPerLogin(rep); got != 50 {
		t.Errorf("server CPU per login %v ms, want 6 s / 120 successful logins = 50", got)
	}
	rep.Server.SameProcess = true
	if got := serverCPUMsPerLogin(rep); got != 0 {
		t.Errorf("server in the bench's process: %v, want 0 (not measured apart)", got)
	}
	rep = Report{OpReport: OpReport{Requests: 10}, Server: &ServerReport{CPUSeconds: 1}}
	if got := serverCPUMsPerLogin(rep); got != 0 {
		t.Errorf("no successful login: %v, want 0", got)
	}
}

// TestRunCeilingCallsEachGoroutineItsMinimum: the warm-up's bound is a
// number of hashes per goroutine as well as a time (a fresh process's first
// argon2id hashes are slow, so a time alone could end before any page is
// reused); the measured run needs one each; a cancelled run stops at once.
func TestRunCeilingCallsEachGoroutineItsMinimum(t *testing.T) {
	var calls atomic.Int64
	verify := func() { calls.Add(1) }
	_, n := runCeiling(context.Background(), 3, 0, ceilingWarmupEach, verify)
	if n < 3*ceilingWarmupEach || int64(n) != calls.Load() {
		t.Errorf("warm-up with no time left: %d hashes counted, %d made; want at least %d, all counted", n, calls.Load(), 3*ceilingWarmupEach)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls.Store(0)
	if _, n := runCeiling(ctx, 3, time.Hour, ceilingWarmupEach, verify); n != 3 {
		t.Errorf("cancelled: %d hashes; want 3 (each goroutine's first, then it stops)", n)
	}
}

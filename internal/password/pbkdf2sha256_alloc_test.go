//go:build !race

package password

import "testing"

// The race detector's instrumentation allocates inside crypto/sha256
// (AppendBinary's zero padding), so allocation counts mean something only
// without -race: this file is not built with it, and scripts/test runs the
// test without -race in the benchmark smoke step.

// TestPBKDF2SHA256IterationsDoNotAllocate: the allocations of one
// derivation do not grow with the iteration count.
func TestPBKDF2SHA256IterationsDoNotAllocate(t *testing.T) {
	allocs := func(iter int) float64 {
		return testing.AllocsPerRun(5, func() { _, _ = pbkdf2SHA256("pw", []byte("salt"), iter, 64) })
	}
	if one, many := allocs(1), allocs(2000); many != one {
		t.Fatalf("1 iteration: %v allocations; 2000 iterations: %v", one, many)
	}
}

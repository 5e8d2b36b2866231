//go:build unix

package auth

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the whole process has used (user and system,
// every thread: the lambda's goroutine, the garbage collector, the store's
// committer), for benchmarks that report CPU beside wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target for `latchkey serve`
// when the operator has not set GOGC. A refresh allocates about 20 KB that
// is garbage as soon as the answer is written, while the live heap stays
// small (tens of MiB), so Go's default of 100 collects very often: at 400 an
// OAuth refresh cost about 15 % less CPU (the cookie refresh a few per
// cent) for about 12 MiB more resident memory
// (docs/performance.md "Garbage collector target"; docs/decisions.md).
const defaultGCPercent = 400

// tuneGC sets the collector's target unless GOGC is set, which the Go
// runtime has already applied and which stays the operator's choice (with
// GOMEMLIMIT for a hard memory budget). It returns the target in force.
func tuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

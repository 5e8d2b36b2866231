package main

import (
	"runtime/debug"
	"testing"
)

// The collector's target is raised for the server unless the operator set
// GOGC, whose value the runtime applied at start and which must stay.
func TestServeGCTargetUnlessGOGCIsSet(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	if got := tuneGC(func(string) string { return "" }); got != defaultGCPercent {
		t.Fatalf("tuneGC without GOGC = %d, want %d", got, defaultGCPercent)
	}
	if now := debug.SetGCPercent(100); now != defaultGCPercent {
		t.Fatalf("GC percent in force without GOGC = %d, want %d", now, defaultGCPercent)
	}

	// An operator's GOGC=50, as the runtime would have applied it.
	debug.SetGCPercent(50)
	env := func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}
	if got := tuneGC(env); got != 50 {
		t.Fatalf("tuneGC with GOGC=50 = %d, want 50 kept", got)
	}
	if now := debug.SetGCPercent(100); now != 50 {
		t.Fatalf("GC percent in force with GOGC=50 = %d, want 50", now)
	}
}

package bench

import (
	"strings"
	"testing"
	"time"
)

// TestParseCPULine: busy is everything but idle and iowait, in clock ticks.
func TestParseCPULine(t *testing.T) {
	stat := "cpu  100 5 40 800 20 3 2 10 0 0\ncpu0 50 2 20 400 10 1 1 5 0 0\nintr 1\n"
	got, err := parseCPULine(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got.busy != 160*clockTick || got.total != 980*clockTick || got.cpus != 1 {
		t.Fatalf("busy %v total %v cpus %d, want %v, %v and 1", got.busy, got.total, got.cpus, 160*clockTick, 980*clockTick)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu 1 2 x 4 5 6 7 8\n", "cpu 1 2 3\n"} {
		if _, err := parseCPULine(bad); err == nil {
			t.Errorf("parseCPULine(%q) accepted", bad)
		}
	}
}

// TestMachineLine: a run that kept both CPUs busy says so, with the
// server's and the bench's shares and what the rest of the machine took.
func TestMachineLine(t *testing.T) {
	before := cpuSample{busy: 10 * time.Second, total: 50 * time.Second, load: 0.5}
	after := cpuSample{busy: 29 * time.Second, total: 70 * time.Second, cpus: 2, load: 1.5}
	m := machineReport(before, after, 10*time.Second, 12*time.Second, 4*time.Second)
	if m == nil || m.CPUs != 2 || m.BusyCPUs != 1.9 || m.ServerCPUs != 1.2 || m.BenchCPUs != 0.4 {
		t.Fatalf("machineReport = %+v", m)
	}
	want := "1.90 of 2 CPUs busy: server 1.20, bench 0.40, other 0.30 (load 0.50 -> 1.50)"
	if got := m.text(); got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
	var b strings.Builder
	Report{Machine: m}.WriteText(&b)
	if !strings.Contains(b.String(), "  machine      "+want+"\n") {
		t.Fatalf("report does not show the machine line:\n%s", b.String())
	}
	if machineReport(after, before, 10*time.Second, 0, 0) != nil {
		t.Fatal("a sample pair going backwards gave a report")
	}
}

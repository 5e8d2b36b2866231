package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// MachineReport is the whole machine's CPU during the measured phase, from
// /proc/stat and /proc/loadavg: on a machine the server shares with the
// load generator (and with whatever else runs), it says whether the run was
// bound by CPU. A closed loop whose server and bench together keep every CPU
// busy measures the machine, not a limit of the server's own.
type MachineReport struct {
	CPUs int `json:"cpus"` // the machine's online CPUs, not only this process's
	// BusyCPUs is the CPU time spent outside idle and I/O wait, by every
	// process and the kernel, per second of the phase (at most CPUs).
	BusyCPUs float64 `json:"busyCpus"`
	// ServerCPUs and BenchCPUs are the server's and the bench's shares of
	// BusyCPUs (0 when the server was not measured).
	ServerCPUs float64 `json:"serverCpus"`
	BenchCPUs  float64 `json:"benchCpus"`
	// LoadBefore and LoadAfter are the 1-minute load averages.
	LoadBefore float64 `json:"loadBefore"`
	LoadAfter  float64 `json:"loadAfter"`
}

// cpuSample is /proc/stat's first line: the machine's busy and total CPU
// time since boot.
type cpuSample struct {
	busy, total time.Duration
	cpus        int // the per-CPU lines: the machine's online CPUs
	load        float64
}

func readMachine() (cpuSample, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}, err
	}
	s, err := parseCPULine(string(b))
	if err != nil {
		return s, err
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		s.load, _ = strconv.ParseFloat(strings.Fields(string(la) + " 0")[0], 64)
	}
	return s, nil
}

// parseCPULine reads the aggregate "cpu" line of /proc/stat (proc(5)):
// user nice system idle iowait irq softirq steal, in clock ticks (guest
// time is already inside user and nice). Idle and iowait are not busy.
func parseCPULine(stat string) (cpuSample, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuSample{}, errors.New("bench: /proc/stat has no aggregate cpu line")
	}
	var ticks [8]int64
	for i := range ticks {
		v, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return cpuSample{}, fmt.Errorf("bench: /proc/stat: %w", err)
		}
		ticks[i] = v
	}
	var total int64
	for _, v := range ticks {
		total += v
	}
	idle := ticks[3] + ticks[4]
	cpus := 0
	for l := range strings.Lines(stat) {
		if len(l) > 3 && strings.HasPrefix(l, "cpu") && l[3] >= '0' && l[3] <= '9' {
			cpus++
		}
	}
	return cpuSample{busy: time.Duration(total-idle) * clockTick, total: time.Duration(total) * clockTick, cpus: cpus}, nil
}

// machineReport is the phase's machine figures from samples before and
// after it; server and bench are the two processes' CPU in the phase.
func machineReport(before, after cpuSample, elapsed, server, bench time.Duration) *MachineReport {
	if elapsed <= 0 || after.total <= before.total {
		return nil
	}
	sec := elapsed.Seconds()
	cpus := after.cpus
	if cpus == 0 {
		cpus = runtime.NumCPU()
	}
	return &MachineReport{CPUs: cpus, BusyCPUs: (after.busy - before.busy).Seconds() / sec,
		ServerCPUs: server.Seconds() / sec, BenchCPUs: bench.Seconds() / sec,
		LoadBefore: before.load, LoadAfter: after.load}
}

// text is the report's machine line: how many of the CPUs were busy, and
// whose. "other" is everything else: other processes, and kernel work no
// process is charged for (such as the loopback network's softirqs).
func (m MachineReport) text() string {
	other := max(m.BusyCPUs-m.ServerCPUs-m.BenchCPUs, 0)
	s := fmt.Sprintf("%.2f of %d CPUs busy: ", m.BusyCPUs, m.CPUs)
	if m.ServerCPUs > 0 {
		s += fmt.Sprintf("server %.2f, ", m.ServerCPUs)
	}
	return s + fmt.Sprintf("bench %.2f, other %.2f (load %.2f -> %.2f)", m.BenchCPUs, other, m.LoadBefore, m.LoadAfter)
}

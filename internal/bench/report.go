package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Report is a run's result; --json prints it as is.
type Report struct {
	Target  string  `json:"target"`
	Mode    string  `json:"mode"`
	Mix     string  `json:"mix,omitempty"`
	Loop    string  `json:"loop"` // "closed" or "open"
	Clients int     `json:"clients"`
	Rate    float64 `json:"rate,omitempty"`
	Seconds float64 `json:"seconds"` // the measured phase, until its last answer
	// WarmupSeconds and WarmupRequests describe the uncounted phase
	// before it (--warmup), when there was one.
	WarmupSeconds  float64 `json:"warmupSeconds,omitempty"`
	WarmupRequests int     `json:"warmupRequests,omitempty"`
	Interrupted    bool    `json:"interrupted,omitempty"`

	OpReport // every operation together
	// Unsent counts, in an open loop, the requests that were due before the
	// time bound but could not be sent: the target rate was not reached.
	Unsent     int                 `json:"unsent,omitempty"`
	Operations map[string]OpReport `json:"operations"`
	Server     *ServerReport       `json:"server,omitempty"`
	// LoadGeneratorCPUMsPerRequest is the bench's own CPU per request: on
	// a shared machine, what the load took from the server.
	LoadGeneratorCPUMsPerRequest float64 `json:"loadGeneratorCpuMsPerRequest,omitempty"`
	// LoadGeneratorProcs is the bench's GOMAXPROCS during the run (--procs).
	LoadGeneratorProcs int `json:"loadGeneratorProcs,omitempty"`
	// Machine is the whole machine's CPU in the phase (Linux only).
	Machine *MachineReport `json:"machine,omitempty"`
	// Ceiling is the password hash's throughput ceiling on this machine,
	// measured after a login run (login mode only).
	Ceiling *CeilingReport `json:"ceiling,omitempty"`
	// RunID is in the login id of every user the run creates (UserLoginID)
	// and in the name of its application.
	RunID              string   `json:"runId"`
	UsersCreated       int      `json:"usersCreated"`
	ApplicationCreated string   `json:"applicationCreated,omitempty"` // its id
	Cleanup            Cleanup  `json:"cleanup"`
	Notes              []string `json:"notes,omitempty"`
	// RefreshTokens are, for a run over existing sessions
	// (Options.RefreshTokens), the values to keep for the next run: each
	// session's latest, without the UncertainSessions (whose value the
	// server may have rotated unheard) and the RefusedSessions (whose value
	// it refused), then the tokens no session used. Nil when the run did
	// not get to its measured phase; empty (not nil) when it kept nothing.
	RefreshTokens     []string `json:"-"`
	UncertainSessions int      `json:"uncertainSessions,omitempty"`
	RefusedSessions   int      `json:"refusedSessions,omitempty"`
}

// OpReport is one operation's figures (or all of them together).
type OpReport struct {
	Requests   int     `json:"requests"`
	OK         int     `json:"ok"`
	Throughput float64 `json:"throughput"` // successful requests per second
	Latency    Latency `json:"latencyMs"`
	// Rotations counts successful refreshes that returned a new refresh
	// token value (all of them under OneTimeUse, none under Reusable).
	Rotations    int               `json:"rotations"`
	Errors       map[string]int    `json:"errors"` // by HTTP status, or timeout / transport
	ErrorSamples map[string]string `json:"errorSamples,omitempty"`
}

// ServerReport is the server process's cost during the measured phase, read
// from /proc before and after it.
type ServerReport struct {
	PID     int    `json:"pid"`
	FoundBy string `json:"foundBy"` // "port" or "--server-pid"
	// SameProcess: the server runs inside the bench's own process (a test),
	// so its CPU includes the load generator's.
	SameProcess     bool    `json:"sameProcess,omitempty"`
	CPUSeconds      float64 `json:"cpuSeconds"`
	CPUMsPerRequest float64 `json:"cpuMsPerRequest"`
	RSSBytesBefore  int64   `json:"rssBytesBefore"`
	RSSBytesAfter   int64   `json:"rssBytesAfter"`
}

// summarize turns the recorder into per-operation figures and their total.
func summarize(rec *recorder, elapsed time.Duration) (OpReport, map[string]OpReport) {
	ops := map[string]OpReport{}
	var all []time.Duration
	total := OpReport{Errors: map[string]int{}, ErrorSamples: map[string]string{}}
	for name, r := range rec.ops {
		all = append(all, r.latencies...)
		op := OpReport{Requests: len(r.latencies), OK: r.ok, Rotations: r.rotations,
			Errors: r.errors, ErrorSamples: r.samples, Latency: percentiles(r.latencies)}
		op.Throughput = perSecond(op.OK, elapsed)
		ops[name] = op
		total.Requests += op.Requests
		total.OK += op.OK
		total.Rotations += op.Rotations
		for k, v := range r.errors {
			total.Errors[k] += v
		}
		for k, v := range r.samples {
			total.ErrorSamples[k] = v
		}
	}
	total.Latency = percentiles(all)
	total.Throughput = perSecond(total.OK, elapsed)
	if len(total.ErrorSamples) == 0 {
		total.ErrorSamples = nil
	}
	return total, ops
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// WriteText prints the report for a person.
func (r Report) WriteText(w io.Writer) {
	loop := fmt.Sprintf("closed loop, %d clients", r.Clients)
	if r.Loop == "open" {
		loop = fmt.Sprintf("open loop at %g requests/s over %d sessions", r.Rate, r.Clients)
	}
	mode := r.Mode
	if r.Mix != "" {
		mode += " (" + r.Mix + ")"
	}
	fmt.Fprintf(w, "latchkey bench: %s, %s, %.1f s against %s\n", mode, loop, r.Seconds, r.Target)
	if r.WarmupSeconds > 0 {
		fmt.Fprintf(w, "  warm-up      %.1f s and %d requests before, not counted\n", r.WarmupSeconds, r.WarmupRequests)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: the figures cover the run until then")
	}
	writeOp(w, "", r.OpReport)
	if r.Unsent > 0 {
		fmt.Fprintf(w, "  unsent       %d requests were due but not sent: the target rate was not reached\n", r.Unsent)
	}
	if len(r.Operations) > 1 {
		for _, name := range slices.Sorted(maps.Keys(r.Operations)) {
			fmt.Fprintf(w, "%s:\n", name)
			writeOp(w, "  ", r.Operations[name])
		}
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "  server       pid %d (%s): %.3f ms CPU per request, RSS %s -> %s\n", s.PID, s.FoundBy,
			s.CPUMsPerRequest, mib(s.RSSBytesBefore), mib(s.RSSBytesAfter))
	}
	if r.LoadGeneratorCPUMsPerRequest > 0 {
		fmt.Fprintf(w, "  bench        %.3f ms CPU per request (the load generator itself, GOMAXPROCS %d)\n",
			r.LoadGeneratorCPUMsPerRequest, r.LoadGeneratorProcs)
	}
	if m := r.Machine; m != nil {
		fmt.Fprintf(w, "  machine      %s\n", m.text())
	}
	if c := r.Ceiling; c != nil {
		c.writeText(w)
	}
	switch {
	case r.UsersCreated == 0 && r.ApplicationCreated == "":
		fmt.Fprintln(w, "  cleanup      nothing to delete: the run created no users")
	case r.ApplicationCreated == "":
		fmt.Fprintf(w, "  cleanup      %d of %d users deleted\n", r.Cleanup.UsersDeleted, r.UsersCreated)
	default:
		fmt.Fprintf(w, "  cleanup      %d of %d users deleted, application %s deleted: %v\n",
			r.Cleanup.UsersDeleted, r.UsersCreated, r.ApplicationCreated, r.Cleanup.ApplicationDeleted)
	}
	for _, e := range r.Cleanup.Messages() {
		fmt.Fprintf(w, "    %s\n", e)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func writeOp(w io.Writer, indent string, o OpReport) {
	fmt.Fprintf(w, "%s  requests     %d (%d ok, %d failed), %.1f ok/s\n", indent, o.Requests, o.OK, o.Requests-o.OK, o.Throughput)
	l := o.Latency
	fmt.Fprintf(w, "%s  latency ms   p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n",
		indent, l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	if o.Rotations > 0 {
		fmt.Fprintf(w, "%s  rotations    %d\n", indent, o.Rotations)
	}
	for _, k := range slices.Sorted(maps.Keys(o.Errors)) {
		line := fmt.Sprintf("%s  errors       %s: %d", indent, k, o.Errors[k])
		if s := o.ErrorSamples[k]; s != "" {
			line += "  (" + strings.TrimSpace(s) + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

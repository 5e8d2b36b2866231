package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Run prepares the users (and application), runs the measured phase, and
// deletes what it created, also when ctx is cancelled (Ctrl-C) midway: then
// the report covers the run until then and says it was interrupted. An
// error means no measurement was made (bad options, a refused target, a
// failed setup); cleanup has run by then too.
func Run(ctx context.Context, o Options) (rep Report, err error) {
	if err := o.Validate(); err != nil {
		return rep, err
	}
	base, err := checkTarget(ctx, o.URL, o.AllowRemote)
	if err != nil {
		return rep, err
	}
	t := &target{api: &api{base: base.String(), apiKey: o.APIKey, tenantID: o.TenantID,
		http: &http.Client{Timeout: o.Timeout, Transport: newConns(o.Clients)}, busy: new(atomic.Int64)}}
	defer t.http.CloseIdleConnections()
	rep = Report{Target: base.String(), Mode: o.Mode, Loop: "closed", Clients: o.Clients}
	if o.Mode == ModeMixed {
		rep.Mix = o.Mix
	}
	if o.Rate > 0 {
		rep.Loop, rep.Rate = "open", o.Rate
	}
	made := created{runID: newRunID()}
	rep.RunID = made.runID
	defer func() {
		rep.Cleanup = cleanup(ctx, t, &made) // first: it forgets what was never created
		rep.UsersCreated = len(made.users)
		rep.ApplicationCreated = made.appID
	}()
	creds, err := prepare(ctx, o, t, &made)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	sessions, err := openSessions(ctx, o, t, creds)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("bench: interrupted during setup: %w", ctx.Err())
	}
	if note, ok := setupBusyNote(t); ok {
		rep.Notes = append(rep.Notes, note)
	}
	p := &phase{t: t, o: o, sessions: sessions, pick: picker(o), rec: newRecorder()}
	srv := watchServer(o, base, &rep)
	rep.LoadGeneratorProcs = loadProcs(o, rep.Server)
	restore := runtime.GOMAXPROCS(rep.LoadGeneratorProcs)
	if o.Warmup > 0 {
		// The same load on the same sessions, before anything is
		// measured: the server's and the machine's CPU counters are read
		// after it, and its requests are not in the report.
		wo := o
		wo.Duration, wo.Requests, wo.Progress = o.Warmup, 0, nil
		w := &phase{t: t, o: wo, sessions: sessions, pick: p.pick, rec: newRecorder()}
		rep.WarmupSeconds = w.run(ctx).Seconds()
		rep.WarmupRequests, _ = w.rec.total()
		if srv != nil {
			srv.restart(rep.Server)
		}
	}
	self, selfErr := readProcStat(os.Getpid())
	mach, machErr := readMachine()
	elapsed := p.run(ctx)
	if len(o.RefreshTokens) > 0 {
		rep.RefreshTokens, rep.UncertainSessions, rep.RefusedSessions = latestTokens(o.RefreshTokens, sessions)
		if rep.UncertainSessions > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d sessions are left out of the refresh tokens to keep: their last refresh got no usable answer (a timeout, a dropped connection, an interrupt, a 5xx), so the value they hold may be one the server has rotated, whose use would be reuse", rep.UncertainSessions))
		}
		if rep.RefusedSessions > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d sessions are left out of the refresh tokens to keep: the server refused their value (revoked, expired or reused)", rep.RefusedSessions))
		}
	}
	runtime.GOMAXPROCS(restore) // the login ceiling hashes on every CPU
	if srv != nil {
		srv.finish(rep.Server)
	}
	selfAfter, err := readProcStat(os.Getpid())
	machAfter, machAfterErr := readMachine()
	rep.Seconds = elapsed.Seconds()
	rep.Interrupted = ctx.Err() != nil
	rep.OpReport, rep.Operations = summarize(p.rec, elapsed)
	if n := rep.Errors["429"]; n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d requests were refused 429 by the target's per-address rate limits "+
			"(latchkey: login 120, refresh 600, token 300 a minute); to size a deployment, run the server with "+
			"LATCHKEY_RATE_LIMITS=login=0/1m,refresh=0/1m,token=0/1m", n))
	}
	rep.Unsent = p.unsent
	if rep.Server != nil && rep.Requests > 0 {
		rep.Server.CPUMsPerRequest = rep.Server.CPUSeconds * 1000 / float64(rep.Requests)
	}
	if selfErr == nil && err == nil && rep.Requests > 0 {
		rep.LoadGeneratorCPUMsPerRequest = (selfAfter.cpu - self.cpu).Seconds() * 1000 / float64(rep.Requests)
	}
	if machErr == nil && machAfterErr == nil && selfErr == nil && err == nil {
		var server time.Duration
		if rep.Server != nil && !rep.Server.SameProcess {
			server = time.Duration(rep.Server.CPUSeconds * float64(time.Second))
		}
		rep.Machine = machineReport(mach, machAfter, elapsed, server, selfAfter.cpu-self.cpu)
	}
	measureCeiling(ctx, o, t, creds, &rep)
	return rep, nil
}

// latestTokens is what to keep of a run over existing sessions
// (Options.RefreshTokens): each session's latest value, except those
// whose value may be used (unsure) or was refused, then the tokens no
// session used. keep is never nil: a run that keeps nothing still replaces
// the file, whose values may all be used ones by then.
func latestTokens(given []string, sessions []*session) (keep []string, unsure, refused int) {
	keep = make([]string, 0, len(given))
	for _, s := range sessions {
		switch {
		case s.unsure:
			unsure++
		case s.refused:
			refused++
		default:
			keep = append(keep, s.refresh)
		}
	}
	return append(keep, given[min(len(sessions), len(given)):]...), unsure, refused
}

// loadProcs is the measured phase's GOMAXPROCS (Options.Procs).
func loadProcs(o Options, srv *ServerReport) int {
	all := runtime.GOMAXPROCS(0)
	switch {
	case o.Procs > 0:
		return o.Procs
	case srv != nil && !srv.SameProcess && o.Rate > 0:
		// An open loop counts latency from when a request was due, so
		// whatever holds up the bench's one thread (its collector, the
		// kernel running the server on that CPU) delays every request due
		// meanwhile and is counted as the server's latency: two
		// processors keep sending and reading while one is held up
		// (docs/decisions.md, "One Go processor for the load").
		return min(2, all)
	case srv != nil && !srv.SameProcess:
		return 1
	}
	return all
}

// transport keeps one idle connection per client, so a closed loop reuses
// its connections instead of measuring TCP handshakes.
func transport(clients int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // measure the server, not a proxy named in the environment
	t.MaxIdleConns = clients + 16
	t.MaxIdleConnsPerHost = clients + 16
	return t
}

// run is the measured phase: until the time bound, the count bound or ctx,
// whichever comes first; it returns its wall time, to the last answer.
func (p *phase) run(ctx context.Context) time.Duration {
	start := time.Now()
	stop := make(chan struct{})
	timer := time.AfterFunc(p.o.Duration, func() { close(stop) })
	defer timer.Stop()
	done := make(chan struct{})
	if p.o.Progress != nil {
		go p.progress(start, done)
	}
	if p.o.Rate > 0 {
		p.openLoop(ctx, stop, start)
	} else {
		p.closedLoop(ctx, stop)
	}
	close(done)
	return time.Since(start)
}

// progress reports four times a second until done, then once more.
func (p *phase) progress(start time.Time, done <-chan struct{}) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	report := func() {
		n, failed := p.rec.total()
		p.o.Progress(Status{Elapsed: time.Since(start), Bound: p.o.Duration, Done: n, Failed: failed, Limit: p.o.Requests})
	}
	for {
		select {
		case <-tick.C:
			report()
		case <-done:
			return
		}
	}
}

// picker returns the operation for each request: the mode's, or a draw
// from the mix by weight.
func picker(o Options) func(*rand.Rand) string {
	if o.Mode != ModeMixed {
		return func(*rand.Rand) string { return o.Mode }
	}
	mix, _ := parseMix(o.Mix)
	total := 0
	for _, w := range mix {
		total += w.w
	}
	return func(r *rand.Rand) string {
		n := r.IntN(total)
		for _, w := range mix {
			if n < w.w {
				return w.op
			}
			n -= w.w
		}
		return mix[len(mix)-1].op
	}
}

// serverWatch samples the server process around the measured phase.
type serverWatch struct {
	pid    int
	before procSample
}

// watchServer finds the server process (by --server-pid, or by the socket
// listening on the target's port when the target is this machine) and
// samples it; nil when it cannot, with a note saying why.
func watchServer(o Options, base *url.URL, rep *Report) *serverWatch {
	pid, foundBy := o.ServerPID, "--server-pid"
	if pid == 0 {
		host := base.Hostname()
		ip := net.ParseIP(host) // nil for localhost: any listener on the port
		if ip != nil && !ip.IsLoopback() || ip == nil && host != "localhost" {
			rep.Notes = append(rep.Notes, "server CPU and memory not measured: the target is another machine (give --server-pid if it is not)")
			return nil
		}
		port, _ := strconv.Atoi(base.Port())
		if port == 0 {
			port = map[string]int{"http": 80, "https": 443}[base.Scheme]
		}
		var err error
		if pid, err = findListener(ip, port); err != nil {
			rep.Notes = append(rep.Notes, "server CPU and memory not measured: "+err.Error())
			return nil
		}
		foundBy = "port"
	}
	before, err := readProcStat(pid)
	if err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("server CPU and memory not measured: %v", err))
		return nil
	}
	rep.Server = &ServerReport{PID: pid, FoundBy: foundBy, SameProcess: pid == os.Getpid(), RSSBytesBefore: before.rss}
	if rep.Server.SameProcess {
		rep.Notes = append(rep.Notes, "the server runs in the bench's own process: its CPU includes the load generator's")
	}
	return &serverWatch{pid: pid, before: before}
}

// restart samples the process again as the start of the measured phase
// (after a warm-up).
func (w *serverWatch) restart(s *ServerReport) {
	if now, err := readProcStat(w.pid); err == nil {
		w.before, s.RSSBytesBefore = now, now.rss
	}
}

// finish samples the process again and fills s.
func (w *serverWatch) finish(s *ServerReport) {
	after, err := readProcStat(w.pid)
	if err != nil {
		return
	}
	s.CPUSeconds = (after.cpu - w.before.cpu).Seconds()
	s.RSSBytesAfter = after.rss
}

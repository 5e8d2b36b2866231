package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound the password-verifying work the server accepts at once. A
// password KDF is deliberately expensive (Argon2id allocates 19-64 MiB per
// call), so an unbounded login storm turns into an out-of-memory kill rather
// than slow answers (security-bar.md §4.3 "memory-hard KDF under load", L9,
// §5.7 "hash concurrency"). Zero fields take the defaults.
type Limits struct {
	// HashConcurrency is how many password-verifying requests run at once
	// (default 4×GOMAXPROCS). A login holds its slot through its attempt's
	// reservation, a durable commit that is no work for the CPUs, then
	// through its hash; with 2×GOMAXPROCS slots most holders were waiting
	// for that commit and the CPUs idled. The hashes themselves run at
	// most 2×GOMAXPROCS at once whatever this says (internal/password's
	// turns): the KDF is CPU-bound, more would only queue on the scheduler
	// while holding their memory.
	HashConcurrency int
	// HashQueue is how many more may wait for a slot (default
	// 4×HashConcurrency). Beyond that a request is refused at once.
	HashQueue int
	// HashWait is how long a queued request waits for a slot before it is
	// refused (default 2s, well inside a browser's patience). An admitted
	// request waits no longer for each hashing turn
	// (password.WithTurnWait), and is then refused the same way.
	HashWait time.Duration
	// Rates overrides the per-address rate limits by rule name
	// (ratelimit.go); a Rate with Limit 0 turns its rule off.
	Rates map[string]Rate
}

func (l Limits) withDefaults() Limits {
	if l.HashConcurrency <= 0 {
		l.HashConcurrency = 4 * runtime.GOMAXPROCS(0)
	}
	if l.HashQueue < 0 {
		l.HashQueue = 0
	} else if l.HashQueue == 0 {
		l.HashQueue = 4 * l.HashConcurrency
	}
	if l.HashWait <= 0 {
		l.HashWait = 2 * time.Second
	}
	return l
}

// Gate is the process-wide admission state the middleware consults: the
// password-verification semaphore and the draining flag that turns
// /api/status to 503 when shutdown begins (security-bar.md D8, §5.8). The
// application owns one and sets it as Server.Gate, so that shutdown and the
// middleware share it; a Server without one gets a private Gate with default
// Limits.
type Gate struct {
	slots    chan struct{}
	queue    chan struct{}
	wait     time.Duration
	draining atomic.Bool
	shed     atomic.Int64
	// gone counts the requests whose client went away while they waited
	// (Abandoned): not refusals, the server answered nobody.
	gone atomic.Int64
	// rates holds this node's per-address buckets (ratelimit.go).
	rates *limiter
}

// NewGate returns a Gate enforcing l.
func NewGate(l Limits) *Gate {
	l = l.withDefaults()
	return &Gate{slots: make(chan struct{}, l.HashConcurrency), queue: make(chan struct{}, l.HashQueue), wait: l.HashWait,
		rates: newLimiter(l.Rates, nil)}
}

// Drain marks the server as shutting down: from now on /api/status answers
// 503 so a load balancer stops routing here, while requests still complete.
func (g *Gate) Drain() { g.draining.Store(true) }

// Draining reports whether Drain was called.
func (g *Gate) Draining() bool { return g.draining.Load() }

// acquire takes a verification slot, waiting in the bounded queue for at
// most g.wait. ok=false means the request must be refused. release may be
// called more than once (a login releases its slot when its hash has
// answered, the middleware again when the request ends); only the first
// call frees the slot.
func (g *Gate) acquire(ctx context.Context) (release func(), ok bool) {
	var once sync.Once
	release = func() { once.Do(func() { <-g.slots }) }
	select {
	case g.slots <- struct{}{}:
		return release, true
	default:
	}
	select {
	case g.queue <- struct{}{}:
	default:
		return nil, false // queue full: refuse at once, hold nothing
	}
	defer func() { <-g.queue }()
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// admit holds a password-verifying request until a slot of the hashing gate
// is free. The body is read (within the route's bound) before a slot is
// taken, so a client trickling its body cannot hold a slot, and an oversized
// body is refused by the handler (413) without ever queueing; the handler
// then reads the buffered copy. A request that turns out to verify no
// password (another OAuth grant) passes at once. ok=false: the refusal is
// written.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rt *route, g *Gate) (release func(), ok bool) {
	none := func() {}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		// Replay what was read, then the error, so the handler answers
		// exactly as it would have (413 for *http.MaxBytesError).
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return none, true
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if rt.password == verifiesPasswordForm && r.URL.Path == "/oauth2/authorize" && !r.PostForm.Has("password") {
		return none, true // a POST authorization request, not the login form
	}
	if rt.password == verifiesPasswordGrant {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("grant_type") != "password" {
			return none, true
		}
	}
	release, ok = g.acquire(r.Context())
	if !ok {
		s.refuseBusy(w, r, rt, g)
	}
	return release, ok
}

// refuseBusy answers 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3) in the
// endpoint's own error format.
func (s *Server) refuseBusy(w http.ResponseWriter, r *http.Request, rt *route, g *Gate) {
	s.noteBusy(r, g)
	switch {
	case rt.html:
		s.busyPage(w, r, "")
	case rt.oauthErrors():
		writeBusyOAuth(w)
	default:
		writeBusy(w)
	}
}

// noteBusy counts a request refused because the server is busy hashing
// (at the gate, or because its wait for a hashing turn ended: the error
// password.ErrBusy). It is logged at 1, 2, 4, 8, ... refusals so a storm
// cannot flood the log. A request whose context was cancelled while it
// waited (its client went away, or the server's read timeout or a forced
// shutdown ended it) was not turned away by the gate: nobody reads the
// answer. It is counted apart (Abandoned) and logged at debug. It still
// means every slot or turn was taken: docs/deploy.md tells operators to
// alert on both counts.
func (s *Server) noteBusy(r *http.Request, g *Gate) {
	if g == nil {
		g = s.gate
	}
	if errors.Is(r.Context().Err(), context.Canceled) {
		n := g.gone.Add(1)
		s.Logger.LogAttrs(r.Context(), slog.LevelDebug, "client went away while waiting to verify a password",
			slog.String("request_id", requestID(r.Context())), slog.String("route", requestRoute(r)), slog.Int64("abandoned_total", n))
		return
	}
	if n := g.shed.Add(1); n&(n-1) == 0 {
		s.Logger.LogAttrs(r.Context(), slog.LevelWarn, "password verification refused: server busy",
			slog.String("request_id", requestID(r.Context())), slog.String("route", requestRoute(r)),
			slog.String("ip", s.clientIP(r)), slog.Int64("refused_total", n))
	}
}

// writeBusy is the busy 503 of /api/* (FusionAuth's error body).
func writeBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	var e Errors
	e.General("TooManyRequests", "Too many logins are being processed. Try again shortly.")
	writeErrors(w, http.StatusServiceUnavailable, &e)
}

// writeBusyOAuth is the busy 503 of /oauth2/token (RFC 6749 §5.2's shape).
func writeBusyOAuth(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeOAuthError(w, http.StatusServiceUnavailable, OAuthError{"temporarily_unavailable", "",
		"Too many logins are being processed. Try again shortly."})
}

// busyPage is the busy 503 of the hosted pages, in locale.
func (s *Server) busyPage(w http.ResponseWriter, r *http.Request, locale string) {
	w.Header().Set("Retry-After", "1")
	s.errorPage(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "",
		"Too many sign-ins are being processed. Try again shortly.", locale)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// drainingStatus answers GET /api/status with 503 once shutdown has begun
// (security-bar.md D8: "Ready=false immediately"); it reports whether it did.
func drainingStatus(w http.ResponseWriter, r *http.Request, g *Gate) bool {
	if !g.Draining() || r.URL.Path != "/api/status" || r.Method != http.MethodGet {
		return false
	}
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
	return true
}

// InUse is how many password verifications hold a slot now (metrics).
func (g *Gate) InUse() int { return len(g.slots) }

// Queued is how many requests wait for a slot now (metrics).
func (g *Gate) Queued() int { return len(g.queue) }

// Capacity is the number of slots (metrics).
func (g *Gate) Capacity() int { return cap(g.slots) }

// Refused counts the requests refused with 503 since start (metrics).
func (g *Gate) Refused() int64 { return g.shed.Load() }

// Abandoned counts the password-verifying requests whose client went away
// while they waited for a slot or a hashing turn, since start (metrics).
func (g *Gate) Abandoned() int64 { return g.gone.Load() }

package lambda

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// Config holds the limits of every call. Zero fields take the defaults
// below; docs/decisions.md ("Lambda limits") says what each one bounds and
// what it does not.
type Config struct {
	// Timeout bounds one call, load and populate together (default 100 ms).
	// JavaScript is interrupted at the deadline; Populate itself returns a
	// tenth later even when a builtin ignores the interrupt (for a bounded
	// body, run on the caller's goroutine, after at most one more step
	// linear in the input: Populate). Time the whole
	// process stood still (an overloaded machine not running it) does not
	// count, up to one more Timeout.
	Timeout time.Duration
	// MemoryLimit bounds the bytes the whole process allocates while a call
	// runs (default 32 MiB), checked every millisecond; the call is stopped
	// when it is exceeded. Other goroutines' allocations count too.
	MemoryLimit int64
	// MaxConcurrent bounds the calls running at once, including calls
	// abandoned at their deadline that have not yet returned (default
	// 2×GOMAXPROCS). A call that finds no free slot within MaxWait fails.
	MaxConcurrent int
	// MaxWait bounds how long a call waits for a free slot (default 1 s): a
	// runtime takes milliseconds to build, so the first concurrent calls
	// after start wait for one rather than fail.
	MaxWait time.Duration
	// MaxCallDepth bounds JavaScript recursion (default 256 frames).
	MaxCallDepth int
	// MaxStringLength bounds the strings that builtins such as repeat, join
	// and JSON.stringify may build in one step, in UTF-16 units (default 1 Mi).
	MaxStringLength int
	// MaxArrayLength bounds the length of an array or array-like that a
	// builtin walks in one step, and of a string that a regular-expression
	// builtin, a key listing or an iterator walks (default 131072).
	MaxArrayLength int
	// MaxClaimsBytes bounds the size of the claims a lambda returns, measured
	// roughly as JSON (default 64 KiB); a larger result is a failure.
	MaxClaimsBytes int
	// MaxConsoleBytes bounds the console output kept from one call (default 4 KiB).
	MaxConsoleBytes int
	// Logger receives failures, refused reserved-claim changes, dropped
	// claims and console output, each with the lambda's id (default: discard).
	Logger *slog.Logger
	// Failures, when set, is handed the event log text of each failed call
	// (FailureMessage), never of one that succeeded: token minting must
	// not write for a lambda that works. It runs on the caller's goroutine
	// and must not block (the app queues the text, bounded).
	Failures func(ctx context.Context, message string)
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = 100 * time.Millisecond
	}
	if c.MaxWait <= 0 {
		c.MaxWait = time.Second
	}
	if c.MemoryLimit <= 0 {
		c.MemoryLimit = 32 << 20
	}
	def(&c.MaxConcurrent, 2*runtime.GOMAXPROCS(0))
	def(&c.MaxCallDepth, 256)
	def(&c.MaxStringLength, 1<<20)
	def(&c.MaxArrayLength, 1<<17)
	def(&c.MaxClaimsBytes, 64<<10)
	def(&c.MaxConsoleBytes, 4<<10)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Engine runs lambdas. It is safe for concurrent use; create one per process.
type Engine struct {
	cfg   Config
	slots chan struct{}
	idle  chan *sandbox

	mu    sync.Mutex
	cache map[string]cached // by lambda id
}

type cached struct {
	lastUpdate int64
	body       string
	c          *compiled
}

// maxCached bounds the program cache; past it an arbitrary entry is evicted
// (a recompile costs far less than a login).
const maxCached = 1024

// New returns an engine with cfg's limits.
func New(cfg Config) *Engine {
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent),
		idle: make(chan *sandbox, cfg.MaxConcurrent), cache: map[string]cached{}}
	// Each idle sandbox has a goroutine waiting for its next call (serve);
	// when the engine is collected, they end.
	runtime.AddCleanup(e, retireIdle, e.idle)
	return e
}

// retireIdle ends the goroutines of the sandboxes left in an engine's pool.
func retireIdle(idle chan *sandbox) {
	for {
		select {
		case sb := <-idle:
			close(sb.jobs)
		default:
			return
		}
	}
}

// Input is one populate call's arguments, as JSON values: what
// encoding/json decodes into any (string, float64, bool, nil, []any,
// map[string]any), plus the Go types token minting uses ([]string,
// map[string]string, integers); anything else is passed through
// encoding/json. User and Registration are FusionAuth's JSON views of the
// user and of their registration for the application (as the User and
// Registration APIs return them, without secrets), each either a
// map[string]any, converted before the call, or a json.RawMessage holding
// the JSON object, whose members are converted only when the body reads
// them (lazyObject: token minting passes these). A nil Registration is
// passed as undefined, FusionAuth's value for a user not registered for the
// application. Either may also be a Lazy that returns one of these:
// Populate then calls it only if the body can read the argument (a body
// that never names user does not make the caller encode the user). Populate
// reads them only before it returns and never changes them.
type Input struct {
	Claims       map[string]any
	User         any
	Registration any
	// Scopes become context.scopes (FusionAuth 1.59): the requested scopes,
	// an empty array when there are none.
	Scopes []string

	reconcile *ReconcileInput // a reconcile call's arguments instead (Reconcile)
}

// Lazy is an argument computed only when the body can read it, on the
// caller's goroutine before the call starts.
type Lazy func() any

// Result is the outcome of one call. Claims is always safe to sign: on
// success a new map with the lambda's additions and every reserved claim as
// it was; on failure in.Claims itself, unchanged.
type Result struct {
	Claims map[string]any
	// Err is nil or a *Failure; it has already been logged.
	Err error
	// Restored lists the reserved claims the lambda changed, added or
	// removed, each put back as it was (and logged).
	Restored []string
	// Dropped lists the claims dropped because their value cannot be
	// encoded as JSON (and logged).
	Dropped []string
}

// Reason says why a call failed.
type Reason string

// The reasons a call fails. Each leaves the claims unchanged.
const (
	ReasonInvalid    Reason = "invalid"     // the body does not compile, or holds a BigInt literal
	ReasonNoPopulate Reason = "no-populate" // the body defines no populate function
	ReasonException  Reason = "exception"   // the body threw
	ReasonTimeout    Reason = "timeout"     // Config.Timeout passed
	ReasonMemory     Reason = "memory"      // Config.MemoryLimit exceeded
	ReasonBusy       Reason = "busy"        // no free slot within Config.MaxWait
	ReasonCancelled  Reason = "cancelled"   // the caller's context ended
	ReasonTooLarge   Reason = "too-large"   // the claims exceed Config.MaxClaimsBytes
	ReasonInternal   Reason = "internal"    // a fault in the engine or goja
)

// Failure is a failed call. Detail carries the JavaScript error; it is
// logged only for lambdas with debug on, as FusionAuth shows exception
// details only then (extend/code/lambdas "Exceptions").
type Failure struct {
	LambdaID string
	Reason   Reason
	Detail   string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("lambda %s: %s", f.LambdaID, f.Reason)
}

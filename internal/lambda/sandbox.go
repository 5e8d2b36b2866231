package lambda

import (
	"bytes"
	"math"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/go-json-experiment/json/jsontext"
)

// removed are globals a lambda does not get. Binary buffers allocate any
// size in one native call (new ArrayBuffer(1e12) ends the process, not the
// call), a Proxy's ownKeys trap result is copied by goja into a slice sized
// by its length before any check could run, and BigInt and eval are part of
// keeping BigInts out (bigint.go). None has a use in building claims.
// require, fetch, process and the like are not defined by goja at all.
var removed = []string{
	"ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics", "Proxy", "BigInt", "eval",
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float16Array", "Float32Array", "Float64Array",
	"BigInt64Array", "BigUint64Array", "WeakRef", "FinalizationRegistry",
}

// sandbox is a runtime with the limits installed and its builtins frozen,
// reused call after call (docs/decisions.md, "Lambda isolation"). A runtime
// is not safe for concurrent use: a sandbox serves one call at a time.
type sandbox struct {
	rt      *goja.Runtime
	cfg     Config
	jobs    chan *job // the calls for serve; closed when sb is not reused
	w       *watch    // the current call's
	console console

	jsonParse   goja.Callable
	objectKeys  goja.Callable // Object.keys as goja has it, before the guards
	exportFn    goja.Callable // exportClaims
	exporting   *exporter     // the claims being read back, during export
	ownDesc     goja.Callable
	rangeError  goja.Constructor
	joining     []*goja.Object  // arrays being joined, for cycles (as goja's own join)
	globals     map[string]bool // enumerable globals after hardening
	symbols     int
	names       int   // own string-keyed globals after hardening, as shape counts them
	allSymbols  int   // own symbol-keyed globals after hardening, enumerable or not
	shape       shape // the global object's, when readable
	globalProto *goja.Object
	protoNames  map[string]bool             // Object.prototype's own property names (put)
	hardened    bool                        // set once the builtins are frozen; the global's guards apply from then on
	uses        int                         // calls served
	kept        map[*compiled]goja.Callable // populate of keepable bodies, by body
	dec         *jsontext.Decoder           // splitObject's, reused
	src         *bytes.Reader
}

// newSandbox builds a runtime: globals removed, guards and console
// installed, builtins frozen. It costs milliseconds, once per pooled runtime.
func newSandbox(cfg Config) *sandbox {
	rt := goja.New()
	sb := &sandbox{rt: rt, cfg: cfg, w: newWatch(0, math.MaxInt64), jobs: make(chan *job)}
	rt.SetMaxCallStackSize(cfg.MaxCallDepth)
	g := rt.GlobalObject()
	for _, name := range removed {
		_ = g.Delete(name)
	}
	object := rt.Get("Object").ToObject(rt)
	sb.jsonParse = function(rt.Get("JSON").ToObject(rt).Get("parse"))
	sb.ownDesc = function(object.Get("getOwnPropertyDescriptor"))
	sb.objectKeys = function(object.Get("keys"))
	sb.exportFn = function(rt.ToValue(sb.exportClaims))
	sb.rangeError, _ = goja.AssertConstructor(rt.Get("RangeError"))
	sb.installGuards()
	sb.installConsole()
	sb.harden()
	sb.hardened = true
	sb.protoNames = map[string]bool{}
	for _, k := range object.Get("prototype").ToObject(rt).GetOwnPropertyNames() {
		sb.protoNames[k] = true
	}
	sb.globals = map[string]bool{}
	sb.globalProto = g.Prototype()
	for _, k := range g.Keys() {
		sb.globals[k] = true
	}
	sb.symbols = len(g.Symbols())
	if sh := newShape(g); sh.valid {
		// Trust the counts only if they agree with goja's own listings.
		all, err := rt.RunString("Object.getOwnPropertySymbols(globalThis).length")
		n, syms := sh.count()
		if err == nil && n == len(g.GetOwnPropertyNames()) && int64(syms) == all.ToInteger() {
			sb.shape, sb.names, sb.allSymbols = sh, n, syms
		}
	}
	return sb
}

// begin readies the sandbox for one call.
func (sb *sandbox) begin(w *watch, debug bool) {
	sb.w = w
	sb.console = console{left: sb.cfg.MaxConsoleBytes, debug: debug}
	sb.joining = sb.joining[:0]
}

// clean deletes what a call added to the global object (a sloppy-mode
// assignment to an undeclared name, globalThis.x = ...). The guards refuse
// defineProperty and preventExtensions on the global object, so whatever a
// call adds there is enumerable and configurable: listing the enumerable
// keys finds it all, without listing every builtin on every call. It
// reports false when the global object is not as it was (another
// prototype, an undeletable property): such a runtime serves no more calls.
//
// The enumerable globals after hardening are non-configurable, so a call
// can neither remove them nor hide them: when the global object has as many
// enumerable keys as then, it has exactly those, and nothing is listed by
// name. goja's Object.keys counts them several times faster than
// Object.Keys lists them (the global object has about a hundred builtins).
func (sb *sandbox) clean() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	g := sb.rt.GlobalObject()
	if g.Prototype() != sb.globalProto {
		return false
	}
	if sb.shape.valid {
		if n, syms := sb.shape.count(); n == sb.names && syms == sb.allSymbols {
			return true
		}
	}
	if len(g.Symbols()) != sb.symbols {
		return false
	}
	keys, err := sb.objectKeys(goja.Undefined(), g)
	if err != nil {
		return false
	}
	if keys.ToObject(sb.rt).Get("length").ToInteger() == int64(len(sb.globals)) {
		return true
	}
	for _, k := range g.Keys() {
		if !sb.globals[k] {
			if err := g.Delete(k); err != nil {
				return false
			}
		}
	}
	return true
}

func function(v goja.Value) goja.Callable {
	f, ok := goja.AssertFunction(v)
	if !ok {
		panic("lambda: goja lacks a builtin the sandbox needs")
	}
	return f
}

// throwRange throws a RangeError into the running JavaScript.
func (sb *sandbox) throwRange(msg string) {
	obj, err := sb.rangeError(nil, sb.rt.ToValue("lambda limit: "+msg))
	if err != nil {
		panic(err)
	}
	panic(obj)
}

// checkStop aborts the builtin in progress when the call has been stopped;
// goja's interrupt then ends the call at its next instruction.
func (sb *sandbox) checkStop() {
	if r, ok := sb.w.stopped(); ok {
		sb.throwRange("stopped (" + string(r) + ")")
	}
}

// call calls a builtin or callback from a guard, rethrowing what it throws.
func (sb *sandbox) call(f goja.Callable, this goja.Value, args ...goja.Value) goja.Value {
	v, err := f(this, args...)
	if err != nil {
		panic(err)
	}
	return v
}

// replace swaps obj[name] for a guard that gets the original. The guard keeps
// a builtin's attributes (writable, configurable, not enumerable), so that
// for-in over an array still lists only its elements, and the original's
// name and length, which goja would otherwise take from the Go function.
func (sb *sandbox) replace(obj *goja.Object, name string, guard func(orig goja.Callable, c goja.FunctionCall) goja.Value) goja.Value {
	origValue := obj.Get(name)
	orig, ok := goja.AssertFunction(origValue)
	if !ok {
		return nil
	}
	fn := sb.rt.ToValue(func(c goja.FunctionCall) goja.Value {
		sb.checkStop()
		return guard(orig, c)
	})
	sb.nameLike(fn.ToObject(sb.rt), origValue.ToObject(sb.rt))
	must(obj.DefineDataProperty(name, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	return fn
}

// replaceSymbol is replace for a symbol-keyed builtin.
func (sb *sandbox) replaceSymbol(obj *goja.Object, sym *goja.Symbol, guard func(orig goja.Callable, c goja.FunctionCall) goja.Value) {
	origValue := obj.GetSymbol(sym)
	orig, ok := goja.AssertFunction(origValue)
	if !ok {
		return
	}
	fn := sb.rt.ToValue(func(c goja.FunctionCall) goja.Value {
		sb.checkStop()
		return guard(orig, c)
	})
	sb.nameLike(fn.ToObject(sb.rt), origValue.ToObject(sb.rt))
	must(obj.DefineDataPropertySymbol(sym, fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE))
}

// nameLike gives a guard the name and length of the builtin it stands for.
func (sb *sandbox) nameLike(guard, builtin *goja.Object) {
	for _, p := range []string{"name", "length"} {
		must(guard.DefineDataProperty(p, builtin.Get(p), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE))
	}
}

// entry is one console call's text.
type entry struct {
	level string // "debug", "info" or "error"
	text  string
}

// console collects a call's console output, bounded in total size. FusionAuth
// writes log/info and error to its Event Log always and debug only for
// lambdas with debug on (extend/code/lambdas "Console").
type console struct {
	entries   []entry
	left      int
	debug     bool
	truncated bool
}

func (c *console) add(level string, args []goja.Value) {
	if level == "debug" && !c.debug || c.truncated {
		return
	}
	// The arguments are converted and joined only up to what is left to
	// keep: joining them all first made one allocation as large as their
	// sum, and 131,072 arguments (apply's limit) of 1 MiB each ended the
	// process (TestHugeAllocationsAreBounded, "console arguments").
	var b strings.Builder
	for i, a := range args {
		if b.Len() > c.left {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.String())
	}
	text := b.String()
	if len(text) > c.left {
		text = strings.ToValidUTF8(text[:c.left], "") + " …(console output truncated)"
		c.truncated = true
	}
	c.left -= len(text)
	c.entries = append(c.entries, entry{level, text})
}

func (sb *sandbox) installConsole() {
	obj := sb.rt.NewObject()
	for name, level := range map[string]string{"log": "info", "info": "info", "debug": "debug", "error": "error"} {
		fn := sb.rt.ToValue(func(c goja.FunctionCall) goja.Value {
			sb.checkStop()
			sb.console.add(level, c.Arguments)
			return goja.Undefined()
		}).ToObject(sb.rt)
		must(fn.DefineDataProperty("name", sb.rt.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE))
		must(obj.Set(name, fn))
	}
	must(sb.rt.Set("console", obj))
}

// regexpTimeout bounds one match by goja's backtracking engine (regexp2,
// used for patterns Go's linear-time regexp cannot run, such as
// backreferences): catastrophic backtracking runs inside the builtin, where
// the interrupt does not reach. regexp2 reads this default when a pattern
// is compiled; only goja uses regexp2 in latchkey. A timed-out match
// counts as no match, and the call is by then past its own deadline.
const regexpTimeout = time.Second

func init() { regexp2.DefaultMatchTimeout = regexpTimeout }

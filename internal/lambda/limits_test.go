package lambda

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestThrowLeavesClaimsUnchanged(t *testing.T) {
	for _, debug := range []bool{false, true} {
		e, logs := newTestEngine(t, Config{})
		l := jwtLambda("thrower", `function populate(jwt, user) { jwt.added = 1; throw new Error("no plan for " + user.email); }`)
		l.Debug = debug
		in := baseClaims()
		r := e.Populate(context.Background(), l, Input{Claims: in, User: decode(testUser)})
		if got := failureReason(t, r, in); got != ReasonException {
			t.Errorf("reason = %s, want exception", got)
		}
		recs := logs.records(t)
		if len(recs) != 1 || recs[0]["lambdaId"] != "thrower" || recs[0]["reason"] != "exception" {
			t.Fatalf("want one failure record with the lambda id, got %v", recs)
		}
		// FusionAuth shows exception details only with debug on; they can
		// carry personal data.
		_, hasDetail := recs[0]["error"]
		if hasDetail != debug || debug && !strings.Contains(recs[0]["error"].(string), "no plan for ana@example.com") {
			t.Errorf("debug=%v: error detail in log = %v", debug, recs[0]["error"])
		}
	}
}

func TestInfiniteLoopIsInterrupted(t *testing.T) {
	e, logs := newTestEngine(t, Config{Timeout: 50 * time.Millisecond})
	for name, body := range map[string]string{
		"loop":              `function populate(jwt) { for (;;) {} }`,
		"top level":         `while (true) {} function populate(jwt) {}`,
		"catching":          `function populate(jwt) { for (;;) { try { for (;;) {} } catch (e) {} } }`,
		"getter on a claim": `function populate(jwt) { Object.defineProperty(jwt, "x", {enumerable: true, get() { for (;;) {} }}); }`,
		"toJSON":            `function populate(jwt) { jwt.x = {toJSON() { for (;;) {} }}; }`,
		"finally":           `function populate(jwt) { try { for (;;) {} } finally { jwt.x = 1; } }`,
	} {
		t.Run(name, func(t *testing.T) {
			in := baseClaims()
			var r Result
			within(t, 5*time.Second, func() { r = populate(t, e, body) })
			if got := failureReason(t, r, in); got != ReasonTimeout {
				t.Errorf("reason = %s, want timeout", got)
			}
		})
	}
	if !strings.Contains(logs.String(), `"reason":"timeout"`) {
		t.Errorf("timeouts not logged: %s", logs)
	}
}

// TestRunawayBuiltinDoesNotHoldTheCaller: goja's interrupt does not reach
// into a native builtin, so Populate itself returns at the deadline and
// leaves the call to finish on its own goroutine.
func TestRunawayBuiltinDoesNotHoldTheCaller(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 50 * time.Millisecond, MaxConcurrent: 1, MaxWait: 50 * time.Millisecond})
	// Catastrophic backtracking runs inside the regular-expression engine.
	body := `function populate(jwt) { jwt.m = /^(a+)+\1$/.test("a".repeat(40) + "!"); }`
	in := baseClaims()
	r := populate(t, e, body)
	if got := failureReason(t, r, in); got != ReasonTimeout {
		t.Errorf("reason = %s, want timeout", got)
	}
	// Populate has returned and the builtin still runs: its call holds the
	// slot until the match really ends (regexpTimeout after it began). A
	// call that ran to its end has freed its slot before its caller learns
	// the outcome (serve, run.go), so a Populate that waited for the
	// builtin finds the slot free here.
	if n := len(e.slots); n != 1 {
		t.Fatalf("Populate returned with %d slots taken, want the runaway call's: it waited for the builtin to end", n)
	}
	// The only slot stays taken by the runaway call until the backtracking
	// engine gives up (regexpTimeout): meanwhile calls fail busy, at their
	// deadline; then the slot is free again.
	r = populate(t, e, `function populate(jwt) { jwt.x = 1; }`)
	if got := failureReason(t, r, in); got != ReasonBusy {
		t.Errorf("second call: %s, want busy while the runaway call holds the only slot", got)
	}
	deadline := time.Now().Add(regexpTimeout + 5*time.Second)
	for {
		if r = populate(t, e, `function populate(jwt) { jwt.x = 1; }`); r.Err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slot was never freed: %v", r.Err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHugeAllocationsAreBounded runs bodies that, without the guards, end
// the process (a fatal out-of-memory is not a panic and cannot be
// recovered) or grow it by gigabytes. Each must fail as a call and leave
// the process's heap near where it was.
func TestHugeAllocationsAreBounded(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 200 * time.Millisecond})
	bodies := map[string]string{
		"new Array(1e9)":         `var a = new Array(1e9); a.fill(0);`,
		"string doubling":        `var s = "x"; for (;;) s += s;`,
		"repeat":                 `"x".repeat(2 ** 40);`,
		"padEnd":                 `"x".padEnd(2 ** 40, "y");`,
		"apply array-like":       `Math.max.apply(null, {length: 1e12});`,
		"Reflect.apply":          `Reflect.apply(Math.max, null, {length: 1e12});`,
		"spread sparse":          `var a = []; a.length = 1e9; Math.max(...a);`,
		"Array.from":             `Array.from({length: 1e9});`,
		"join":                   `new Array(1e5).fill("x".repeat(1 << 20)).join("");`,
		"join sparse":            `var a = []; a.length = 2 ** 32 - 1; a.join("abc");`,
		"concat args":            `var s = "x".repeat(1 << 20); "".concat(...new Array(10000).fill(s));`,
		"map sparse":             `new Array(1e8).map(x => 1);`,
		"stringify DAG":          `var o = [1]; for (var i = 0; i < 60; i++) o = [o, o]; JSON.stringify(o);`,
		"stringify sparse":       `var a = []; a.length = 1e9; JSON.stringify(a);`,
		"flat DAG":               `var o = [1]; for (var i = 0; i < 60; i++) o = [o, o]; o.flat(Infinity);`,
		"replace $ expansion":    `"a".repeat(1e5).replace(/a/g, "$'$'");`,
		"replaceAll":             `"a".repeat(1e6).replaceAll("a", "x".repeat(1000));`,
		"split":                  `var s = "x"; for (var i = 0; i < 24; i++) s += s; s.split("");`,
		"array buffer":           `new ArrayBuffer(1e12);`,
		"deep recursion":         `(function f() { return f() + 1; })();`,
		"nested join":            `var a = []; for (var i = 0; i < 1e6; i++) a = [a]; String(a);`,
		"JSON.parse nesting":     `JSON.parse("[".repeat(1 << 20));`,
		"push loop":              `var a = []; for (;;) a.push({x: 1});`,
		"length setter":          `var o = {}; Object.defineProperty(o, "length", {get() { return this.n = (this.n || 0) + 1e12; }}); Array.prototype.fill.call(o, 1);`,
		"String.raw":             `String.raw({raw: new Array(1e5).fill("x".repeat(1 << 20))});`,
		"object keys of string":  `var s = "x"; for (var i = 0; i < 25; i++) s += s; Object.keys(s);`,
		"concat arrays":          `var a = new Array(1e5).fill(0); var b = []; for (var i = 0; i < 100; i++) b.push(a); a.concat(...b);`,
		"flatMap returns sparse": `[1, 2].flatMap(() => { var a = []; a.length = 1e9; return a; });`,
		"BigInt shift":           `var b = 1n << 10000000000000n;`,
		"RegExp compile":         `var s = "(a)".repeat(1 << 18); s = s + s + s + s; new RegExp(s);`,
		"match compiles":         `var s = "(a)".repeat(1 << 18); s = s + s + s + s; "a".match(s);`,
		"RegExp subclass":        `class R extends RegExp {} var s = "(a)".repeat(1 << 18); new R(s + s + s + s);`,
		"BigInt from a string":   `var b = (void 0, globalThis["Big" + "Int"])("1") << 10000000000000n;`,
		"console arguments":      `console.log.apply(null, new Array(131072).fill("x".repeat(1 << 20))); throw "logged";`,
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for name, top := range bodies {
		t.Run(name, func(t *testing.T) {
			in := baseClaims()
			var r Result
			within(t, 10*time.Second, func() {
				r = populate(t, e, `function populate(jwt) { `+top+` jwt.done = true; }`)
			})
			failureReason(t, r, in)
		})
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 256<<20 {
		t.Errorf("the heap grew by %d MiB and stayed", grown>>20)
	}
}

func TestMemoryLimitStopsAllocationLoops(t *testing.T) {
	// The time limit is far away, so only the memory limit can stop the loop.
	e, _ := newTestEngine(t, Config{Timeout: 2 * time.Minute, MemoryLimit: 16 << 20})
	in := baseClaims()
	var r Result
	within(t, 4*time.Second, func() {
		r = populate(t, e, `function populate(jwt) { var keep = []; for (;;) keep.push("item " + keep.length); }`)
	})
	if got := failureReason(t, r, in); got != ReasonMemory {
		t.Errorf("reason = %s, want memory (%s)", got, r.Err.(*Failure).Detail)
	}
}

func TestCancelledContext(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	in := baseClaims()
	var r Result
	within(t, 3*time.Second, func() {
		r = e.Populate(ctx, jwtLambda("l1", `function populate(jwt) { for (;;) {} }`), Input{Claims: in})
	})
	if got := failureReason(t, r, in); got != ReasonCancelled {
		t.Errorf("reason = %s, want cancelled", got)
	}
}

func TestGlobalsAreNotThere(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	claims := mustSucceed(t, populate(t, e, `function populate(jwt) {
		jwt.types = [typeof require, typeof fetch, typeof process, typeof module, typeof ArrayBuffer,
			typeof Uint8Array, typeof Proxy, typeof SharedArrayBuffer, typeof load, typeof Java].join(",");
	}`))
	if want := strings.TrimSuffix(strings.Repeat("undefined,", 10), ","); claims["types"] != want {
		t.Errorf("types = %v, want %v", claims["types"], want)
	}
}

// TestThrownValuesThatFightBack: a failure's message comes from the thrown
// value's toString, which is the body's own code.
func TestThrownValuesThatFightBack(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 100 * time.Millisecond})
	for name, body := range map[string]string{
		"toString loops":  `function populate(jwt) { throw {toString() { for (;;) {} }}; }`,
		"toString throws": `function populate(jwt) { throw {toString() { throw new Error("again"); }}; }`,
		"null":            `function populate(jwt) { throw null; }`,
		"symbol":          `function populate(jwt) { throw Symbol("s"); }`,
	} {
		t.Run(name, func(t *testing.T) {
			in := baseClaims()
			var r Result
			within(t, 5*time.Second, func() { r = populate(t, e, body) })
			if got := failureReason(t, r, in); got != ReasonException && got != ReasonTimeout {
				t.Errorf("reason = %s, want exception or timeout", got)
			}
		})
	}
}

// TestNoBigIntsNoRuntimeCode: BigInt arithmetic allocates inside one
// instruction (1n << 10000000000000n is a fatal out-of-memory), so no BigInt
// can be made: no literal, no BigInt global, no code compiled at run time.
// Symbol.for is refused too: its registry would outlive the call.
func TestNoBigIntsNoRuntimeCode(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	errs := e.Validate(jwtLambda("big", "function populate(jwt) {\n  jwt.n = String(10n);\n}"))
	if len(errs) != 1 || errs[0].Code != "[invalid]lambda.body" || !strings.Contains(errs[0].Message, "Line 2:18 a BigInt literal") {
		t.Errorf("a BigInt literal: %+v", errs)
	}
	for _, code := range []string{
		`typeof BigInt === "undefined" || (() => { throw 1; })()`,
		`eval("1")`,
		`Function("return 1")()`,
		`new Function("return 1")()`,
		`(function () {}).constructor("return 1")()`,
		`Object.getPrototypeOf(function* () {}).constructor("yield 1")`,
		`Object.getPrototypeOf(async function () {}).constructor("return 1")`,
		`JSON.parse("1n")`,
		`Symbol.for("parked " + Math.random())`,
	} {
		r := populate(t, e, "function populate(jwt) { jwt.x = "+code+"; throw new Error(\"ok\"); }")
		if got := failureReason(t, r, baseClaims()); got != ReasonException {
			t.Errorf("%s: %s", code, got)
		}
	}
	claims := mustSucceed(t, populate(t, e, `function populate(jwt) {
		jwt.isFn = (function () {}) instanceof Function && (() => 1) instanceof Function;
		jwt.name = Function.prototype.call.name;
	}`))
	if claims["isFn"] != true || claims["name"] != "call" {
		t.Errorf("instanceof Function or Function.prototype broke: %v", claims)
	}
}

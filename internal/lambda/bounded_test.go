package lambda

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBoundedBodiesAreRecognised: the proof admits the usual FusionAuth
// bodies and refuses everything that could run long, call a builtin with
// arguments the body chooses, or build a string larger than its input.
func TestBoundedBodiesAreRecognised(t *testing.T) {
	tests := []struct {
		name, body string
		bounded    bool
	}{
		{"one claim", `function populate(jwt, user) { jwt.favoriteColor = "teal"; }`, true},
		{"use strict", `"use strict"; function populate(jwt, user) { jwt.c = user.data.favoriteColor; }`, true},
		{"namespaced claims", `function populate(jwt, user, registration) {
			jwt["https://hasura.io/jwt/claims"] = {"x-hasura-allowed-roles": registration.roles,
				"x-hasura-default-role": "user", "x-hasura-user-id": user.id};
			jwt.roles = [registration.roles[0], "extra"]; }`, true},
		{"full name", `function populate(jwt, user) { jwt.name = user.firstName + " " + user.lastName; }`, true},
		{"template", "function populate(jwt, user) { jwt.name = `${user.firstName} ${user.lastName}`; }", true},
		{"four parts", `function populate(jwt, user, registration, context) {
			jwt.s = user.a + user.b + registration.c + context.d; }`, true},
		{"branches", `function populate(jwt, user) {
			const plan = user.data?.plan; let tier;
			if (plan === "gold") { tier = 1; } else if (plan) { tier = 2; } else tier = 3;
			switch (tier) { case 1: jwt.gold = true; break; default: jwt.gold = false; }
			try { jwt.t = tier > 1 ? "low" : "high"; } catch (e) { jwt.e = true; } finally { jwt.f = 1; }
			delete jwt.email; jwt.n = typeof user.x === "undefined" && !("y" in user); jwt.k = -tier * 2 ** 3; }`, true},
		{"throw", `function populate(jwt) { throw "no"; }`, true},
		{"returns early", `function populate(jwt, user) { if (!user.data) return; jwt.x = 1; }`, true},
		{"a builtin stored, never called", `function populate(jwt) { jwt.f = Math.max; var m = JSON; jwt.m = m.parse; }`, true},
		{"counter", `function populate(jwt) { var i = 0; i++; jwt.i = i; }`, true},
		{"console", `function populate(jwt, user) { console.info("populating", user.email); console.debug(jwt); }`, true},

		{"for", `function populate(jwt) { for (var i = 0; i < 1; i++) {} }`, false},
		{"for ever, broken", `function populate(jwt) { for (;;) { break; } }`, false},
		{"while", `function populate(jwt) { while (false) {} }`, false},
		{"do", `function populate(jwt) { do {} while (false); }`, false},
		{"for-in", `function populate(jwt, user) { for (var k in user) {} }`, false},
		{"for-of", `function populate(jwt, user) { for (var r of user.roles) {} }`, false},
		{"labelled block", `function populate(jwt) { a: { break a; } }`, false},
		{"call", `function populate(jwt) { jwt.m = Math.max(1, 2); }`, false},
		{"console shadowed", `function populate(jwt) { var console = {log: Array.prototype.sort}; console.log([2, 1]); }`, false},
		{"console as a parameter", `function populate(jwt, console) { console.log(1); }`, false},
		{"console spread", `function populate(jwt, user) { console.log(...user.roles); }`, false},
		{"console by key", `function populate(jwt) { console["log"](1); }`, false},
		{"console method taken", `function populate(jwt) { (0, console.log)(1); }`, false},
		{"console apply", `function populate(jwt, user) { console.log.apply(null, user.roles); }`, false},
		{"console, other method", `function populate(jwt) { console.warn(1); }`, false},
		{"optional call", `function populate(jwt, user) { user.f?.(); }`, false},
		{"new", `function populate(jwt) { jwt.d = new Date(0); }`, false},
		{"tagged template", "function populate(jwt) { jwt.s = String.raw`x`; }", false},
		{"helper", `function h() {} function populate(jwt) { jwt.x = 1; }`, false},
		{"arrow", `function populate(jwt) { var f = () => 1; }`, false},
		{"function expression", `function populate(jwt) { var f = function () {}; }`, false},
		{"class", `function populate(jwt) { class A {} }`, false},
		{"getter", `function populate(jwt) { jwt.o = {get x() { return 1; }}; }`, false},
		{"method", `function populate(jwt) { jwt.o = {m() {}}; }`, false},
		{"spread", `function populate(jwt, user) { jwt.r = [...user.roles]; }`, false},
		{"object spread", `function populate(jwt, user) { jwt.u = {...user}; }`, false},
		{"destructuring", `function populate(jwt, user) { var {email} = user; }`, false},
		{"array destructuring", `function populate(jwt, user) { var [r] = user.roles; }`, false},
		{"destructured parameter", `function populate(jwt, {email}) { jwt.e = email; }`, false},
		{"default parameter", `function populate(jwt, user = {}) { jwt.x = 1; }`, false},
		{"rest parameter", `function populate(jwt, ...rest) { jwt.x = 1; }`, false},
		{"instanceof", `function populate(jwt, user) { jwt.a = user instanceof Object; }`, false},
		{"with", `function populate(jwt) { with (jwt) { x = 1; } }`, false},
		{"this", `function populate(jwt) { jwt.g = this; }`, false},
		{"regexp literal", `function populate(jwt) { jwt.r = /a/; }`, false},
		{"arguments", `function populate(jwt) { jwt.n = arguments.length; }`, false},
		{"populate named", `function populate(jwt) { jwt.f = populate; }`, false},
		{"top-level variable", `var n = 0; function populate(jwt) { jwt.n = n; }`, false},
		{"async", `async function populate(jwt) { jwt.x = 1; }`, false},
		{"toString written", `function populate(jwt) { var o = {}; o.toString = Array.prototype.sort; jwt.s = o + ""; }`, false},
		{"valueOf by literal key", `function populate(jwt) { var o = {}; o["valueOf"] = Math.max; jwt.s = -o; }`, false},
		{"toString in a literal", `function populate(jwt) { jwt.s = ({toString: Array.prototype.join}) + ""; }`, false},
		{"toString shorthand", `function populate(jwt) { var toString = 1; jwt.o = {toString}; }`, false},
		{"global toString", `function populate(jwt) { toString = Math.max; }`, false},
		{"toJSON", `function populate(jwt) { jwt.o = {toJSON: Math.max}; }`, false},
		{"__proto__", `function populate(jwt) { jwt.o = {__proto__: Array.prototype}; }`, false},
		{"computed write", `function populate(jwt, user) { var o = {}; o[user.k] = Math.max; }`, false},
		{"computed key", `function populate(jwt, user) { jwt.o = {[user.k]: 1}; }`, false},
		{"doubling", `function populate(jwt, user) { var s = user.x; s = s + s; s = s + s; jwt.s = s; }`, false},
		{"doubling with +=", `function populate(jwt, user) { var s = user.x; s += s; jwt.s = s; }`, false},
		{"doubling through a claim", `function populate(jwt, user) { jwt.s = user.x + user.x; jwt.t = jwt.s + jwt.s; }`, false},
		{"doubling through an alias", `function populate(jwt, user) { var o = user.data; o.s = user.x + user.x; jwt.t = user.data.s + user.data.s; }`, false},
		{"doubling through an array", `function populate(jwt, user) { var a = [user.x + user.x]; jwt.t = a[0] + a[0]; }`, false},
		{"doubling through a numeric-like key", `function populate(jwt, user) { jwt["1"] = user.x + user.x + user.x + user.x;
			jwt["2"] = jwt[1] + jwt[1] + jwt[1] + jwt[1]; jwt["3"] = jwt[2] + jwt[2] + jwt[2] + jwt[2]; }`, false},
		{"doubling through a number key read as a string", `function populate(jwt, user) { jwt[1] = user.x + user.x;
			jwt.t = jwt["1"] + jwt["1"]; }`, false},
		{"doubling through a number key in a literal", `function populate(jwt, user) { jwt[2] = {1e0: user.x + user.x};
			jwt.t = jwt["2"]["1"] + jwt["2"]["1"]; }`, false},
		{"doubling through Infinity written as a number", `function populate(jwt, user) { jwt[1e999] = user.x + user.x;
			jwt.t = jwt.Infinity + jwt.Infinity; }`, false},
		{"doubling through Infinity read as a number", `function populate(jwt, user) { jwt.Infinity = user.x + user.x;
			jwt.t = jwt[1e999] + jwt[1e999]; }`, false},
		{"doubling through a variable named Infinity", `function populate(jwt, user) { var Infinity = user.x + user.x;
			jwt.t = Infinity + Infinity; }`, false},
		{"doubling through a computed read", `function populate(jwt, user) { jwt.s = user.x + user.x; jwt.t = jwt[user.k] + jwt[user.k]; }`, false},
		{"doubling through catch", `function populate(jwt, user) { try { throw user.x + user.x; } catch (e) { jwt.t = e + e; } }`, false},
		{"nested concatenation", `function populate(jwt, user) { jwt.t = (user.c ? user.x + user.x : "") + user.x; }`, false},
		{"assignment inside", `function populate(jwt, user) { var s; jwt.t = (s = user.x) + s; }`, false},
		{"five parts", `function populate(jwt, user) { jwt.s = user.a + user.b + user.c + user.d + user.e; }`, false},
		{"long template", "function populate(jwt, user) { jwt.s = `${user.x}${user.x}${user.x}${user.x}${user.x}`; }", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := compile(jwtLambda("b", tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.bounded != tt.bounded {
				t.Errorf("bounded = %v, want %v", c.bounded, tt.bounded)
			}
		})
	}
}

// TestBoundedBodiesRunOnTheCallersGoroutine: a call of a bounded body runs
// its JavaScript on the goroutine that called Populate; the same work with a
// loop added (not bounded) runs on the runtime's own goroutine. Seen from
// outside: while the call runs, the goroutine whose stack holds goja's
// interpreter running populate is found in a dump of every goroutine's
// stack.
func TestBoundedBodiesRunOnTheCallersGoroutine(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxConcurrent: 1})
	// Comparing two equal 4 MiB strings the body cannot tell apart in
	// advance keeps the call busy for a while, without allocating.
	big := strings.Repeat("x", 4<<20)
	user, err := json.Marshal(map[string]any{"a": big, "b": big})
	if err != nil {
		t.Fatal(err)
	}
	work := strings.Repeat("jwt.same = a == b;\n", 300)
	bounded := `function populate(jwt, user) { var a = user.a, b = user.b;` + work + `}`
	looping := `function populate(jwt, user) { var a = user.a, b = user.b;` + work + `for (;;) { break; } }`
	for _, tt := range []struct {
		name, body string
		onCaller   bool
	}{{"bounded", bounded, true}, {"not bounded", looping, false}} {
		t.Run(tt.name, func(t *testing.T) {
			l := jwtLambda("g-"+tt.name, tt.body)
			in := Input{Claims: baseClaims(), User: json.RawMessage(user)}
			mustSucceed(t, e.Populate(context.Background(), l, in)) // the runtime is built, on the caller's goroutine
			for attempt := 0; ; attempt++ {
				caller, runner := interpreterGoroutine(t, func() { mustSucceed(t, e.Populate(context.Background(), l, in)) })
				if runner == "" {
					if attempt == 20 {
						t.Fatal("the call was never seen running")
					}
					continue
				}
				if got := runner == caller; got != tt.onCaller {
					t.Errorf("ran on the caller's goroutine: %v, want %v (caller %s, interpreter %s)", got, tt.onCaller, caller, runner)
				}
				return
			}
		})
	}
}

// interpreterGoroutine runs call on the current goroutine while another one
// dumps every goroutine's stack until call returns, and reports the id of
// the current goroutine and that of the first goroutine seen running goja's
// interpreter for a lambda call ("" if none was seen).
func interpreterGoroutine(t *testing.T, call func()) (caller, runner string) {
	t.Helper()
	caller = goroutineID(stack(false))
	done := make(chan struct{})
	found := make(chan string, 1)
	go func() {
		seen := ""
		defer func() { found <- seen }()
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, g := range strings.Split(stack(true), "\n\n") {
				if strings.Contains(g, "(*sandbox).call1(") && strings.Contains(g, "github.com/dop251/goja.(*vm).run(") {
					seen = goroutineID(g)
					return
				}
			}
		}
	}()
	call()
	close(done)
	return caller, <-found
}

func stack(all bool) string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, all)])
}

// goroutineID reads the id from a stack dump's header, "goroutine 7 [running]:".
func goroutineID(dump string) string {
	f := strings.Fields(dump)
	if len(f) < 2 || f[0] != "goroutine" {
		panic("unexpected stack dump: " + dump)
	}
	return f[1]
}

// TestBoundedBodiesEndWithLargeInputs runs bodies made of random sequences
// of bounded statements, each as heavy as the proof allows (the largest
// concatenations, joins, comparisons and conversions of a large input), on
// the caller's goroutine: each is proved bounded, and each call ends as a
// success or as a failure the limits give (timeout, memory, too-large, or an
// exception), never as a fault, and returns. How much longer than Timeout
// the slowest Populate took is logged, not asserted (a test's timing is not
// evidence; docs/decisions.md, "Lambda calls").
func TestBoundedBodiesEndWithLargeInputs(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 100 * time.Millisecond})
	roles := make([]string, 100000)
	data := map[string]any{}
	for i := range roles {
		roles[i] = "role-" + strconv.Itoa(i)
		if i < 1000 {
			data["k"+strconv.Itoa(i)] = strings.Repeat("v", i)
		}
	}
	user, err := json.Marshal(map[string]any{"big": strings.Repeat("x", 1<<20), "big2": strings.Repeat("x", 1<<20),
		"uni": strings.Repeat("é", 1<<19), "roles": roles, "data": data, "n": "1" + strings.Repeat("0", 1<<20)})
	if err != nil {
		t.Fatal(err)
	}
	statements := []string{
		`jwt.a = user.big + user.big + user.uni + user.big;`,
		"jwt.b = `${user.uni}${user.big}!`;",
		`jwt.c = user.roles + "";`,
		`jwt.d = [user.roles, user.roles, user.roles, user.data] + "";`,
		`jwt.e = user.big == user.big2 && user.big < user.uni;`,
		`jwt.f = -user.n + +user.big;`,
		`jwt.g = user.data[user.big] === undefined;`,
		`jwt.h = {x: user.roles, y: user.data};`,
		`jwt.i = user.big in user.data ? 1 : typeof user.uni;`,
		`var arr = []; arr.length = 4294967295; jwt.k = arr.length;`,
		`jwt.l = user.data + user.roles + user.uni;`,
		`delete user.data.k1; jwt.m = user.data.k999;`,
		`jwt.o = [user.big, user.uni, user.roles];`,
		`console.log(user.big, user.uni, user.roles, user.data); console.error(user.roles);`,
	}
	rnd := rand.New(rand.NewPCG(14, 1))
	var late time.Duration
	for i := range 40 {
		var b strings.Builder
		for range 1 + rnd.IntN(30) {
			b.WriteString(statements[rnd.IntN(len(statements))])
		}
		body := "function populate(jwt, user) {" + b.String() + "}"
		l := jwtLambda("large-"+strconv.Itoa(i), body)
		if c, err := e.program(l); err != nil || !c.bounded {
			t.Fatalf("body %d is not bounded (%v): %s", i, err, body)
		}
		var r Result
		start := time.Now()
		within(t, 10*time.Second, func() {
			r = e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: json.RawMessage(user)})
		})
		late = max(late, time.Since(start)-e.cfg.Timeout)
		if f, ok := r.Err.(*Failure); ok && !slices.Contains([]Reason{ReasonTimeout, ReasonMemory, ReasonTooLarge, ReasonException}, f.Reason) {
			t.Errorf("body %d: %s (%s)", i, f.Reason, f.Detail)
		}
	}
	t.Logf("the slowest Populate took %v longer than Timeout, runtimes rebuilt after stopped calls included", late)
}

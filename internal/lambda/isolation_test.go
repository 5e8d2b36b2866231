package lambda

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestCallsDoNotShareState: runtimes are reused, so every way a body could
// leave state behind is tried, and the next call (the same lambda, and
// another one) must see none of it.
func TestCallsDoNotShareState(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxConcurrent: 1}) // one runtime: every call reuses it
	writer := `
		var topLevel = (typeof topLevel === "undefined" ? 0 : topLevel) + 1;
		function populate(jwt, user) {
			jwt.seen = [typeof leaked, typeof globalThis.viaThis, typeof topLevel === "number" ? topLevel : -1,
				typeof Array.prototype.extra, typeof Object.prototype.polluted, JSON.stringify.name === "x",
				typeof Function.prototype.extra, typeof user.data.injected].join(",");
			leaked = user.email;                     // sloppy-mode implicit global
			globalThis.viaThis = user.email;
			try { Array.prototype.extra = 1; } catch (e) {}
			try { Object.prototype.polluted = 1; } catch (e) {}
			try { Object.defineProperty(JSON.stringify, "name", {value: "x"}); } catch (e) {}
			try { Function.prototype.extra = 1; } catch (e) {}
			try { Object.defineProperty(globalThis, "hidden", {value: 1}); } catch (e) {}
			try { Object.freeze(globalThis); } catch (e) {}
			user.data.injected = 1;
		}`
	reader := `function populate(jwt) {
		jwt.seen = [typeof leaked, typeof viaThis, typeof hidden, typeof Array.prototype.extra,
			typeof Object.prototype.polluted, Object.isFrozen(globalThis)].join(",");
	}`
	user := decode(testUser)
	for i := range 3 {
		r := e.Populate(context.Background(), jwtLambda("writer", writer), Input{Claims: baseClaims(), User: user})
		claims := mustSucceed(t, r)
		// topLevel is 1 on every call: top-level declarations are made anew.
		if want := "undefined,undefined,1,undefined,undefined,false,undefined,undefined"; claims["seen"] != want {
			t.Errorf("writer call %d saw %v, want %v", i, claims["seen"], want)
		}
		r = e.Populate(context.Background(), jwtLambda("reader", reader), Input{Claims: baseClaims(), User: user})
		if want := "undefined,undefined,undefined,undefined,undefined,false"; mustSucceed(t, r)["seen"] != want {
			t.Errorf("reader after writer %d saw %v, want %v", i, r.Claims["seen"], want)
		}
	}
	if _, ok := user["injected"]; ok {
		t.Errorf("a body wrote into the caller's user map")
	}
}

// TestOverridesOnOwnObjectsStillWork: builtins are frozen, but code that
// shadows a builtin on its own objects keeps working (the override mistake
// is tamed for the usual names).
func TestOverridesOnOwnObjectsStillWork(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	for _, mode := range []string{"", `"use strict";`} {
		claims := mustSucceed(t, populate(t, e, mode+`function populate(jwt) {
			var o = {}; o.toString = function () { return "custom"; };
			var err = new Error("m"); err.name = "MyError";
			function Point() {} Point.prototype.toString = function () { return "point"; };
			jwt.out = [String(o), err.name, String(new Point()), err.toString()].join("|");
		}`))
		if want := "custom|MyError|point|MyError: m"; claims["out"] != want {
			t.Errorf("%q: out = %v, want %v", mode, claims["out"], want)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxWait: 30 * time.Second}) // the first calls build runtimes, slowly under -race
	const workers, calls = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				id := fmt.Sprintf("w%d-%d", w, i)
				in := Input{Claims: baseClaims(), User: map[string]any{"id": id}}
				l := jwtLambda(fmt.Sprintf("lambda-%d", w%3), `function populate(jwt, user) {
					globalThis.last = user.id;
					jwt.echo = user.id;
					jwt.prev = typeof last === "string" && last !== user.id ? last : "";
				}`)
				r := e.Populate(context.Background(), l, in)
				switch {
				case r.Err != nil:
					errs <- fmt.Errorf("%s: %v", id, r.Err)
				case r.Claims["echo"] != id || r.Claims["prev"] != "":
					errs <- fmt.Errorf("%s: echo %v prev %v", id, r.Claims["echo"], r.Claims["prev"])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRuntimesAreRetired(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxConcurrent: 1})
	body := `function populate(jwt) { jwt.s = typeof Symbol("k" + Math.random()); }`
	for range 3 {
		mustSucceed(t, populate(t, e, body))
	}
	sb := <-e.idle
	if sb.uses != 3 {
		t.Fatalf("uses = %d, want 3", sb.uses)
	}
	sb.uses = maxUses - 1
	e.idle <- sb
	mustSucceed(t, populate(t, e, body))
	if len(e.idle) != 0 {
		t.Errorf("a runtime past maxUses went back to the pool")
	}
	mustSucceed(t, populate(t, e, body)) // a new one is built
}

package lambda

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleRuntimesEndWithTheEngine: each pooled runtime has a goroutine
// waiting for its next call; an engine nobody uses any more must not keep
// them (and the runtimes they hold) alive for the rest of the process.
func TestIdleRuntimesEndWithTheEngine(t *testing.T) {
	// Engines of earlier tests end theirs when collected: let them go first,
	// so that only this test's engine changes the count.
	before := servingGoroutines()
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		n := servingGoroutines()
		if n == before {
			break
		}
		before = n
	}
	if n := useAnEngine(t); n <= before {
		t.Fatalf("%d runtime goroutines after the calls, %d before: the pooled runtimes have none?", n, before)
	}
	deadline := time.Now().Add(time.Minute)
	for servingGoroutines() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d runtime goroutines a minute after the engine was dropped, %d before it was made", servingGoroutines(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// servingGoroutines counts the goroutines of pooled runtimes (sandbox.serve).
func servingGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "lambda.(*sandbox).serve(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// useAnEngine runs concurrent calls on an engine of its own, so that it
// pools several runtimes, counts the runtimes' goroutines while the engine
// is still reachable, and drops it. (Counted after it returns, a collection
// in between could already have ended them.)
func useAnEngine(t *testing.T) (serving int) {
	e, _ := newTestEngine(t, Config{MaxConcurrent: 3, MaxWait: time.Minute})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustSucceed(t, e.Populate(context.Background(), jwtLambda("l", `function populate(jwt) { jwt.a = 1; }`),
				Input{Claims: baseClaims()}))
		}()
	}
	wg.Wait()
	serving = servingGoroutines()
	runtime.KeepAlive(e)
	return serving
}

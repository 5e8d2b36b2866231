package lambda

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestIdleRuntimesEndWithTheEngine: each pooled runtime has a goroutine
// waiting for its next call; an engine nobody uses any more must not keep
// them (and the runtimes they hold) alive for the rest of the process.
func TestIdleRuntimesEndWithTheEngine(t *testing.T) {
	before := runtime.NumGoroutine()
	useAnEngine(t)
	if n := runtime.NumGoroutine(); n <= before {
		t.Fatalf("goroutines %d after the calls, %d before: the pooled runtimes have none?", n, before)
	}
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines a minute after the engine was dropped, %d before it was made", runtime.NumGoroutine(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// useAnEngine runs concurrent calls on an engine of its own, so that it
// pools several runtimes, and drops it.
func useAnEngine(t *testing.T) {
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
}

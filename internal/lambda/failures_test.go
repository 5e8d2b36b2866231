package lambda

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestFailuresHandOnTheEventLogText: a call that throws hands Config.Failures
// one text naming the lambda, its id and the reason, with the call's console
// output (log/info and error; the exception's own text only with debug on);
// a call that succeeds, console output and all, hands nothing, so token
// minting writes nothing for a lambda that works.
func TestFailuresHandOnTheEventLogText(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e, _ := newTestEngine(t, Config{Failures: func(_ context.Context, m string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
	}})
	for _, debug := range []bool{false, true} {
		got = nil
		l := jwtLambda("thrower", `function populate(jwt, user) { console.log("looking at", user.email); console.error("giving up"); throw new Error("no plan for " + user.email); }`)
		l.Name, l.Debug = "Plans", debug
		e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: decode(testUser)})
		if len(got) != 1 {
			t.Fatalf("debug=%v: %d texts, want 1: %q", debug, len(got), got)
		}
		for _, want := range []string{"The lambda [Plans] with Id [thrower] failed (exception)", "console.info: looking at ana@example.com", "console.error: giving up"} {
			if !strings.Contains(got[0], want) {
				t.Errorf("debug=%v: %q lacks %q", debug, got[0], want)
			}
		}
		if strings.Contains(got[0], "no plan for") != debug {
			t.Errorf("debug=%v: the exception's text in %q", debug, got[0])
		}
	}
	got = nil
	ok := jwtLambda("fine", `function populate(jwt) { console.log("all good"); jwt.plan = "gold"; }`)
	if r := e.Populate(context.Background(), ok, Input{Claims: baseClaims()}); r.Err != nil || len(got) != 0 {
		t.Fatalf("a call that succeeded: err %v, texts %q; want none", r.Err, got)
	}
}

package lambda

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestConsoleOutputIsLoggedWithTheLambdaID(t *testing.T) {
	for _, debug := range []bool{false, true} {
		e, logs := newTestEngine(t, Config{})
		l := jwtLambda("talker", `function populate(jwt, user) {
			console.log("log " + user.firstName);
			console.info("info", 2, {a: 1});
			console.debug("debug detail");
			console.error("error\nwith a newline");
			jwt.ok = true;
		}`)
		l.Debug = debug
		r := e.Populate(context.Background(), l, Input{Claims: baseClaims(), User: decode(testUser)})
		mustSucceed(t, r)
		byLevel := map[string]string{}
		for _, rec := range logs.records(t) {
			if rec["msg"] != "lambda console output" {
				continue
			}
			if rec["lambdaId"] != "talker" {
				t.Errorf("record without the lambda id: %v", rec)
			}
			byLevel[rec["level"].(string)] = rec["output"].(string)
		}
		// FusionAuth: one entry per level and call; debug only with debug on.
		if byLevel["INFO"] != "log Ana\ninfo 2 [object Object]" {
			t.Errorf("debug=%v: info output %q", debug, byLevel["INFO"])
		}
		if byLevel["ERROR"] != "error\nwith a newline" {
			t.Errorf("debug=%v: error output %q", debug, byLevel["ERROR"])
		}
		if _, ok := byLevel["DEBUG"]; ok != debug {
			t.Errorf("debug=%v: debug output present: %v", debug, ok)
		}
	}
}

func TestConsoleOutputIsBounded(t *testing.T) {
	e, logs := newTestEngine(t, Config{MaxConsoleBytes: 1000, Timeout: 10 * time.Second})
	r := populate(t, e, `function populate(jwt) {
		for (var i = 0; i < 2000; i++) console.log("line " + i + " " + "é".repeat(50));
		jwt.ok = true;
	}`)
	mustSucceed(t, r)
	out := logs.String()
	if len(out) > 4000 {
		t.Errorf("%d bytes of log for a 1000-byte console limit", len(out))
	}
	if !strings.Contains(out, "console output truncated") {
		t.Errorf("truncation not marked: %s", out)
	}
}

func TestConsoleOutputOfAFailedCallIsKept(t *testing.T) {
	e, logs := newTestEngine(t, Config{})
	populate(t, e, `function populate(jwt) { console.error("about to fail"); throw new Error("x"); }`)
	if !strings.Contains(logs.String(), "about to fail") {
		t.Errorf("the console output before a throw was lost: %s", logs)
	}
}

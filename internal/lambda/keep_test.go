package lambda

import (
	"context"
	"testing"
)

// TestKeptPopulateKeepsNoState: a runtime keeps populate only for bodies
// whose functions no call can get hold of (keepable). Each body below tries
// to carry a counter from one call to the next on the same runtime; every
// call must still see a fresh start (n = 1). Bodies that keep populate
// must also still be cleaned (a global set through a helper's this).
func TestKeptPopulateKeepsNoState(t *testing.T) {
	tests := []struct {
		name, body string
		keep       bool
	}{
		{"helper called", `function helper(x) { return x + 1; } function populate(jwt) { jwt.n = helper(0); }`, true},
		{"use strict", `"use strict"; function populate(jwt) { jwt.n = 1; }`, true},
		{"global through a helper's this", `function h() { return this; }
			function populate(jwt) { var g = h(); g.n = (g.n || 0) + 1; jwt.n = g.n; }`, true},
		{"recursion", `function populate(jwt, user, registration, context, depth) {
			if (depth) { return; } populate(jwt, user, registration, context, 1); jwt.n = 1; }`, true},
		{"property on populate", `function populate(jwt) { populate.n = (populate.n || 0) + 1; jwt.n = populate.n; }`, false},
		{"property on a helper", `function h() {} function populate(jwt) { h.n = (h.n || 0) + 1; jwt.n = h.n; }`, false},
		{"helper returns itself", `function h() { return h; } function populate(jwt) { var f = h(); f.n = (f.n || 0) + 1; jwt.n = f.n; }`, false},
		{"prototype through new", `function P() {}
			function populate(jwt) { var p = Object.getPrototypeOf(new P()); p.n = (p.n || 0) + 1; jwt.n = p.n; }`, false},
		{"generator prototype", `function* g() {}
			function populate(jwt) { var p = Object.getPrototypeOf(g()); p.n = (p.n || 0) + 1; jwt.n = p.n; }`, false},
		{"arguments.callee", `function populate(jwt) { var f = arguments.callee; f.n = (f.n || 0) + 1; jwt.n = f.n; }`, false},
		{"helper reassigned", `function h() {} function populate(jwt) { jwt.n = typeof h === "function" ? 1 : 2; h = 0; }`, false},
		{"top-level variable", `var n = 0; function populate(jwt) { n++; jwt.n = n; }`, false},
		{"helper passed along", `function h() {} function populate(jwt) { [h].forEach(function (f) { f.n = (f.n || 0) + 1; jwt.n = f.n; }); }`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEngine(t, Config{MaxConcurrent: 1}) // one runtime: every call reuses it
			l := jwtLambda("keep", tt.body)
			c, err := e.program(l)
			if err != nil {
				t.Fatal(err)
			}
			if c.keep != tt.keep {
				t.Errorf("keepable = %v, want %v", c.keep, tt.keep)
			}
			for i := range 3 {
				claims := mustSucceed(t, e.Populate(context.Background(), l, Input{Claims: baseClaims()}))
				if claims["n"] != int64(1) {
					t.Errorf("call %d: n = %v, want 1", i, claims["n"])
				}
			}
		})
	}
}

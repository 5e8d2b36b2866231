package lambda

import (
	"context"
	"encoding/json"
	"testing"
)

// TestUnreadArgumentsAreNotBuilt: a body that cannot read the user (or the
// registration, or the context) does not make Populate call the caller's
// Lazy for it; every way a body can reach an argument makes it call it,
// and the body sees the argument.
func TestUnreadArgumentsAreNotBuilt(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	tests := []struct {
		name, body string
		userRead   bool
		want       any // jwt.out, when the body sets it
	}{
		{"no user parameter", `function populate(jwt) { jwt.out = 1; }`, false, int64(1)},
		{"user parameter never named", `function populate(jwt, user, registration, context) { jwt.out = 1; }`, false, int64(1)},
		{"user named", `function populate(jwt, user) { jwt.out = user.email; }`, true, "ana@example.com"},
		{"user named with an escape", `function populate(jwt, user) { jwt.out = \u0075ser.email; }`, true, "ana@example.com"},
		{"through arguments", `function populate(jwt) { jwt.out = arguments[1].email; }`, true, "ana@example.com"},
		{"arguments in a nested function", `function populate(jwt) { (function () { jwt.out = typeof arguments; })(); }`, true, "object"},
		{"through a closure", `function populate(jwt, u) { function f() { return u; } jwt.out = f().email; }`, true, "ana@example.com"},
		{"rest parameter", `function populate(jwt, ...rest) { jwt.out = rest[0].email; }`, true, "ana@example.com"},
		{"destructured", `function populate(jwt, {email}) { jwt.out = email; }`, true, "ana@example.com"},
		{"a later default", `function populate(jwt, user, registration = user) { jwt.out = registration.email; }`, true, "ana@example.com"},
		{"with", `function populate(jwt, user) { jwt.out = 0; with (jwt) { out = user.email; } }`, true, "ana@example.com"},
		{"populate reassigned", `function populate(jwt) {} populate = function (jwt, user) { jwt.out = user.email; };`, true, "ana@example.com"},
		{"populate as an expression", `var populate = function (jwt, user) { jwt.out = user.email; };`, true, "ana@example.com"},
		{"two declarations", `function populate(jwt) {} function populate(jwt, user) { jwt.out = user.email; }`, true, "ana@example.com"},
		{"populate named inside", `function populate(jwt, user) { jwt.out = populate.length; }`, true, int64(2)},
		{"same name, property only", `function populate(jwt, user) { jwt.user = 1; jwt.out = 1; }`, true, int64(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			user := Lazy(func() any { calls++; return json.RawMessage(testUser) })
			r := e.Populate(context.Background(), jwtLambda("l-"+tt.name, tt.body), Input{Claims: baseClaims(), User: user})
			claims := mustSucceed(t, r)
			if (calls > 0) != tt.userRead {
				t.Errorf("the user was built %d times; want it built: %v", calls, tt.userRead)
			}
			if got := claims["out"]; got != tt.want {
				t.Errorf("out = %v, want %v", got, tt.want)
			}
		})
	}
}

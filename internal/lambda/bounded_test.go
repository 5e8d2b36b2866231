package lambda

import (
	"testing"
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

		{"for", `function populate(jwt) { for (var i = 0; i < 1; i++) {} }`, false},
		{"for ever, broken", `function populate(jwt) { for (;;) { break; } }`, false},
		{"while", `function populate(jwt) { while (false) {} }`, false},
		{"do", `function populate(jwt) { do {} while (false); }`, false},
		{"for-in", `function populate(jwt, user) { for (var k in user) {} }`, false},
		{"for-of", `function populate(jwt, user) { for (var r of user.roles) {} }`, false},
		{"labelled block", `function populate(jwt) { a: { break a; } }`, false},
		{"call", `function populate(jwt) { jwt.m = Math.max(1, 2); }`, false},
		{"console", `function populate(jwt) { console.log("x"); }`, false},
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

package lambda

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPopulateAddsClaims(t *testing.T) {
	e, logs := newTestEngine(t, Config{})
	r := populate(t, e, `function populate(jwt, user, registration, context) {
		jwt.favoriteColor = user.data.favoriteColor;
		jwt.department = registration.data.department;
		jwt.scopesSeen = context.scopes;
		jwt.n = 42; jwt.pi = 3.5; jwt.ok = false;
		jwt.nested = {a: [1, "two", {three: null}], b: {c: true}};
		jwt.roles = jwt.roles.concat(["admin"]);
		jwt.email = "changed@example.com";
	}`)
	claims := mustSucceed(t, r)
	want := map[string]any{
		"favoriteColor": "teal", "department": "R&D", "scopesSeen": []any{"openid"},
		"n": int64(42), "pi": 3.5, "ok": false,
		"nested": map[string]any{"a": []any{int64(1), "two", map[string]any{"three": nil}}, "b": map[string]any{"c": true}},
		"roles":  []any{"user", "admin"}, "email": "changed@example.com",
	}
	for k, v := range want {
		if !reflect.DeepEqual(claims[k], v) {
			t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
		}
	}
	for _, k := range Reserved {
		if was, ok := baseClaims()[k]; ok && !reflect.DeepEqual(claims[k], was) {
			t.Errorf("reserved claim %s = %#v, want the original %#v", k, claims[k], was)
		}
	}
	if len(r.Restored) != 0 || len(r.Dropped) != 0 {
		t.Errorf("Restored %v, Dropped %v; want none", r.Restored, r.Dropped)
	}
	if strings.Contains(logs.String(), "failed") {
		t.Errorf("a successful call logged a failure: %s", logs)
	}
}

func TestPopulateDoesNotTouchTheCallersClaims(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	in := baseClaims()
	before, _ := json.Marshal(in)
	r := e.Populate(context.Background(), jwtLambda("l1", `function populate(jwt) { jwt.x = 1; delete jwt.email; }`),
		Input{Claims: in, User: decode(testUser)})
	mustSucceed(t, r)
	after, _ := json.Marshal(in)
	if string(before) != string(after) {
		t.Errorf("the caller's map changed:\n%s\n%s", before, after)
	}
	if _, ok := r.Claims["email"]; ok {
		t.Errorf("deleting a non-reserved claim should remove it: %v", r.Claims)
	}
}

func TestPopulateNullRemovesAClaim(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	claims := mustSucceed(t, populate(t, e, `function populate(jwt) { jwt.email = null; jwt.roles = undefined; }`))
	for _, k := range []string{"email", "roles"} {
		if _, ok := claims[k]; ok {
			t.Errorf("claim %s set to null/undefined is still there: %v", k, claims[k])
		}
	}
}

func TestPopulateUnregisteredUserGetsUndefined(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	r := e.Populate(context.Background(), jwtLambda("l1", `function populate(jwt, user, registration, context) {
		jwt.registered = registration !== undefined;
		jwt.scopes = context.scopes;
	}`), Input{Claims: baseClaims(), User: decode(testUser)})
	claims := mustSucceed(t, r)
	if claims["registered"] != false || !reflect.DeepEqual(claims["scopes"], []any{}) {
		t.Errorf("registered=%v scopes=%#v; want false and []", claims["registered"], claims["scopes"])
	}
}

func TestPopulateThreeParameterBodiesAndLetBindings(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	for name, body := range map[string]string{
		"declaration":  `function populate(jwt, user, registration) { jwt.ok = true; }`,
		"let arrow":    `let populate = (jwt) => { jwt.ok = true; };`,
		"const helper": `const mark = j => j.ok = true; function populate(jwt) { mark(jwt); }`,
		"use strict":   `"use strict"; function populate(jwt) { jwt.ok = true; }`,
	} {
		t.Run(name, func(t *testing.T) {
			if claims := mustSucceed(t, populate(t, e, body)); claims["ok"] != true {
				t.Errorf("ok = %v", claims["ok"])
			}
		})
	}
}

func TestPopulateUnicode(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	claims := mustSucceed(t, populate(t, e, `function populate(jwt, user) {
		jwt["名前"] = "Zoë 👩‍💻 " + user.firstName;
		jwt.emoji = "🔑".repeat(3);
		jwt.length = "😀".length;
		jwt.upper = "straße".toUpperCase();
	}`))
	want := map[string]any{"名前": "Zoë 👩‍💻 Ana", "emoji": "🔑🔑🔑", "length": int64(2), "upper": "STRASSE"}
	for k, v := range want {
		if !reflect.DeepEqual(claims[k], v) {
			t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
		}
	}
}

func TestPopulateDropsValuesJSONCannotCarry(t *testing.T) {
	e, logs := newTestEngine(t, Config{})
	r := populate(t, e, `function populate(jwt) {
		jwt.fn = function () {};
		jwt.nan = NaN;
		jwt.inf = -Infinity;
		jwt.sym = Symbol("s");
		var cyc = {a: 1}; cyc.self = cyc; jwt.cyc = cyc;
		jwt.deepFn = {list: [1, {f: () => 1}]};
		var deep = {}; for (var i = 0, d = deep; i < 40; i++) { d.x = {}; d = d.x; } jwt.deep = deep;
		jwt.kept = {u: undefined, list: [undefined, 1], when: new Date(0)};
	}`)
	claims := mustSucceed(t, r)
	for _, k := range []string{"fn", "nan", "inf", "sym", "cyc", "deepFn", "deep"} {
		if _, ok := claims[k]; ok {
			t.Errorf("claim %s should be dropped, got %#v", k, claims[k])
		}
	}
	want := map[string]any{"list": []any{nil, int64(1)}, "when": "1970-01-01T00:00:00.000Z"}
	if !reflect.DeepEqual(claims["kept"], want) {
		t.Errorf("kept = %#v, want %#v", claims["kept"], want)
	}
	if len(r.Dropped) != 7 {
		t.Errorf("Dropped = %v, want 7 entries", r.Dropped)
	}
	if !strings.Contains(logs.String(), "cannot be encoded") || !strings.Contains(logs.String(), "cyc (a cycle)") {
		t.Errorf("the drops were not logged: %s", logs)
	}
	if _, err := json.Marshal(claims); err != nil {
		t.Errorf("the result does not encode: %v", err)
	}
}

func TestPopulateClaimsSizeLimit(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxClaimsBytes: 4 << 10})
	in := baseClaims()
	r := populate(t, e, `function populate(jwt) { jwt.big = "x".repeat(5000); }`)
	if got := failureReason(t, r, in); got != ReasonTooLarge {
		t.Errorf("reason = %s, want %s", got, ReasonTooLarge)
	}
}

// TestPopulateArgumentsFromGoValues: callers pass JSON views built in Go as
// well as decoded JSON; both reach the body as plain JavaScript values.
func TestPopulateArgumentsFromGoValues(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	user := map[string]any{
		"id": "u1", "active": true, "birthDate": "1990-01-02", "tenantId": "t1",
		"registrations": []map[string]any{{"applicationId": "app-1", "roles": []string{"admin", "user"}}},
		"data":          map[string]any{"n": 3, "f": 1.5, "u": uint64(7), "when": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		"memberships":   []any{map[string]string{"groupId": "g1"}},
	}
	r := e.Populate(context.Background(), jwtLambda("go", `function populate(jwt, user) {
		jwt.roles = user.registrations[0].roles.filter(r => r !== "user");
		jwt.sum = user.data.n + user.data.f + user.data.u;
		jwt.when = user.data.when;
		jwt.group = user.memberships[0].groupId;
		jwt.isArray = Array.isArray(user.registrations) && Array.isArray(user.registrations[0].roles);
		jwt.keys = Object.keys(user).join();
	}`), Input{Claims: baseClaims(), User: user})
	claims := mustSucceed(t, r)
	want := map[string]any{"roles": []any{"admin"}, "sum": 11.5, "when": "2024-01-02T03:04:05Z", "group": "g1",
		"isArray": true, "keys": "active,birthDate,data,id,memberships,registrations,tenantId"}
	for k, v := range want {
		if !reflect.DeepEqual(claims[k], v) {
			t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
		}
	}
}

package lambda

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"
)

var (
	fuzzOnce   sync.Once
	fuzzEngine *Engine
)

// FuzzPopulate runs arbitrary code as a populate body (and as a whole
// body). Whatever it is, Populate must not panic or hang, the result must
// encode as JSON, every reserved claim must keep its value, and a failed
// call must return the caller's claims unchanged.
func FuzzPopulate(f *testing.F) {
	for _, seed := range []string{
		`jwt.a = 1;`,
		`jwt.sub = "x"; jwt.aud = ["a"]; delete jwt.exp; jwt.cnf = null;`,
		`throw new Error("x");`,
		`for (;;) {}`,
		`var s = "x"; for (;;) s += s;`,
		`jwt.x = [1, {y: NaN}, () => 1];`,
		`Object.defineProperty(jwt, "iss", {get() { return "evil"; }, enumerable: true});`,
		`jwt.d = new Date(0); jwt.r = /x/g; jwt.m = new Map([[1, 2]]);`,
		`jwt.j = JSON.parse(JSON.stringify(user)); jwt.k = Object.keys(registration || {});`,
		`Math.max.apply(null, {length: 1e12});`,
		`jwt.s = "é".repeat(100).split("").reverse().join("");`,
		`leaked = 1; Array.prototype.x = 1; jwt.l = typeof leaked;`,
		`}); function populate(jwt) { jwt.escaped = 1; `,
		`jwt.b = String(1n << 100000000000n);`,
		`jwt.f = Function("return 1")(); jwt.e = eval("2");`,
		`var o = {...jwt, ...user}; jwt.n = Object.keys(o).length;`,
	} {
		f.Add(seed, false)
		f.Add("function populate(jwt, user, registration, context) {\n"+seed+"\n}", true)
	}
	fuzzOnce.Do(func() {
		fuzzEngine = New(Config{Timeout: 50 * time.Millisecond, MemoryLimit: 16 << 20, MaxWait: 200 * time.Millisecond})
	})
	f.Fuzz(func(t *testing.T, code string, whole bool) {
		body := code
		if !whole {
			body = "function populate(jwt, user, registration, context) {\n" + code + "\n}"
		}
		in := baseClaims()
		want, _ := json.Marshal(in)
		l := jwtLambda("fuzz", body)
		var r Result
		within(t, 10*time.Second, func() {
			r = fuzzEngine.Populate(context.Background(), l, Input{Claims: in, User: decode(testUser),
				Registration: decode(testRegistration), Scopes: []string{"openid"}})
		})
		got, err := json.Marshal(r.Claims)
		if err != nil {
			t.Fatalf("the claims do not encode: %v", err)
		}
		for _, c := range Reserved {
			if !reflect.DeepEqual(r.Claims[c], in[c]) {
				t.Fatalf("reserved claim %s changed: %#v -> %#v", c, in[c], r.Claims[c])
			}
		}
		if r.Err != nil && string(got) != string(want) {
			t.Fatalf("a failed call changed the claims: %s", got)
		}
		if again, _ := json.Marshal(in); string(again) != string(want) {
			t.Fatalf("the caller's claims changed")
		}
		fuzzEngine.Validate(l) // must not panic either
	})
}

package lambda

import (
	"context"
	"encoding/json"
	"testing"
)

// TestClaimsNamedLikeObjectPrototypeMembers: claims and user members named
// __proto__, toString or constructor are plain own members of the objects
// the body gets, as JSON.parse would make them, never a change of prototype
// or a call of Object.prototype's accessors.
func TestClaimsNamedLikeObjectPrototypeMembers(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	claims := baseClaims()
	claims["__proto__"] = "p"
	claims["toString"] = "t"
	claims["constructor"] = map[string]any{"__proto__": "q", "plain": 1}
	body := `function populate(jwt, user) {
		jwt.out = [Object.getPrototypeOf(jwt) === Object.prototype, Object.keys(jwt).indexOf("__proto__") >= 0,
			Object.getOwnPropertyDescriptor(jwt, "__proto__").value, jwt.toString, typeof jwt.constructor,
			Object.getOwnPropertyDescriptor(jwt.constructor, "__proto__").value, Object.getPrototypeOf(jwt.constructor) === Object.prototype,
			user.data.plan].join(",");
	}`
	out := mustSucceed(t, e.Populate(context.Background(), jwtLambda("proto", body), Input{Claims: claims, User: decode(testUser)}))
	if want := "true,true,p,t,object,q,true,gold"; out["out"] != want {
		t.Errorf("out = %v, want %v", out["out"], want)
	}
	if out["__proto__"] != "p" || out["toString"] != "t" {
		t.Errorf("the claims came back as %v, %v", out["__proto__"], out["toString"])
	}
}

// TestDataNumbersAreJavaScriptNumbers: a number the API kept exactly (a
// json.Number, internal/jsonnum) reaches the body as a JavaScript number,
// the double JSON.parse makes of it, whether the user is passed as a map or
// as JSON; claims the body builds from it encode as numbers.
func TestDataNumbersAreJavaScriptNumbers(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	data := map[string]any{"big": json.Number("9007199254740993"), "huge": json.Number("12345678901234567890"),
		"tenth": json.Number("0.1"), "negzero": json.Number("-0"), "list": []any{json.Number("2")}}
	body := `function populate(jwt, user) {
		var d = user.data;
		jwt.out = [typeof d.big, d.big === 9007199254740992, d.huge === 12345678901234567890, d.tenth + 0.2 === 0.1 + 0.2,
			Object.is(d.negzero, -0), d.list[0] * 21].join(",");
		jwt.copy = d;
	}`
	asJSON, err := json.Marshal(map[string]any{"email": "ana@example.com", "data": data})
	if err != nil {
		t.Fatal(err)
	}
	for name, user := range map[string]any{"map": map[string]any{"email": "ana@example.com", "data": data}, "JSON": json.RawMessage(asJSON)} {
		t.Run(name, func(t *testing.T) {
			out := mustSucceed(t, e.Populate(context.Background(), jwtLambda("numbers", body), Input{Claims: baseClaims(), User: user}))
			if want := "number,true,true,true,true,42"; out["out"] != want {
				t.Errorf("out = %v, want %v", out["out"], want)
			}
			b, err := json.Marshal(out["copy"])
			if want := `{"big":9007199254740992,"huge":12345678901234567000,"list":[2],"negzero":-0,"tenth":0.1}`; err != nil || string(b) != want {
				t.Errorf("copy encodes as %s (%v), want %s", b, err, want)
			}
		})
	}
}

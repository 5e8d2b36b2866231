package lambda

import (
	"context"
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

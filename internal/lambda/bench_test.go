package lambda

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkPopulate is the cost a simple lambda (one added claim) adds to a
// login or refresh: issue 14 asks for less than 0.1 ms. scripts/test runs it
// once as a smoke run; figures come from a quiet machine, never from CI.
// The generous timeout only keeps a loaded machine from failing the run;
// it does not change what a call costs. The user and registration are
// passed as JSON, as token minting passes them.
func BenchmarkPopulate(b *testing.B) {
	e := New(Config{Timeout: 10 * time.Second})
	l := jwtLambda("bench", `function populate(jwt, user, registration, context) {
		jwt.favoriteColor = user.data.favoriteColor;
	}`)
	in := Input{Claims: baseClaims(), User: json.RawMessage(testUser),
		Registration: json.RawMessage(testRegistration), Scopes: []string{"openid"}}
	ctx := context.Background()
	for b.Loop() {
		if r := e.Populate(ctx, l, in); r.Err != nil || r.Claims["favoriteColor"] != "teal" {
			b.Fatalf("populate: %v %v", r.Err, r.Claims)
		}
	}
}

// BenchmarkPopulateParallel is the same under concurrent logins.
func BenchmarkPopulateParallel(b *testing.B) {
	e := New(Config{Timeout: 10 * time.Second})
	l := jwtLambda("bench", `function populate(jwt, user) { jwt.favoriteColor = user.data.favoriteColor; }`)
	in := Input{Claims: baseClaims(), User: json.RawMessage(testUser)}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := e.Populate(context.Background(), l, in); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	})
}

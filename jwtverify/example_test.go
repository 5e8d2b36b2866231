package jwtverify_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/latchkeyhq/latchkey/jwtverify"
)

// A resource server (the demo Store) protects its API with latchkey tokens
// minted for its own application id.
func Example() {
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer:   "https://login.example.test",
		JWKSURL:  "https://login.example.test/.well-known/jwks.json",
		Audience: "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/load-shopping-cart", v.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			claims, _ := jwtverify.ClaimsFromContext(r.Context())
			fmt.Fprintf(w, "cart of user %s (roles %v)", claims.Subject, claims.Roles)
		})))
	// http.ListenAndServe(":8081", mux)
	fmt.Println("ready")
	// Output: ready
}

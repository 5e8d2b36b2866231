package lambda_test

import (
	"context"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/internal/lambda"
)

// How token minting uses the engine: validate when a lambda is saved, then
// run it on the claims latchkey built, and sign what comes back.
func ExampleEngine_Populate() {
	engine := lambda.New(lambda.Config{Timeout: time.Second}) // one per process; the default timeout is 100 ms
	l := lambda.Lambda{
		ID: "2ac8f5d2-0b1e-4a53-9a6b-5f0f2c6b7a10", Name: "Favorite color", Type: lambda.JWTPopulate,
		EngineType: lambda.EngineGraalJS, Enabled: true, LastUpdateInstant: 1700000000000,
		Body: `function populate(jwt, user, registration, context) {
			jwt.favoriteColor = user.data.favoriteColor;
			jwt.sub = "someone else"; // reserved: put back and logged
		}`,
	}
	if errs := engine.Validate(l); len(errs) > 0 {
		fmt.Println(errs[0].Code, errs[0].Message) // a 400 with FusionAuth's field errors
		return
	}
	claims := map[string]any{"sub": "b5e1c3d4-0000-4000-8000-000000000001", "aud": "app", "exp": int64(1900000000)}
	r := engine.Populate(context.Background(), l, lambda.Input{
		Claims: claims,
		User:   map[string]any{"email": "ana@example.com", "data": map[string]any{"favoriteColor": "teal"}},
	})
	// r.Claims is always safe to sign; r.Err (already logged) says whether
	// the lambda's changes are in it.
	fmt.Println(r.Claims["favoriteColor"], r.Claims["sub"], r.Restored, r.Err)
	// Output: teal b5e1c3d4-0000-4000-8000-000000000001 [sub] <nil>
}

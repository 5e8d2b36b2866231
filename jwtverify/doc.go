// Package jwtverify lets a resource server (an application backend such as
// the demo Store and Forums) trust latchkey access tokens without calling
// latchkey per request: it fetches the issuer's JWKS
// (GET /.well-known/jwks.json) lazily, caches it, and verifies each
// Authorization: Bearer token strictly — algorithm pinned to ES256/RS256 and
// to the key, no keys taken from the token (jku, x5u, jwk, x5c refused),
// exp required, iss and aud checked (RFC 8725, RFC 7519 §4.1), and by
// default the applicationId claim too: aud alone names the application even
// for a user who is not registered for it (Config.AllowUnregistered).
//
// An unknown kid causes at most one JWKS refetch per MinRefetchInterval, and
// concurrent refetches collapse into one request, so random kids cannot be
// turned into traffic against the identity server.
//
// Typical use:
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{
//		Issuer:   "https://login.example.test",
//		JWKSURL:  "https://login.example.test/.well-known/jwks.json",
//		Audience: storeApplicationID,
//	})
//	if err != nil { ... }
//	mux.Handle("GET /api/load-shopping-cart", v.Middleware(cartHandler))
//	// in cartHandler:
//	claims, _ := jwtverify.ClaimsFromContext(r.Context())
//
// This package is public API for third parties: it must not import any
// latchkey internal package. Its parsing rules live in jwtverify/strictjwt,
// which latchkey's own key manager shares.
package jwtverify

// Package dpop verifies DPoP proofs (RFC 9449, OAuth 2.0 Demonstrating
// Proof of Possession): the small JWT a client signs with its own key for each
// request, so that a token bound to that key (cnf.jkt, RFC 9449 §6.1) is
// useless to anyone who steals the token without the key.
//
// It owns proof parsing and checking (RFC 9449 §4.3), the RFC 7638 JWK
// thumbprint, htu normalisation, and a bounded per-process jti replay cache.
// It is used both by the latchkey server (/api/login, /api/jwt/refresh,
// /oauth2/token, /api/jwt/validate) and by resource servers through
// jwtverify.
//
// This package is public API: it must not import any latchkey internal
// package. It reuses jwtverify/strictjwt for the size cap and the strict,
// duplicate-refusing claim decoding.
package dpop

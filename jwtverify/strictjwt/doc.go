// Package strictjwt is the one strict parser and claim checker for compact
// JWS access tokens that both latchkey's key manager (internal/keys) and the
// public resource-server verifier (jwtverify) use, so the rules of
// RFC 8725 (JWT BCP) are written once.
//
// It owns: the size cap checked before any splitting, the header allow-list,
// the algorithm pin (the caller supplies the key's algorithm; the header must
// equal it), strict JSON (duplicate members and invalid UTF-8 rejected), and
// the exp/nbf/iss/aud rules. It does not find keys: callers look the kid up in
// their own key set and pass the public key in.
//
// It must not import net/http or any latchkey internal package: internal/keys
// imports it and must stay free of HTTP.
package strictjwt

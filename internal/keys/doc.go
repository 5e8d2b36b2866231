// Package keys owns JWT signing keys: generation at first start, persistence
// through storage.SigningKeyStore, rotation with an overlap during which the
// previous key stays published, the JWKS and PEM views, signing access tokens
// and strictly verifying them.
//
// A serving node calls Start: its ES256 key exists before it serves, and a
// missing RS256 key is made right after, on a goroutine; whatever would
// show the key set or sign with RS256 waits for it (Manager.Ready), so no
// JWKS lacks a key that then signs.
//
// The key set is cached in memory (internal/cache) and reloaded from storage
// when older than Options.RefreshInterval, when KeysChanged says another node
// rotated, or (at most once per interval) when a token names a kid the cache
// does not know, so a rotation on another node is seen within a second and
// random kids cannot turn into database load. When a reload fails because
// the database does not answer, the last good set is used for up to a minute
// more.
//
// Verification rules live in jwtverify/strictjwt, shared with the public
// jwtverify package so latchkey and resource servers refuse the same tokens.
// It must not import net/http, internal/server or internal/auth.
package keys

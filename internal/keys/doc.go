// Package keys owns JWT signing keys: generation at first start, persistence
// through storage.SigningKeyStore, rotation with an overlap during which the
// previous key stays published, the JWKS and PEM views, signing access tokens
// and strictly verifying them. It must not import net/http.
package keys

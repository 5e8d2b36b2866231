package server

import (
	"context"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/observe"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The values the middleware hands to handlers through the request context.
// Each key is its own unexported type, so no other package, and no second
// constant that happens to share a number, can collide with it.
type (
	apiKeyKey    struct{} // storage.APIKey: the key that authenticated the request
	clientKey    struct{} // storage.Application: the OAuth client that authenticated
	claimsKey    struct{} // map[string]any: the verified access token's claims
	originAppKey struct{} // string: the one application the Origin belongs to (cors.go)
	keyLookupKey struct{} // keyLookup: the API key the rate limit already looked up (ratelimit.go)
)

// keyLookup is the result of looking up the request's API key, kept so a
// request is looked up once.
type keyLookup struct {
	key storage.APIKey
	ok  bool
}

// requestID returns the id middleware gave this request (kept in
// internal/observe, whose log handler writes it on every log line).
func requestID(ctx context.Context) string { return observe.RequestID(ctx) }

// apiKeyFromContext returns the API key that authenticated the request.
func apiKeyFromContext(ctx context.Context) (storage.APIKey, bool) {
	k, ok := ctx.Value(apiKeyKey{}).(storage.APIKey)
	return k, ok
}

// clientFromContext returns the OAuth client (application) that
// authenticated the request with its secret.
func clientFromContext(ctx context.Context) (storage.Application, bool) {
	a, ok := ctx.Value(clientKey{}).(storage.Application)
	return a, ok
}

// claimsFromContext returns the claims of the access token that
// authenticated the request.
func claimsFromContext(ctx context.Context) map[string]any {
	c, _ := ctx.Value(claimsKey{}).(map[string]any)
	return c
}

// originApplication is the application an allowed Origin belongs to when it
// belongs to exactly one (and not to the system-wide list): refresh and
// logout from that origin act on that application's token only.
func originApplication(ctx context.Context) string {
	id, _ := ctx.Value(originAppKey{}).(string)
	return id
}

func withValue(r *http.Request, key, v any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key, v))
}

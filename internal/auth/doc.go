// Package auth holds latchkey's use cases, free of HTTP: Login, Refresh
// (rotation, grace, reuse => revoke the family), Logout, Revoke, Validate and
// lockout. /api/* and /oauth2/* both call these, so every rule lives once.
// It must not import net/http.
package auth

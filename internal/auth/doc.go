// Package auth holds latchkey's use cases, free of HTTP: Login (lockout,
// anti-enumeration, rehash on login), Refresh (Reusable/OneTimeUse, Fixed and
// sliding expiry, atomic rotation with a grace period, reuse => revoke the
// family), Logout, Validate and FindRefreshToken, the one-time-password
// login, CheckPassword, and the login outcomes that withhold tokens
// (outcome.go: 203, 212; the place for 242 and 409). /api/* and /oauth2/* both
// call these, so every rule lives once.
//
// It owns the refresh-token value format (32 random bytes, base64url),
// its SHA-256 storage form and the HMAC derivation of OneTimeUse successors.
// It depends on storage (records and contract; the part it uses is Store),
// keys (signing), password (hashing) and cache (tenants, applications) only. It must not import net/http, internal/server or any
// storage implementation (tests use sqlstorage.OpenTest).
package auth

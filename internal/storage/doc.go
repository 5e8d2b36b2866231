// Package storage owns latchkey's records, the one Storage contract every backend
// implements, and the sentinel errors callers branch on.
//
// Records are FusionAuth-shaped where FusionAuth has a shape (Application, Tenant,
// User, Registration carry FusionAuth's JSON field names) so the HTTP layer can
// encode them directly; secrets (password hashes, refresh-token hashes, API-key
// hashes, private keys) are tagged json:"-" and never leave through the API.
//
// This package must not import net/http, database drivers, or any other latchkey
// package. Backends live in sub-packages (sqlstorage); the conformance suite every
// backend must pass lives in storagetest.
package storage
